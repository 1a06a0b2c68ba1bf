#!/usr/bin/env bash
# Runs the cohort and PyTorch CPU conv2d benchmarks with the same thread count on this machine
# and prints the time ratio per shape (cohort / PyTorch; below 1 means cohort is faster).
# usage: benchmarks/cpu/run_conv_side_by_side.sh [BUILD_DIR] [THREADS] [RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
threads=${2:-$(nproc)}
runs=${3:-7}
python=/usr/bin/python3   # Debian's interpreter: it has python3-torch
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), threads $threads"
OMP_NUM_THREADS=$threads "$build/bin/bench_conv_cpu" --runs "$runs" --json "$out/cohort.json"
echo
OMP_NUM_THREADS=$threads "$python" "$here/../pytorch/conv_cpu.py" --threads "$threads" --runs "$runs" \
  --json "$out/torch.json"
echo
"$python" - "$out/cohort.json" "$out/torch.json" <<'PY'
import json, sys
ours, ref = (json.load(open(p)) for p in sys.argv[1:3])
keys = ("fwd_ms", "bwd_data_ms", "bwd_weight_ms")
print(f"{'shape':<14} {'cohort ms':>10} {'torch ms':>10} {'ratio':>7}   (fwd+bwd-x+bwd-w; ratio = cohort/torch)")
tot_o = tot_r = 0.0
for o, r in zip(ours["shapes"], ref["shapes"]):
    assert o["name"] == r["name"], (o["name"], r["name"])
    to, tr = sum(o[k] for k in keys), sum(r[k] for k in keys)
    tot_o += to; tot_r += tr
    parts = "  ".join(f"{k[:-3]} {o[k] / r[k]:.2f}" for k in keys)
    print(f"{o['name']:<14} {to:10.2f} {tr:10.2f} {to / tr:7.2f}   ({parts})")
print(f"{'all shapes':<14} {tot_o:10.2f} {tot_r:10.2f} {tot_o / tot_r:7.2f}")
PY
