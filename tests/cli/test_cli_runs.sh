#!/usr/bin/env bash
# Runs a user can trust, through the CLI: non-finite weights refused, run directories claimed
# atomically, stale temporary files removed, --overwrite starting empty, resume of a complete,
# killed, reconfigured or corrupted run, run.json's history, plots by epoch.
# usage: test_cli_runs.sh PATH/TO/cohort SOURCE_DIR
set -u
cohort=$1
src=$2
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/cli/expect.sh
source "$src/tests/cli/expect.sh"
count() { grep -c -- "$1" "$2"; }

cp "$src/tests/cli/tiny-dml.yaml" "$tmp/tiny.yaml"
expect 0 "best top-1" -- "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/r1"

# 1. Weights with a NaN are refused by eval unless asked; asked, they do not score.
$py - "$tmp/r1/cnn-small_0.safetensors" "$tmp/nan.safetensors" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
begin = 8 + n + header["bn1.bias"]["data_offsets"][0]
patched = data[:begin] + struct.pack("<f", float("nan")) + data[begin + 4:]
open(sys.argv[2], "wb").write(patched)
PY
expect 1 "bn1.bias.*non-finite" -- "$cohort" eval --weights "$tmp/nan.safetensors" --model cnn-small --data synthetic --device cpu
expect 0 "top-1 0\.00%.*mean entropy -?nan" -- "$cohort" eval --weights "$tmp/nan.safetensors" --model cnn-small \
  --data synthetic --device cpu --allow-non-finite

# 3. Resuming a complete run says so and changes nothing.
cp -r "$tmp/r1" "$tmp/r1.before"
expect 0 "already complete; nothing changed" -- "$cohort" train --resume "$tmp/r1"
for f in config.yaml run.json metrics.jsonl checkpoint.safetensors; do
  check "resume of a complete run left $f unchanged" -- cmp -s "$tmp/r1/$f" "$tmp/r1.before/$f"
done

# 5. Temporary files of a killed atomic write are removed on start/resume (a live pid's are kept).
dead=$(sh -c 'echo $$')
touch "$tmp/r1/checkpoint.safetensors.tmp.$dead" "$tmp/r1/checkpoint.safetensors.tmp.$$"
expect 0 "removed 1 temporary file" -- "$cohort" train --resume "$tmp/r1"
check "stale temporary file removed" -- test ! -e "$tmp/r1/checkpoint.safetensors.tmp.$dead"
check "a running process's temporary file kept" -- test -e "$tmp/r1/checkpoint.safetensors.tmp.$$"
rm -f "$tmp/r1/checkpoint.safetensors.tmp.$$"

# 9. Resume may change run length and schedule only; run.json keeps every start.
expect 1 "'seed' is 0 in the run's config.yaml but 9" -- "$cohort" train --resume "$tmp/r1" --set seed=9
expect 1 "'data.batch_size' is 32 .* but 16" -- "$cohort" train --resume "$tmp/r1" --set data.batch_size=16
check "config.yaml untouched by refused resumes" -- cmp -s "$tmp/r1/config.yaml" "$tmp/r1.before/config.yaml"

