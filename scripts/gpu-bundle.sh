#!/usr/bin/env bash
# gpu-bundle.sh [--from-build DIR] [OUT]  (default OUT: build-gpu/bundle)
#
# Builds, on this (CPU) machine, everything the GPU check runs and lays it out as one
# self-contained folder that travels to the GPU machine with the working tree
# (docs/cuda.md, "The GPU check"). The GPU machine has nvcc, cuBLAS, cuDNN (inside PyTorch's
# virtualenv) and nothing else cohort links, so the bundle carries the rest:
#
#   OUT/bin/       cohort_cuda_tests, the kernel benchmarks, bench_copy_bandwidth, bench_train,
#                  bench_optim, bench_layer_times and the `cohort` CLI (stripped, RUNPATH $ORIGIN/../lib)
#   OUT/lib/       libcohort.so, libcohort_lab.so (the lab kernel versions the tests and kernel
#                  benchmarks link) and every shared library the binaries need that is not glibc,
#                  the NVIDIA driver, the CUDA toolkit's cudart/cuBLAS or cuDNN
#   OUT/pytorch/   the PyTorch comparison scripts (benchmarks/pytorch/*.py)
#   OUT/MANIFEST.txt  commit, nvcc version, build flags, what each binary is, the external libraries
#
# The build is its own CMake tree (BUILD_DIR, default build-gpu): device code for sm_90 (SASS)
# plus compute_90 PTX, host code for x86-64-v3 (AVX2, which every H100/H200 host runs; the main
# build's `auto` may pick AVX-512), libcohort and libcohort_lab shared so their device code is in
# the bundle once.
# Then two checks, either failing the script: the bundle is at most MAX_MIB (default 48) MiB, and
# scripts/gpu-bundle-libs.sh finds no library outside the bundle but the allowed system ones.
#
# --from-build DIR skips configure and build and lays out DIR's binaries (an existing build with
# CUDA, e.g. the normal `build`): how tests/scripts/test_gpu_check_dry_run.sh makes a bundle for
# the dry run without the separate build.
#
# Environment: BUILD_DIR (build-gpu), JOBS (2), MAX_MIB (48).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
FROM_BUILD=""
if [ "${1:-}" = --from-build ]; then FROM_BUILD=$2; shift 2; fi
OUT=${1:-build-gpu/bundle}
BUILD_DIR=${FROM_BUILD:-${BUILD_DIR:-build-gpu}}
JOBS=${JOBS:-2}
MAX_MIB=${MAX_MIB:-48}

# name  target  output path in BUILD_DIR  what it is
BINARIES=(
  "cohort_cuda_tests|cohort_cuda_tests|tests/cohort_cuda_tests|the CUDA tests (Catch2; exit 77 without a GPU)"
  "bench_softmax_kl|bench_softmax_kl|bin/bench_softmax_kl|lab softmax-KL versions vs cuDNN"
  "bench_cross_entropy|bench_cross_entropy|bin/bench_cross_entropy|lab cross-entropy versions vs cuDNN"
  "bench_cohort_kl|bench_cohort_kl|bin/bench_cohort_kl|lab cohort KL versions vs cuDNN"
  "bench_fsp|bench_fsp|bin/bench_fsp|lab FSP versions vs cuBLAS"
  "bench_copy_bandwidth|bench_copy_bandwidth|bin/bench_copy_bandwidth|host<->device and device copy bandwidth"
  "bench_train|bench_train|bin/bench_train|training-step throughput per strategy row"
  "bench_optim|bench_optim|bin/bench_optim|optimiser step time, fused vs per-tensor"
  "bench_layer_times|bench_layer_times|bin/bench_layer_times|per-layer forward/backward times"
  "cohort|cohort_cli|bin/cohort|the cohort CLI"
)

if [ -z "$FROM_BUILD" ]; then
  echo "== configure $BUILD_DIR"
  # Ninja and ccache when this machine has them (faster rebuilds); neither is required.
  extra=()
  command -v ninja >/dev/null && extra+=(-G Ninja)
  command -v ccache >/dev/null && extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$BUILD_DIR" "${extra[@]}" -DCMAKE_BUILD_TYPE=Release -DCOHORT_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="90-real;90-virtual" -DCOHORT_CPU_ARCH=x86-64-v3 \
    -DBUILD_SHARED_LIBS=ON -DCMAKE_CUDA_RUNTIME_LIBRARY=Shared -DCOHORT_ONEDNN=OFF -DCOHORT_MPI=OFF \
    -DCMAKE_BUILD_RPATH='$ORIGIN/../lib' >/dev/null

  targets=()
  for entry in "${BINARIES[@]}"; do IFS='|' read -r _ target _ _ <<<"$entry"; targets+=("$target"); done
  echo "== build ${targets[*]} (-j$JOBS)"
  cmake --build "$BUILD_DIR" -j "$JOBS" --target "${targets[@]}"
fi

echo "== lay out $OUT"
rm -rf "$OUT"
mkdir -p "$OUT/bin" "$OUT/lib" "$OUT/pytorch"
for entry in "${BINARIES[@]}"; do
  IFS='|' read -r name _ path _ <<<"$entry"
  cp "$BUILD_DIR/$path" "$OUT/bin/$name"
done
cp benchmarks/pytorch/*.py "$OUT/pytorch/"

# shellcheck source=scripts/gpu-bundle-libs.sh
source scripts/gpu-bundle-libs.sh
carry_libs "$OUT"
chmod u+w "$OUT"/lib/* "$OUT"/bin/*
strip --strip-unneeded "$OUT"/bin/* "$OUT"/lib/*

{
  echo "cohort GPU bundle"
  echo "commit:  $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built:   $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $(g++ --version | head -1)"
  echo "nvcc:    $("$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" --version | grep -m1 -o 'release .*')"
  if [ -z "$FROM_BUILD" ]; then echo "code:    device sm_90 SASS + compute_90 PTX; host -march=x86-64-v3; libcohort, libcohort_lab shared"
  else echo "code:    as configured in $BUILD_DIR (--from-build)"; fi
  echo
  echo "binaries (bin/):"
  for entry in "${BINARIES[@]}"; do
    IFS='|' read -r name _ _ what <<<"$entry"
    printf '  %-22s %s\n' "$name" "$what"
  done
  echo
  echo "needs:   $(required_runtime_versions "$OUT") or newer on the GPU machine"
  echo "carried libraries (lib/): $(cd "$OUT/lib" && echo *)"
  echo "expected on the GPU machine: $EXTERNAL_LIBS_DESCRIPTION"
} > "$OUT/MANIFEST.txt"

echo "== check"
size_kib=$(du -sk "$OUT" | cut -f1)
echo "bundle size: $((size_kib / 1024)) MiB ($size_kib KiB; limit $MAX_MIB MiB)"
if [ "$size_kib" -gt $((MAX_MIB * 1024)) ]; then
  echo "gpu-bundle: $OUT is larger than $MAX_MIB MiB and would not travel with the working tree" >&2
  exit 1
fi
check_bundle_libs "$OUT"
echo "bundle ready: $OUT (carry it to the GPU machine; docs/cuda.md)"
