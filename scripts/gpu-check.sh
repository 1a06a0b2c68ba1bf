#!/usr/bin/env bash
# gpu-check.sh --bundle DIR [--dry-run] OUTDIR
#
# The GPU check of cohort, sized for one call of at most 9 minutes on a GPU machine that has the
# NVIDIA driver, the CUDA toolkit and PyTorch (with cuDNN inside its virtualenv) but none of
# cohort's other dependencies. DIR is a bundle made on the CPU machine by scripts/gpu-bundle.sh;
# nothing is built here. docs/cuda.md, "The GPU check", gives the exact remote call.
#
#   preflight (≈10 s, capped at 30 s by its own limits)  nvidia-smi, the PyTorch interpreter and the cuDNN 9 it carries, every
#                      binary's libraries resolved (scripts/gpu-bundle-libs.sh), what was found
#   steps, in order of importance, each with its own time limit (they sum to STEP_BUDGET_S):
#     cuda_tests         every CUDA test once (Catch2 text report with per-test durations)
#     memcheck           compute-sanitizer memcheck on the hand-written kernels' tests only
#     bench_<kernel> x4, bench_copy_bandwidth   --quick sizes, JSON kept
#     train_side_by_side bench_train and PyTorch's train_step.py, ResNet-32 independent and DML
#     bench_optim        the CUDA rows
#     nccl_one_rank      the nccl backend of distributed training on one GPU (cohort_cuda_tests "[nccl]")
#
# A step that fails or runs out of time is recorded and the next one runs. Exit code 77 from a
# binary (no usable GPU) is recorded as skipped. Everything ends up in OUTDIR as exactly two
# files: summary.txt (one line per step) and gpu-check.tgz (summary, every log and JSON file).
# Exit status: 0 when nothing failed, 1 otherwise.
#
# --dry-run rehearses the whole script without a GPU (the CPU machine, CI; a GPU present is
# hidden): the preflight and every step run, the steps report "skipped: no GPU", and the two
# files are made.
# Without --dry-run a missing GPU is a preflight failure.
#
# Environment: PYTHON (default /opt/torch/.venv/bin/python3 when it exists, else python3).
set -uo pipefail

usage() { echo "usage: $0 --bundle DIR [--dry-run] OUTDIR" >&2; exit 2; }
BUNDLE="" DRY_RUN=0 OUT=""
while [ $# -gt 0 ]; do
  case $1 in
    --bundle) [ $# -ge 2 ] || usage; BUNDLE=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -*) usage ;;
    *) [ -z "$OUT" ] || usage; OUT=$1; shift ;;
  esac
