#!/usr/bin/env bash
# CLI behaviour: help, bad config keys, missing data, bad devices — each a clear message and a
# non-zero exit. usage: test_cli.sh PATH/TO/cohort SOURCE_DIR
set -u
cohort=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/cli/expect.sh
source "$src/tests/cli/expect.sh"

expect 0 "train" -- "$cohort" --help
expect 0 "--config" -- "$cohort" train --help
expect 0 "--weights" -- "$cohort" eval --help
expect nonzero "subcommand|required" -- "$cohort"

cat > "$tmp/badkey.yaml" <<'YAML'
networks: [cnn-small, cnn-small]
optimizer: {lrr: 0.1}
YAML
expect 1 "unknown key 'optimizer.lrr'.*optimizer.lr" -- "$cohort" train --config "$tmp/badkey.yaml" --out "$tmp/r1"

cat > "$tmp/badvalue.yaml" <<'YAML'
networks: [cnn-small, cnn-small]
optimizer: {lr: fast}
YAML
expect 1 "optimizer.lr.*expects a number.*fast" -- "$cohort" train --config "$tmp/badvalue.yaml" --out "$tmp/r2"

cat > "$tmp/nodata.yaml" <<'YAML'
networks: [cnn-small, cnn-small]
data: {dataset: cifar100, root: /nonexistent/cifar, fallback_to_synthetic: false}
YAML
expect 1 "/nonexistent/cifar" -- "$cohort" train --config "$tmp/nodata.yaml" --out "$tmp/r3"
expect 1 "unknown device 'tpu'" -- "$cohort" train --config "$tmp/nodata.yaml" --device tpu --out "$tmp/r4"
expect 1 "unknown key 'strategy.nmae'" -- "$cohort" train --config "$src/examples/configs/quick.yaml" --set strategy.nmae=dml --out "$tmp/r5"
cat > "$tmp/onenet.yaml" <<'YAML'
networks: [cnn-small]
strategy: {name: dml}
YAML
expect 1 "strategy 'dml' needs at least 2 networks" -- "$cohort" train --config "$tmp/onenet.yaml" --out "$tmp/r6"
expect 0 "CUDA backend" -- "$cohort" info
expect 0 "resnet32 .*0\\.4[67]M" -- "$cohort" models
expect 1 "no checkpoint" -- "$cohort" train --resume "$tmp"
expect nonzero "cannot be read|does not exist|not exist" -- "$cohort" eval --weights /nonexistent.safetensors --model resnet8 --data synthetic

# A real (tiny) run, then the same --out again: an earlier run is never overwritten silently.
cp "$src/tests/cli/tiny-dml.yaml" "$tmp/tiny.yaml"
expect 0 "best top-1" -- "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/r7"
expect 1 "already holds a run.*--resume" -- "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/r7"
expect 0 "best top-1" -- "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/r7" --overwrite
expect 0 "" -- test "$(grep -c '"type": *"eval"' "$tmp/r7/metrics.jsonl")" -eq 1
# Each network's final weights, evaluated alone and as an ensemble.
expect 0 "ensemble of 2 networks on synthetic/test" -- "$cohort" eval --weights "$tmp/r7/cnn-small_0.safetensors" \
  "$tmp/r7/cnn-small_1.safetensors" --model cnn-small --data synthetic --device cpu
expect 1 "2 --weights but 3 --model" -- "$cohort" eval --weights "$tmp/r7/cnn-small_0.safetensors" \
  "$tmp/r7/cnn-small_1.safetensors" --model cnn-small cnn-small cnn-small --data synthetic --device cpu

# absent PATTERN -- command...: the command's combined output must NOT match PATTERN.
absent() {
  local pattern=$1
  shift 2
  local out
  out=$("$@" 2>&1)
  if echo "$out" | grep -Eq -- "$pattern"; then
    failures=$((failures + 1))
    echo "FAILED: $* printed /$pattern/"
    echo "$out" | head -20 | sed 's/^/    /'
  else
    passed=$((passed + 1))
  fi
}

