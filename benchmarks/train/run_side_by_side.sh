#!/usr/bin/env bash
# Training throughput, cohort vs PyTorch, side by side: for every row and batch size, runs
# bench_train (cohort) and train_step.py (PyTorch) in alternation, one process per row and
# framework (so the CPU peak-RSS figure belongs to that row alone), with the same thread count,
# then prints one table: images/s each, ratio (cohort / PyTorch; above 1 means cohort is faster)
# and peak memory each. Raw JSON lines are kept in OUTDIR.
#
# usage: benchmarks/train/run_side_by_side.sh [--device cpu|cuda] [--build DIR] [--out DIR]
#          [--rows "a b ..."] [--batches "64 128"] [--steps N] [--warmup N] [--threads N] [--compile]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
device=cpu build=build out="" rows="" batches="64 128" steps=50 warmup=5 threads=$(nproc) compile=0
python=${COHORT_TORCH_PYTHON:-/usr/bin/python3}   # Debian's interpreter has python3-torch
while [ $# -gt 0 ]; do
  case $1 in
    --device) device=$2; shift 2 ;;   --build) build=$2; shift 2 ;;   --out) out=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;       --batches) batches=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;     --warmup) warmup=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;; --compile) compile=1; shift ;;
    *) echo "run_side_by_side.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
out=${out:-$(mktemp -d)}
mkdir -p "$out"
[ -n "$rows" ] || rows=$("$build/bin/bench_train" --list)
export OMP_NUM_THREADS=$threads

echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), device $device, threads $threads"
echo "protocol: $warmup warm-up steps, median of $steps steps; commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null)"
echo "cohort CPU convolutions: COHORT_CPU_CONV=${COHORT_CPU_CONV:-onednn}"
for batch in $batches; do
  for row in $rows; do
    common=(--row "$row" --batch "$batch" --device "$device" --steps "$steps" --warmup "$warmup")
    "$build/bin/bench_train" "${common[@]}" --json "$out/cohort-$row-$batch.json" | tail -n +2
    "$python" "$here/../pytorch/train_step.py" "${common[@]}" --threads "$threads" \
      --json "$out/pytorch-$row-$batch.json" | tail -n +2
    if [ $compile = 1 ]; then
      "$python" "$here/../pytorch/train_step.py" "${common[@]}" --threads "$threads" --compile \
        --json "$out/pytorch-compile-$row-$batch.json" | tail -n +2
    fi
  done
done
echo
"$python" - "$out" <<'PY'
import glob, json, os, sys
res = {}
for path in glob.glob(os.path.join(sys.argv[1], "*.json")):
    for r in json.load(open(path)):
        res[(r["framework"], r["row"], r["batch"])] = r
keys = sorted({(row, b) for (_, row, b) in res}, key=lambda k: (k[1], k[0]))
print(f"{'row':28s} {'batch':>5s} {'cohort img/s':>13s} {'torch img/s':>12s} {'ratio':>6s} "
      f"{'cohort MB':>10s} {'torch MB':>9s}")
for row, b in keys:
    c, t = res.get(("cohort", row, b)), res.get(("pytorch", row, b))
    ci = f"{c['images_per_s']:13.1f}" if c else f"{'-':>13s}"
    ti = f"{t['images_per_s']:12.1f}" if t else f"{'-':>12s}"
    ratio = f"{c['images_per_s'] / t['images_per_s']:6.2f}" if c and t else f"{'-':>6s}"
    cm = f"{c['peak_mb']:10.0f}" if c else f"{'-':>10s}"
    tm = f"{t['peak_mb']:9.0f}" if t else f"{'-':>9s}"
    line = f"{row:28s} {b:5d} {ci} {ti} {ratio} {cm} {tm}"
    tc = res.get(("pytorch-compile", row, b))
    if tc:
        line += f"   compile {tc['images_per_s']:.1f} img/s (ratio {c['images_per_s'] / tc['images_per_s']:.2f})" if c else ""
    print(line)
PY
echo "raw JSON: $out"
