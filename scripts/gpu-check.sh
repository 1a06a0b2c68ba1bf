#!/usr/bin/env bash
# gpu-check.sh OUTDIR [--no-build] [--quick]
#
# The whole GPU check of cohort in one go, for a machine with an NVIDIA GPU: configure and build
# with CUDA (sm_90), ctest with COHORT_SYNC=0, the CUDA tests again with COHORT_SYNC=1,
# compute-sanitizer memcheck on the CUDA tests, nvidia-smi -q, every build/bin/bench_* (with
# --json OUTDIR/<name>.json where the binary takes --json) and the PyTorch scripts (with --json,
# and --device cuda where they take it).
# Each step logs to OUTDIR/<step>.log and adds a line "step  ok|FAILED|skipped  seconds" to
# OUTDIR/summary.txt; a failing step never stops the ones after it. Exit status 1 if any failed.
#
# Without a GPU every GPU step is skipped (the CUDA tests exit 77, which ctest reports as
# skipped); configure, build and the CPU tests still run unless told otherwise:
#   --no-build  use BUILD_DIR as it is (e.g. a build made elsewhere and copied along)
#   --quick     ctest runs only the CUDA tests (not the CPU suite)
# Environment: BUILD_DIR (default: build), CUDA_ARCHS (default: 90), STEP_TIMEOUT seconds per
# step (default 1200), MEMCHECK_FILTER (Catch2 test filter for the memcheck run, default: all),
# JOBS (default: nproc), PYTHON (default: python3).
set -uo pipefail

usage() { echo "usage: $0 OUTDIR [--no-build] [--quick]" >&2; exit 2; }
[ $# -ge 1 ] || usage
OUT=$1; shift
BUILD=1 QUICK=0
for arg in "$@"; do
  case $arg in
    --no-build) BUILD=0 ;;
    --quick) QUICK=1 ;;
    *) usage ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUILD_DIR=${BUILD_DIR:-build}
STEP_TIMEOUT=${STEP_TIMEOUT:-1200}
JOBS=${JOBS:-$(nproc)}
CUDA_TESTS="$BUILD_DIR/tests/cohort_cuda_tests"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"
ANY_FAILED=0

HAVE_GPU=0
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then HAVE_GPU=1; fi

now() { date +%s.%N; }
record() {  # step status seconds [note]
  local line
  line=$(printf '%-28s %-8s %8.1fs  %s' "$1" "$2" "$3" "${4:-}")
  echo "$line" | tee -a "$SUMMARY"
}

# run STEP CMD...: runs CMD with a timeout, its output to OUTDIR/STEP.log. Exit 77 = skipped.
run() {
  local step=$1; shift
  local log="$OUT/$step.log" start rc=0 status=ok
  start=$(now)
  echo "\$ $*" > "$log"
  timeout "$STEP_TIMEOUT" "$@" >> "$log" 2>&1 || rc=$?
  local secs
  secs=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" -eq 77 ]; then status=skipped
  elif [ "$rc" -eq 124 ]; then status=FAILED; ANY_FAILED=1; rc="timeout after ${STEP_TIMEOUT}s"
  elif [ "$rc" -ne 0 ]; then status=FAILED; ANY_FAILED=1
  fi
  record "$step" "$status" "$secs" "(exit $rc; log $step.log)"
}

skip() {  # step reason
  echo "skipped: $2" > "$OUT/$1.log"
  record "$1" skipped 0 "($2)"
}

echo "gpu-check: $(git rev-parse --short HEAD 2>/dev/null || echo '?') in $ROOT, build $BUILD_DIR, GPU: $([ $HAVE_GPU = 1 ] && echo yes || echo none)" | tee -a "$SUMMARY"

# ---- 1. device report ------------------------------------------------------------------------
if [ $HAVE_GPU = 1 ]; then run nvidia-smi nvidia-smi -q; else skip nvidia-smi "no GPU"; fi

# ---- 2. configure and build ------------------------------------------------------------------
if [ $BUILD = 1 ]; then
  run configure cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCOHORT_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}"
  run build cmake --build "$BUILD_DIR" -j "$JOBS"
