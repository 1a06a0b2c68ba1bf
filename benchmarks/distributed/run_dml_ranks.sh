#!/usr/bin/env bash
# A DML pair as 2 MPI ranks (one student and one core each) vs 1 process with 2 threads, on the
# same machine, same config and seed (docs/distributed.md, "Measured"). Prints images/s of each
# (the last progress record of metrics.jsonl) and the bytes exchanged per step.
#
# usage: run_dml_ranks.sh [--quick] PATH/TO/cohort
#   --quick: a few iterations of small synthetic images (checks that the script works; the
#            figures mean nothing). Without it: resnet32 pair, CIFAR-size synthetic images,
#            batch 64, 60 iterations — run it on an otherwise idle machine.
# Environment: MPIEXEC (default mpirun), MPIEXEC_FLAGS (default: loopback TCP, as the tests use).
set -euo pipefail
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
cohort=${1:?usage: run_dml_ranks.sh [--quick] PATH/TO/cohort}
mpiexec=${MPIEXEC:-mpirun}
read -r -a flags <<< "${MPIEXEC_FLAGS:---allow-run-as-root --oversubscribe --bind-to none --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ $quick -eq 1 ]; then
  model=cnn-small iters=6 batch=32 classes=10
else
  model=resnet32 iters=60 batch=64 classes=60   # the synthetic set has at most 60 classes
fi
cat > "$tmp/c.yaml" <<YAML
name: bench-dml-ranks
device: cpu
seed: 0
data: {dataset: synthetic, synthetic_classes: $classes, synthetic_train: $((batch * iters)), synthetic_test: $batch,
       batch_size: $batch, workers: 1, augment: false}
networks: [$model, $model]
strategy: {name: dml}
train: {iterations: $iters, log_every: $iters, eval_every: 1000, checkpoint_every: 1000}
YAML

images_per_s() {  # the last train record's throughput
  /usr/bin/python3 -c '
import json, sys
rates = [r["images_per_s"] for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "train"]
print(f"{rates[-1]:.1f}")' "$1/metrics.jsonl"
}

OMP_NUM_THREADS=2 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/one" > "$tmp/one.log"
"$mpiexec" "${flags[@]}" -x OMP_NUM_THREADS=1 -np 2 "$cohort" train --config "$tmp/c.yaml" --out "$tmp/ranks" \
  > "$tmp/ranks.log"
cmp -s "$tmp/one/checkpoint.safetensors" "$tmp/ranks/checkpoint.safetensors" && same=yes || same=no

logits=$((batch * classes * 4))
echo "DML pair, $model, batch $batch, $iters iterations, CPU"
printf '  1 process, 2 threads : %s images/s\n' "$(images_per_s "$tmp/one")"
printf '  2 ranks, 1 thread each: %s images/s\n' "$(images_per_s "$tmp/ranks")"
echo "  weights bit-identical: $same (different thread counts may change the last bits of some CPU sums)"
echo "  exchanged per step per student: logits $logits bytes (+ 12 bytes of losses)"
