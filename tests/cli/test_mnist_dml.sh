#!/usr/bin/env bash
# End-to-end on real data: DML of two cnn-small on MNIST for one epoch through the CLI; both
# students must reach >= 97 % test top-1. Skipped (77) when $COHORT_TEST_DATA has no MNIST.
# usage: test_mnist_dml.sh PATH/TO/cohort SOURCE_DIR
set -euo pipefail
cohort=$1
src=$2
data=${COHORT_TEST_DATA:-${COHORT_DATA:-}}
if [ -z "$data" ] || [ ! -d "$data/mnist" ]; then
  echo "no MNIST under COHORT_TEST_DATA/COHORT_DATA ('$data'): skipping"
  exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
COHORT_DATA=$data "$cohort" train --config "$src/examples/configs/mnist-dml-cnn-small.yaml" --device cpu --out "$out/run"
/usr/bin/python3 - "$out/run/metrics.jsonl" <<'PY'
import json, sys
evals = [json.loads(l) for l in open(sys.argv[1]) if '"type": "eval"' in l or '"type":"eval"' in l]
final = evals[-1]["networks"]
print("final top-1:", {k: round(v["top1"], 2) for k, v in final.items()})
bad = {k: v["top1"] for k, v in final.items() if v["top1"] < 97.0}
sys.exit(f"below 97 %: {bad}" if bad else 0)
PY