# ---- configs: every error names the key and where its value came from (file:line or --set) ----
cat > "$tmp/dupnames.yaml" <<'YAML'
networks:
  - {model: cnn-small, name: student}
  - {model: cnn-small, name: student}
YAML
expect 1 "dupnames.yaml:3: 'networks.1.name' is 'student'.*unique" -- "$cohort" train --config "$tmp/dupnames.yaml" --out "$tmp/c1"
expect 1 "^error: --set networks.5.model=resnet8: .*out of range.*2 network" -- \
  "$cohort" train --config "$tmp/tiny.yaml" --set networks.5.model=resnet8 --out "$tmp/c2"
cat > "$tmp/nosynth.yaml" <<'YAML'
networks: [cnn-small, cnn-small]
data:
  synthetic_train: 0
YAML
expect 1 "nosynth.yaml:3: 'data.synthetic_train' must be > 0" -- "$cohort" train --config "$tmp/nosynth.yaml" --out "$tmp/c3"
expect 1 "^error: --set train.iterations=-5: 'train.iterations' must be >= 0" -- \
  "$cohort" train --config "$tmp/tiny.yaml" --set train.iterations=-5 --out "$tmp/c4"
expect 1 "^error: --set optimizer.lr=inf: 'optimizer.lr' expects a finite number" -- \
  "$cohort" train --config "$tmp/tiny.yaml" --set optimizer.lr=inf --out "$tmp/c5"
cat > "$tmp/optim.yaml" <<'YAML'
networks: [cnn-small, cnn-small]
optimizer:
  name: adam
  beta1: 1.5
YAML
expect 1 "optim.yaml:4: 'optimizer.beta1' must be in \[0, 1\)" -- "$cohort" train --config "$tmp/optim.yaml" --out "$tmp/c6"
expect 1 "^error: --set optimizer.momentum=-0.5: 'optimizer.momentum' must be >= 0" -- \
  "$cohort" train --config "$tmp/tiny.yaml" --set optimizer.momentum=-0.5 --out "$tmp/c7"
absent "\.(cpp|h):[0-9]+" -- "$cohort" train --config "$tmp/tiny.yaml" --set optimizer.lr=inf --out "$tmp/c5"
absent "\.(cpp|h):[0-9]+" -- "$cohort" train --config "$tmp/nodata.yaml" --device tpu --out "$tmp/c8"
absent "\.(cpp|h):[0-9]+" -- "$cohort" train --config "$tmp/badvalue.yaml" --out "$tmp/c9"
# YAML types are strict: a list where one value is meant, and a key given twice, are errors.
printf 'networks: [cnn-small, cnn-small]\noptimizer:\n  lr: [0.1]\n' > "$tmp/t1.yaml"
expect 1 "t1.yaml:3: 'optimizer.lr' expects a single float value, got a list" -- "$cohort" train --config "$tmp/t1.yaml" --out "$tmp/c10"
printf 'networks:\n  - model: [cnn-small]\n  - cnn-small\n' > "$tmp/t2.yaml"
expect 1 "t2.yaml:2: 'networks.0.model' expects a single string value" -- "$cohort" train --config "$tmp/t2.yaml" --out "$tmp/c11"
printf 'name: [a, b]\nnetworks: [cnn-small, cnn-small]\n' > "$tmp/t3.yaml"
expect 1 "t3.yaml:1: 'name' expects a single string value" -- "$cohort" train --config "$tmp/t3.yaml" --out "$tmp/c12"
printf 'networks: [cnn-small, cnn-small]\noptimizer:\n  lr: 0.1\n  momentum: 0.9\n  lr: 0.2\n' > "$tmp/t4.yaml"
expect 1 "t4.yaml:5: 'optimizer.lr' is given twice \\(first on line 3\\)" -- "$cohort" train --config "$tmp/t4.yaml" --out "$tmp/c13"
# MNIST files that cannot train: an empty split, and test images of another size than the training ones.
write_mnist() {  # DIR PREFIX COUNT SIDE
  /usr/bin/python3 - "$@" <<'PY'
import os, struct, sys
d, prefix, n, side = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(d, exist_ok=True)
with open(f"{d}/{prefix}-images-idx3-ubyte", "wb") as f:
    f.write(struct.pack(">IIII", 0x803, n, side, side) + bytes(n * side * side))
with open(f"{d}/{prefix}-labels-idx1-ubyte", "wb") as f:
    f.write(struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n)))
