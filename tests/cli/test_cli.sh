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

echo "$passed passed, $failures failed"
[ $failures -eq 0 ]