# 6. A killed partial epoch's records (and a torn last line) go on resume: each epoch and step once.
echo '{"type": "train", "stage": "train", "epoch": 2, "step": 5, "killed_epoch": true}' >> "$tmp/r1/metrics.jsonl"
printf '{"type": "train", "ep' >> "$tmp/r1/metrics.jsonl"
expect 0 "best top-1" -- "$cohort" train --resume "$tmp/r1" --set train.epochs=2 --set schedule.name=constant
check "train.epochs=2 recorded in config.yaml" -- grep -q "epochs: 2" "$tmp/r1/config.yaml"
check "each epoch evaluated once" -- test "$(count '"type":"eval"' "$tmp/r1/metrics.jsonl")" -eq 2
check "one summary" -- test "$(count '"type":"summary"' "$tmp/r1/metrics.jsonl")" -eq 1
check "the killed epoch's record is gone" -- test "$(count 'killed_epoch' "$tmp/r1/metrics.jsonl")" -eq 0
check "steps logged once each" -- $py - "$tmp/r1/metrics.jsonl" <<'PY'
import json, sys
steps = [json.loads(l)["step"] for l in open(sys.argv[1]) if '"type":"train"' in l]
sys.exit(0 if steps == list(range(1, 9)) else f"train steps {steps}")
PY
check "run.json keeps both starts, the first one's time on top" -- $py - "$tmp/r1/run.json" "$tmp/r1.before/run.json" <<'PY'
import json, sys
now, before = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ok = now["started"] == before["started"] and [s["resumed"] for s in now["starts"]] == [False, True]
# Each start names the commit of the binary that ran it (cmake/BuildCommit.cmake).
ok = ok and all(s["commit"] == "unknown" or len(s["commit"].split("+")[0]) == 40 for s in now["starts"])
sys.exit(0 if ok else f"run.json {now}")
PY
check "plot curves by epoch, with the ensemble" -- $py - "$src/scripts" "$tmp/r1" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import plot_runs
c = plot_runs.curves(plot_runs.load(sys.argv[2]))
ok = c["cnn-small_0"]["epoch"] == [1, 2] and c["ensemble"]["epoch"] == [1, 2]
sys.exit(0 if ok else f"curves {c}")
PY

# 10. A bit flipped in the checkpoint's tensor data is refused on resume.
$py - "$tmp/r1/checkpoint.safetensors" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(-100, 2)
    b = f.read(1)
    f.seek(-100, 2)
    f.write(bytes([b[0] ^ 0x10]))
PY
expect 1 "checksum.*corrupt" -- "$cohort" train --resume "$tmp/r1" --set train.epochs=3

# 7. --overwrite starts from an empty directory: a new run failing early leaves nothing of the old.
expect 0 "best top-1" -- "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/r2"
touch "$tmp/r2/notes-of-the-old-run.txt"
cat > "$tmp/nodata.yaml" <<'YAML'
networks: [cnn-small, cnn-small]
data: {dataset: cifar100, root: /nonexistent/cifar, fallback_to_synthetic: false}
YAML
expect 1 "/nonexistent/cifar" -- "$cohort" train --config "$tmp/nodata.yaml" --out "$tmp/r2" --overwrite
check "old checkpoint gone after --overwrite" -- test ! -e "$tmp/r2/checkpoint.safetensors"
check "old files gone after --overwrite" -- test ! -e "$tmp/r2/notes-of-the-old-run.txt"
expect 1 "no checkpoint" -- "$cohort" train --resume "$tmp/r2"

# 8. A run killed before its first checkpoint: both commands point to --overwrite.
mkdir -p "$tmp/r3"
cp "$tmp/r1/config.yaml" "$tmp/r3/config.yaml"
echo '{"type": "train", "step": 1}' > "$tmp/r3/metrics.jsonl"
expect 1 "before its first checkpoint.*--overwrite" -- "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/r3"
expect 1 "before its first checkpoint.*--overwrite" -- "$cohort" train --resume "$tmp/r3"
expect 0 "best top-1" -- "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/r3" --overwrite

# 4. Two runs without --out started together claim different directories.
mkdir -p "$tmp/cwd"
(cd "$tmp/cwd" && "$cohort" train --config "$tmp/tiny.yaml" > a.log 2>&1) &
(cd "$tmp/cwd" && "$cohort" train --config "$tmp/tiny.yaml" > b.log 2>&1) &
wait
check "two concurrent runs in runs/tiny and runs/tiny-2" -- test -d "$tmp/cwd/runs/tiny" -a -d "$tmp/cwd/runs/tiny-2"
for d in tiny tiny-2; do
  check "runs/$d has one run's records" -- test "$(count '"type":"summary"' "$tmp/cwd/runs/$d/metrics.jsonl")" -eq 1
done

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