PY
}
write_mnist "$tmp/mnist0/mnist" train 0 28
write_mnist "$tmp/mnist0/mnist" t10k 8 28
write_mnist "$tmp/mnistsz/mnist" train 8 28
write_mnist "$tmp/mnistsz/mnist" t10k 8 32
printf 'networks: [cnn-small, cnn-small]\ndata: {dataset: mnist, fallback_to_synthetic: false}\n' > "$tmp/mnist.yaml"
expect 1 "train-images-idx3-ubyte' holds no images" -- "$cohort" train --config "$tmp/mnist.yaml" --set data.root="$tmp/mnist0" --out "$tmp/c14"
expect 1 "'mnist/train' images are 28x28x1 but 'mnist/test' images are 32x32x1" -- \
  "$cohort" train --config "$tmp/mnist.yaml" --set data.root="$tmp/mnistsz" --out "$tmp/c15"

# ---- the CLI a researcher expects ----
# Progress: a line after the first step (log_every is 50 here, the run has 4 steps), with lr,
# running train top-1, elapsed time and the whole run's ETA; eval lines with the test loss; the
# summary with top-5 and the wall time.
expect 0 "step 1/4 loss.*\\| lr 0\\.1 \\| train top-1 cnn-small_0 [0-9.]+% cnn-small_1 [0-9.]+% \\|.*\\| elapsed [0-9]+s \\| ETA [0-9]+s \\(run\\).*eval: cnn-small_0 [0-9.]+% \\(test loss [0-9.]+\\).*final top5.*wall time [0-9]+s" -- \
  "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/progress"
# Weights from another zoo: RepDistiller's resnet8 names (no num_batches_tracked), and the same
# file in F16: detected and converted, each said.
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 "$src/tests/python/ref_zoo_weights.py" "$tmp" >/dev/null
  expect 0 "weights format 'repdistiller' detected: fc.* -> linear.*.*resnet8 \\($tmp/zoo_resnet8_weights.safetensors\\) on synthetic/test" -- \
    "$cohort" eval --weights "$tmp/zoo_resnet8_weights.safetensors" --model resnet8 --data synthetic --device cpu --limit 16
  expect 0 "weights format 'repdistiller' detected.*widened [0-9]+ F16 tensor\\(s\\) to f32" -- \
    "$cohort" eval --weights "$tmp/zoo_resnet8_weights_f16.safetensors" --model resnet8 --data synthetic --device cpu --limit 16
  expect 1 "missing key\\(s\\)" -- "$cohort" eval --weights "$tmp/zoo_resnet8_weights.safetensors" --model resnet8 \
    --data synthetic --device cpu --weights-format cohort
fi
expect 0 "^cohort [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{40}(\+dirty)?|unknown)\)" -- "$cohort" --version
expect 0 "resolved config.*name: tiny.*cnn-small_0 +cnn-small +0\.[0-9]+M parameters.*dry run: nothing trained" -- \
  "$cohort" train --config "$tmp/tiny.yaml" --out "$tmp/dry" --dry-run
expect 0 "" -- test ! -e "$tmp/dry"
# eval --run: the run's networks on its data, from its config; --limit; logits as .npy and .safetensors.
expect 0 "cnn-small_0 \($tmp/r7/cnn-small_0.safetensors\) on synthetic/test \(64 images\).*ensemble of 2 networks" -- \
  "$cohort" eval --run "$tmp/r7" --device cpu