else
  skip configure "--no-build"
  skip build "--no-build"
fi

# ---- 3. tests --------------------------------------------------------------------------------
if [ ! -d "$BUILD_DIR" ]; then
  skip ctest "no build directory $BUILD_DIR"
elif [ $QUICK = 1 ]; then
  run ctest env COHORT_SYNC=0 ctest --test-dir "$BUILD_DIR" --output-on-failure -R '^cuda_tests$'
else
  run ctest env COHORT_SYNC=0 ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
fi

if [ ! -x "$CUDA_TESTS" ]; then
  skip cuda_tests_sync "$CUDA_TESTS not built"
  skip memcheck "$CUDA_TESTS not built"
else
  # Exits 77 by itself without a GPU.
  run cuda_tests_sync env COHORT_SYNC=1 "$CUDA_TESTS"
  if [ $HAVE_GPU = 0 ]; then skip memcheck "no GPU"
  elif ! command -v compute-sanitizer >/dev/null 2>&1 && [ ! -x /usr/local/cuda/bin/compute-sanitizer ]; then
    skip memcheck "compute-sanitizer not found"
  else
    SANITIZER=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
    # shellcheck disable=SC2086  # MEMCHECK_FILTER is a list of Catch2 arguments
    run memcheck "$SANITIZER" --tool memcheck --error-exitcode 1 "$CUDA_TESTS" ${MEMCHECK_FILTER:-}
  fi
fi

# ---- 4. benchmarks ---------------------------------------------------------------------------
shopt -s nullglob
BENCHES=("$BUILD_DIR"/bin/bench_*)
if [ $HAVE_GPU = 0 ]; then skip benchmarks "no GPU (${#BENCHES[@]} binaries not run)"
elif [ ${#BENCHES[@]} -eq 0 ]; then skip benchmarks "no $BUILD_DIR/bin/bench_* binaries"
else
  for bin in "${BENCHES[@]}"; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    # CPU-only benchmarks are not what this machine is for; bench_train runs in step 5.
    case $name in bench_conv_cpu|bench_loader|bench_models|bench_train) continue ;; esac
    # A binary whose usage text names --json writes its results there.
    args=()
    grep -qa -- '--json' "$bin" && args+=(--json "$OUT/$name.json")
    grep -qa -- '--device' "$bin" && args+=(--device cuda)   # e.g. bench_layer_times
    run "$name" "$bin" "${args[@]}"
  done
fi

# ---- 5. PyTorch side-by-side ----------------------------------------------------------------
PY_SCRIPTS=(benchmarks/pytorch/*.py)
if [ ${#PY_SCRIPTS[@]} -eq 0 ]; then skip pytorch "no benchmarks/pytorch/*.py"
elif [ $HAVE_GPU = 0 ]; then skip pytorch "no GPU"
elif ! "${PYTHON:-python3}" -c 'import torch' >/dev/null 2>&1; then skip pytorch "${PYTHON:-python3} cannot import torch"
else
  # Training throughput, cohort and PyTorch in alternation, one table (benchmarks/train/).
  run train_side_by_side benchmarks/train/run_side_by_side.sh --device cuda --build "$BUILD_DIR" \
      --out "$OUT/train_side_by_side"
  for py in "${PY_SCRIPTS[@]}"; do
    grep -q '__main__' "$py" || continue  # helper modules, not scripts
    case $(basename "$py") in train_step.py|conv_cpu.py|models_cpu.py) continue ;; esac  # step above / CPU only
    name=pytorch_$(basename "$py" .py) args=()
    grep -q -- '--json' "$py" && args+=(--json "$OUT/$name.json")
    grep -q -- '--device' "$py" && args+=(--device cuda)
    run "$name" "${PYTHON:-python3}" "$py" "${args[@]}"
  done
fi

echo "summary: $SUMMARY$([ $ANY_FAILED = 1 ] && echo ' — some steps FAILED')"
exit $ANY_FAILED
