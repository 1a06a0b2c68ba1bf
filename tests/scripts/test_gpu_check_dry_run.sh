#!/usr/bin/env bash
# The GPU check rehearsed end to end without a GPU: scripts/gpu-bundle.sh lays out a bundle from
# an existing CUDA build (--from-build, so CI needs no second build), scripts/gpu-check.sh
# --dry-run runs its preflight and every step on it, and the result must be exactly the two
# files that come back from a GPU machine, with every step accounted for.
# usage: test_gpu_check_dry_run.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The normal build links libcohort statically into each binary, so its bundle is far over the
# 48 MiB that gpu-bundle.sh's own build stays under; the size limit is not what this tests.
MAX_MIB=100000 "$src/scripts/gpu-bundle.sh" --from-build "$build" "$tmp/bundle" > "$tmp/bundle.log" 2>&1 ||
  { cat "$tmp/bundle.log"; fail "gpu-bundle.sh --from-build $build"; }
grep -q 'every dependency of .* resolves inside it' "$tmp/bundle.log" || { cat "$tmp/bundle.log"; fail "library check"; }
[ -f "$tmp/bundle/lib/libfmt.so.9" ] || fail "fmt was not carried: $(ls "$tmp/bundle/lib")"
# The library check must notice a carried library that is missing (the system's copy of fmt
# would hide it on this machine, not on the GPU machine).
mkdir "$tmp/broken" && cp -r "$tmp/bundle/bin" "$tmp/bundle/lib" "$tmp/broken/" && rm "$tmp/broken/lib/libfmt.so.9"
# shellcheck source=scripts/gpu-bundle-libs.sh
source "$src/scripts/gpu-bundle-libs.sh"
if check_bundle_libs "$tmp/broken" > "$tmp/broken.log" 2>&1; then fail "a bundle without libfmt passed the library check"; fi
grep -q 'NOT CARRIED: .* needs libfmt.so.9' "$tmp/broken.log" || { cat "$tmp/broken.log"; fail "libfmt not named"; }

rc=0
"$src/scripts/gpu-check.sh" --bundle "$tmp/bundle" --dry-run "$tmp/out" > "$tmp/check.log" 2>&1 || rc=$?
cat "$tmp/check.log"
[ $rc -eq 0 ] || fail "gpu-check.sh --dry-run exited $rc"

[ "$(cd "$tmp/out" && ls | tr '\n' ' ')" = "gpu-check.tgz summary.txt " ] ||
  fail "OUTDIR holds $(ls "$tmp/out"), not exactly gpu-check.tgz and summary.txt"
summary=$tmp/out/summary.txt
grep -Eq '^preflight +ok ' "$summary" || fail "preflight not ok"
grep -q 'step limits sum to 480 s (budget 480 s)' "$summary" || fail "step budget line missing"
for step in cuda_tests memcheck bench_softmax_kl bench_cross_entropy bench_cohort_kl bench_fsp \
            bench_copy_bandwidth train_side_by_side bench_optim nccl_one_rank; do
  grep -Eq "^$step +skipped .*no GPU" "$summary" || fail "step $step is not reported 'skipped: no GPU'"
done
grep -q '^result: nothing failed' "$summary" || fail "result line"

mkdir "$tmp/unpacked"
tar -xzf "$tmp/out/gpu-check.tgz" -C "$tmp/unpacked"
for f in summary.txt MANIFEST.txt preflight_libs.log cuda_tests.log bench_optim.log; do
  [ -f "$tmp/unpacked/$f" ] || fail "gpu-check.tgz lacks $f"
done
cmp -s "$summary" "$tmp/unpacked/summary.txt" || fail "the tarball's summary differs from summary.txt"
# The CUDA tests really ran from the bundle (and skipped themselves), not just got listed.
grep -q '/bin/cohort_cuda_tests' "$tmp/unpacked/cuda_tests.log" || fail "cuda_tests.log has no command line"
grep -qi 'no usable\|skipp' "$tmp/unpacked/cuda_tests.log" || fail "cohort_cuda_tests did not report its skip"
echo "dry run OK"
