#!/usr/bin/env bash
# Runs the cohort and PyTorch whole-model CPU benchmarks (forward + cross-entropy + backward of a
# batch, f32) with the same thread count, one after the other, and prints the time ratio per
# model (cohort / PyTorch; below 1 means cohort is faster). Timings on a shared, loaded machine
# move by tens of percent between runs: compare ratios from one run, not numbers across runs.
# usage: benchmarks/cpu/run_models_side_by_side.sh [BUILD_DIR] [THREADS] [RUNS] [MODELS]
#   MODELS: comma-separated registry names (default resnet32,wrn-16-4,mobilenet)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
threads=${2:-$(nproc)}
runs=${3:-5}
models=${4:-resnet32,wrn-16-4,mobilenet}
python=/usr/bin/python3   # Debian's interpreter: it has python3-torch
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), threads $threads, load average $(cut -d' ' -f1-3 /proc/loadavg)"
OMP_NUM_THREADS=$threads "$build/bin/bench_models" --models "$models" --runs "$runs" --json "$out/cohort.json"
echo
OMP_NUM_THREADS=$threads "$python" "$here/../pytorch/models_cpu.py" --models "$models" --threads "$threads" \
  --runs "$runs" --json "$out/torch.json"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" - "$out/cohort.json" "$out/torch.json" <<'PY'
import json, sys
ours, ref = (json.load(open(p)) for p in sys.argv[1:3])
print(f"{'model':<12} {'cohort ms':>10} {'torch ms':>10} {'ratio':>7}   {'fwd ratio':>9}   "
      f"(step = forward + loss + backward, batch {ours['batch']}; ratio = cohort/torch)")
for o, r in zip(ours["models"], ref["models"]):
    assert o["name"] == r["name"], (o["name"], r["name"])
    assert o["parameters"] == r["parameters"], (o["name"], o["parameters"], r["parameters"])
    print(f"{o['name']:<12} {o['step_ms']:10.1f} {r['step_ms']:10.1f} {o['step_ms'] / r['step_ms']:7.2f}"
          f"   {o['fwd_ms'] / r['fwd_ms']:9.2f}")
PY
