#!/usr/bin/env bash
# Runs the cohort and PyTorch whole-model CPU benchmarks (forward + cross-entropy + backward of a
# batch of 64, f32) with the same thread count and prints the time ratio per model
# (cohort / PyTorch; below 1 means cohort is faster).
#
# On a shared machine other processes steal cores for seconds at a time, so one run of each side
# can be off by several times. The two sides therefore alternate for ROUNDS rounds (cohort, then
# PyTorch, then cohort, ...), each side's time per model is the median of RUNS steps within a
# round, and the summary uses each side's best round (the least disturbed) next to the ratio of
# every round, so a reader sees how much the machine moved.
# usage: benchmarks/cpu/run_models_side_by_side.sh [BUILD_DIR] [THREADS] [RUNS] [ROUNDS] [MODELS]
#   MODELS: comma-separated registry names (default resnet32,wrn-16-4,mobilenet)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
threads=${2:-$(nproc)}
runs=${3:-5}
rounds=${4:-3}
models=${5:-resnet32,wrn-16-4,mobilenet}
python=/usr/bin/python3   # Debian's interpreter: it has python3-torch
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), threads $threads"
for r in $(seq 1 "$rounds"); do
  echo
  echo "== round $r, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  OMP_NUM_THREADS=$threads "$build/bin/bench_models" --models "$models" --runs "$runs" --json "$out/cohort.$r.json"
  OMP_NUM_THREADS=$threads "$python" "$here/../pytorch/models_cpu.py" --models "$models" --threads "$threads" \
    --runs "$runs" --json "$out/torch.$r.json"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
load = lambda side, r: json.load(open(f"{out}/{side}.{r}.json"))
ours = [load("cohort", r) for r in range(1, rounds + 1)]
ref = [load("torch", r) for r in range(1, rounds + 1)]
print(f"step = forward + cross-entropy + backward, batch {ours[0]['batch']}, {ours[0]['threads']} threads; "
      f"ms = best round's median; ratio = cohort/torch")
print(f"{'model':<12} {'cohort ms':>10} {'torch ms':>10} {'ratio':>7} {'fwd ratio':>10}   ratio per round")
for i, m in enumerate(ours[0]["models"]):
    o = [run["models"][i] for run in ours]
    t = [run["models"][i] for run in ref]
    assert all(x["name"] == m["name"] for x in o + t), m["name"]
    assert all(x["parameters"] == m["parameters"] for x in t), (m["name"], "parameter counts differ")
    best = lambda xs, k: min(x[k] for x in xs)
    per_round = " ".join(f"{a['step_ms'] / b['step_ms']:.2f}" for a, b in zip(o, t))
    print(f"{m['name']:<12} {best(o, 'step_ms'):10.1f} {best(t, 'step_ms'):10.1f} "
          f"{best(o, 'step_ms') / best(t, 'step_ms'):7.2f} {best(o, 'fwd_ms') / best(t, 'fwd_ms'):10.2f}   {per_round}")
PY