done
[ -n "$BUNDLE" ] && [ -n "$OUT" ] || usage
[ -x "$BUNDLE/bin/cohort_cuda_tests" ] || { echo "gpu-check: $BUNDLE is not a bundle (no bin/cohort_cuda_tests); make one with scripts/gpu-bundle.sh" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUNDLE=$(cd "$BUNDLE" && pwd)
BIN=$BUNDLE/bin
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
SUMMARY=$LOGS/summary.txt
ANY_FAILED=0

# Per-step limits in seconds. Their sum must stay within STEP_BUDGET_S so that preflight, steps
# and packing fit in a 540 s remote call (docs/cuda.md).
STEP_BUDGET_S=480
declare -A LIMIT=(
  [cuda_tests]=150 [memcheck]=90
  [bench_softmax_kl]=25 [bench_cross_entropy]=25 [bench_cohort_kl]=25 [bench_fsp]=25
  [bench_copy_bandwidth]=15 [train_side_by_side]=90 [bench_optim]=20 [nccl_one_rank]=15
)
budget=0
for step in "${!LIMIT[@]}"; do budget=$((budget + LIMIT[$step])); done
if [ $budget -gt $STEP_BUDGET_S ]; then
  echo "gpu-check: the step limits sum to ${budget} s, over the ${STEP_BUDGET_S} s budget" >&2; exit 2
fi

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() {  # step status seconds note
  printf '%-22s %-8s %7.1fs  %s\n' "$1" "$2" "$3" "$4" | tee -a "$SUMMARY"
}
skip() {  # step reason
  echo "skipped: $2" > "$LOGS/$1.log"
  record "$1" skipped 0 "($2)"
}
# step NAME CMD...: runs CMD under NAME's time limit, output to NAME.log; exit 77 = skipped.
step() {
  local name=$1; shift
  local limit=${LIMIT[$name]} start rc=0 status=ok note
  start=$(now)
  echo "\$ $*" > "$LOGS/$name.log"
  timeout --kill-after=5 "$limit" "$@" >> "$LOGS/$name.log" 2>&1 || rc=$?
  note="exit $rc"
  if [ $rc -eq 77 ]; then status=skipped note="skipped: no GPU"
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status=FAILED note="timed out after ${limit} s"; ANY_FAILED=1
  elif [ $rc -ne 0 ]; then status=FAILED; ANY_FAILED=1
  fi
  record "$name" "$status" "$(since "$start")" "($note; log $name.log)"
}

# ---- preflight --------------------------------------------------------------------------------
preflight_start=$(now)
HAVE_GPU=0
# A dry run hides any GPU, so it rehearses the same way everywhere (the binaries exit 77).
[ $DRY_RUN = 1 ] && export CUDA_VISIBLE_DEVICES=""
if [ $DRY_RUN = 0 ] && command -v nvidia-smi >/dev/null 2>&1 && timeout 5 nvidia-smi -L > "$LOGS/nvidia-smi.log" 2>&1 &&
   grep -q '^GPU ' "$LOGS/nvidia-smi.log"; then
  HAVE_GPU=1
  timeout 5 nvidia-smi -q >> "$LOGS/nvidia-smi.log" 2>&1
fi
PYTHON=${PYTHON:-$([ -x /opt/torch/.venv/bin/python3 ] && echo /opt/torch/.venv/bin/python3 || echo python3)}
# The wheel's cuDNN and cuBLAS (a quick start: the nvidia.* packages need no torch import), then
# torch itself, whose import may be slow on a cold disk — so a slow torch cannot hide cuDNN.
read -r CUDNN_LIB CUBLAS_LIB NCCL_LIB < <(timeout 5 "$PYTHON" - 2>/dev/null <<'PY' || echo "- - -"
import importlib, os
def lib_dir(pkg, soname):
    try:
        for p in importlib.import_module(pkg).__path__:
            if os.path.exists(os.path.join(p, "lib", soname)):
                return os.path.join(p, "lib")
    except ImportError:
        pass
    return "-"
print(lib_dir("nvidia.cudnn", "libcudnn.so.9"), lib_dir("nvidia.cublas", "libcublas.so.13"),
      lib_dir("nvidia.nccl", "libnccl.so.2"))
PY
)
read -r TORCH TORCH_CUDA < <(timeout 12 "$PYTHON" -c 'import torch; print(torch.__version__, torch.cuda.is_available())' \
                             2>/dev/null || echo "- -")
: "${TORCH:=-}" "${TORCH_CUDA:=-}" "${CUDNN_LIB:=-}" "${CUBLAS_LIB:=-}" "${NCCL_LIB:=-}"
# PyTorch loads its own CUDA libraries through its RUNPATHs; the bundle's LD_LIBRARY_PATH below
# would take precedence over them, so the interpreter runs with the environment it came with.
TORCH_PYTHON=$LOGS/torch-python
printf '#!/usr/bin/env bash\nLD_LIBRARY_PATH=%q exec %q "$@"\n' "${LD_LIBRARY_PATH:-}" "$PYTHON" > "$TORCH_PYTHON"
chmod +x "$TORCH_PYTHON"
NVCC=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
TOOLKIT_LIB=$(dirname "$(dirname "$NVCC")")/lib64
# The bundle first, then cuDNN from the PyTorch wheel, then cuBLAS (the toolkit's, else the wheel's).
LIB_PATH=$BUNDLE/lib
[ "$CUDNN_LIB" != - ] && LIB_PATH+=":$CUDNN_LIB"
[ -d "$TOOLKIT_LIB" ] && LIB_PATH+=":$TOOLKIT_LIB"
[ "$CUBLAS_LIB" != - ] && LIB_PATH+=":$CUBLAS_LIB"
# NCCL is loaded at run time by the nccl backend only (distributed/nccl/nccl_api.h): the toolkit's
# copy when it has one (on the path above), else the PyTorch wheel's.
[ "$NCCL_LIB" != - ] && LIB_PATH+=":$NCCL_LIB"
export LD_LIBRARY_PATH=$LIB_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# shellcheck source=scripts/gpu-bundle-libs.sh
source "$ROOT/scripts/gpu-bundle-libs.sh"
LIBS_OK=1
check_bundle_libs "$BUNDLE" > "$LOGS/preflight_libs.log" 2>&1 || LIBS_OK=0
SANITIZER=$(command -v compute-sanitizer || { [ -x "$(dirname "$NVCC")/compute-sanitizer" ] && echo "$(dirname "$NVCC")/compute-sanitizer"; } || echo "")

{
  echo "gpu-check of bundle $BUNDLE$([ $DRY_RUN = 1 ] && echo ' (dry run)')"
  grep -m2 -E '^(commit|nvcc):' "$BUNDLE/MANIFEST.txt" 2>/dev/null
  echo "GPU:        $([ $HAVE_GPU = 1 ] && grep -m1 '^GPU ' "$LOGS/nvidia-smi.log" || echo none)"
  echo "python:     $PYTHON (torch $TORCH, cuda available: $TORCH_CUDA)"
  echo "cuDNN 9:    $([ "$CUDNN_LIB" != - ] && echo "$CUDNN_LIB" || echo 'not in the interpreter'"'"'s nvidia.cudnn (system copy, if any)')"
  echo "libraries:  $([ $LIBS_OK = 1 ] && echo 'every binary resolves' || echo 'UNRESOLVED (preflight_libs.log)')"
  echo "sanitizer:  ${SANITIZER:-none}"
  echo "step limits sum to ${budget} s (budget ${STEP_BUDGET_S} s)"
} | tee -a "$SUMMARY"
preflight_ok=1 why=""
[ $LIBS_OK = 1 ] || { preflight_ok=0; why+=" libraries unresolved;"; }
if [ $DRY_RUN = 0 ]; then
  [ $HAVE_GPU = 1 ] || { preflight_ok=0; why+=" no GPU (--dry-run rehearses without one);"; }
  [ "$TORCH_CUDA" = True ] || { preflight_ok=0; why+=" $PYTHON has no CUDA torch;"; }
fi
if [ $preflight_ok = 1 ]; then record preflight ok "$(since "$preflight_start")" "(log preflight_libs.log)"
else record preflight FAILED "$(since "$preflight_start")" "(${why%;} )"; ANY_FAILED=1
fi

# ---- steps ------------------------------------------------------------------------------------
step cuda_tests "$BIN/cohort_cuda_tests" --durations yes

# The tests of hand-written kernels (cuDNN convolutions, cuBLAS GEMMs and the deliberate 1 PiB
# out-of-memory requests stay out: memcheck would only slow them down or report the OOM; so does
# [timing], which needs kernels to run asynchronously and memcheck serialises them).
MEMCHECK_TAGS='[elementwise],[random],[reduce],[nn]~[conv],[losses]~[timing],[lab],[optim]'
if [ $HAVE_GPU = 0 ]; then skip memcheck "no GPU"
elif [ -z "$SANITIZER" ]; then skip memcheck "compute-sanitizer not found"
else
  step memcheck "$SANITIZER" --tool memcheck --report-api-errors no --error-exitcode 1 \
    "$BIN/cohort_cuda_tests" "$MEMCHECK_TAGS"
fi

for kernel in softmax_kl cross_entropy cohort_kl fsp; do
  step "bench_$kernel" "$BIN/bench_$kernel" --quick --json "$LOGS/bench_$kernel.json"
done
step bench_copy_bandwidth "$BIN/bench_copy_bandwidth" --runs 20 --max-mib 256 --json "$LOGS/bench_copy_bandwidth.json"

if [ $HAVE_GPU = 0 ]; then skip train_side_by_side "no GPU"
elif [ "$TORCH_CUDA" != True ]; then skip train_side_by_side "$PYTHON has no CUDA torch"
else
  step train_side_by_side env COHORT_TORCH_PYTHON="$TORCH_PYTHON" "$ROOT/benchmarks/train/run_side_by_side.sh" \
    --device cuda --build "$BUNDLE" --out "$LOGS/train_side_by_side" \
    --rows "independent-resnet32 dml-resnet32x2" --batches 128 --steps 20 --warmup 5
fi

step bench_optim "$BIN/bench_optim" --device cuda --runs 20

# The nccl backend of distributed training on one GPU (a one-rank communicator, no MPI): its
# collectives and a data-parallel gradient exchange, so that code has run at least once.
step nccl_one_rank "$BIN/cohort_cuda_tests" "[nccl]"

# ---- results: summary.txt and one tarball -------------------------------------------------------
echo "result: $([ $ANY_FAILED = 1 ] && echo 'some steps FAILED' || echo 'nothing failed')" | tee -a "$SUMMARY"
cp "$BUNDLE/MANIFEST.txt" "$LOGS/" 2>/dev/null
rm -f "$TORCH_PYTHON"
tar -czf "$OUT/gpu-check.tgz" -C "$LOGS" .
cp "$SUMMARY" "$OUT/summary.txt"
exit $ANY_FAILED