expect 0 "\(10 images\).*logits: $tmp/logits.npy" -- \
  "$cohort" eval --run "$tmp/r7" --device cpu --limit 10 --dump-logits "$tmp/logits.npy"
cat > "$tmp/npy_shape.py" <<'PY'
import ast, struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x93NUMPY\x01\x00", data[:8]
n = struct.unpack("<H", data[8:10])[0]
header = ast.literal_eval(data[10:10 + n].decode())
count = 1
for d in header["shape"]:
    count *= d
assert header["descr"] == "<f4" and len(data) == 10 + n + 4 * count and (10 + n) % 64 == 0
print(header["shape"])
PY
expect 0 "^\(2, 10, 10\)$" -- /usr/bin/python3 "$tmp/npy_shape.py" "$tmp/logits.npy"
expect 0 "logits: $tmp/logits.safetensors" -- "$cohort" eval --weights "$tmp/r7/cnn-small_1.safetensors" \
  --model cnn-small --data synthetic --device cpu --limit 5 --dump-logits "$tmp/logits.safetensors"
cat > "$tmp/st_shapes.py" <<'PY'
import json, struct, sys
f = open(sys.argv[1], "rb")
header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
print(" ".join(f"{k} {v['shape']}" for k, v in header.items() if k != "__metadata__"))
PY
expect 0 "^cnn-small_1 \[5, 10\] labels \[5\]$" -- /usr/bin/python3 "$tmp/st_shapes.py" "$tmp/logits.safetensors"
expect 1 "must end in .safetensors or .npy" -- "$cohort" eval --run "$tmp/r7" --device cpu --dump-logits "$tmp/logits.txt"
# export: a run without its final weights (crashed) still gives each network's weights from the checkpoint.
mkdir -p "$tmp/crashed" && cp "$tmp/r7/config.yaml" "$tmp/r7/checkpoint.safetensors" "$tmp/crashed/"
expect 0 "checkpoint.safetensors.*ensemble of 2 networks" -- "$cohort" eval --run "$tmp/crashed" --device cpu
expect 0 "wrote $tmp/crashed/cnn-small_0.safetensors.*wrote $tmp/crashed/cnn-small_1.safetensors" -- "$cohort" export "$tmp/crashed"
expect 1 "exists; pass --overwrite" -- "$cohort" export "$tmp/crashed"
expect 0 "cnn-small \($tmp/crashed/cnn-small_0.safetensors\)" -- "$cohort" eval --weights "$tmp/crashed/cnn-small_0.safetensors" \
  --model cnn-small --data synthetic --device cpu --limit 8
mkdir -p "$tmp/empty-run"
expect 1 "no checkpoint.safetensors" -- "$cohort" export "$tmp/empty-run"
expect nonzero "batch-size" -- "$cohort" eval --run "$tmp/r7" --batch-size 0
expect nonzero "num-classes" -- "$cohort" eval --weights "$tmp/r7/cnn-small_0.safetensors" --model cnn-small --data synthetic --num-classes 0
expect nonzero "limit" -- "$cohort" eval --run "$tmp/r7" --limit 0
expect 0 "resnet32 .*0\.4[67]M.*(--exact|exact)" -- "$cohort" models
# plot: a truncated line is an error naming the file and line; a run without evaluations says so.
mkdir -p "$tmp/p1" "$tmp/p2"
head -c 30 "$tmp/r7/metrics.jsonl" > "$tmp/p1/metrics.jsonl"
expect 1 "metrics file '$tmp/p1/metrics.jsonl', line 1" -- "$cohort" plot "$tmp/p1" --out "$tmp/p.png"
: > "$tmp/p2/metrics.jsonl"
expect 1 "run '$tmp/p2' has no evaluation yet" -- "$cohort" plot "$tmp/p2" --out "$tmp/p.png"

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
