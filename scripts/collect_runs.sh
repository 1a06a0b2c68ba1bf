#!/usr/bin/env bash
# Copies what a reproduction writes, minus the weights, from OUTDIR into DEST (a folder to
# commit, e.g. docs/reproducing/cpu-scale): for every FINISHED run its metrics.jsonl, config.yaml,
# run.json, training log and train-set entropy evaluations; and OUTDIR's reproduce.log,
# results.md and curves. Runs still in progress are left out. The one exception to "minus the
# weights" is a teacher run's (teacher-*): later runs of every seed read them, and a teacher
# retrained on another machine is a different network, so they travel with the records (< 1 MB).
# usage: scripts/collect_runs.sh OUTDIR DEST
set -euo pipefail
out=${1:?usage: scripts/collect_runs.sh OUTDIR DEST} dest=${2:?usage: scripts/collect_runs.sh OUTDIR DEST}
mkdir -p "$dest"
for dir in "$out"/*-s*/; do
  run=$(basename "$dir")
  grep -qs '"type": *"summary"' "$dir/metrics.jsonl" || continue
  mkdir -p "$dest/$run"
  cp "$dir"/metrics.jsonl "$dir"/config.yaml "$dir"/run.json "$dest/$run/"
  for f in "$dir"/*.train-entropy.txt; do [ -f "$f" ] && cp "$f" "$dest/$run/"; done
  if [[ $run == teacher-* ]]; then
    for f in "$dir"/*.safetensors; do
      if [[ -f $f && $f != */checkpoint.safetensors ]]; then cp "$f" "$dest/$run/"; fi
    done
  fi
  [ -f "$out/$run.log" ] && cp "$out/$run.log" "$dest/$run/train.log"
done
for f in reproduce.log results.md; do [ -f "$out/$f" ] && cp "$out/$f" "$dest/"; done
for f in "$out"/*.png; do [ -f "$f" ] && cp "$f" "$dest/"; done
echo "collected $(ls -d "$dest"/*-s* 2>/dev/null | wc -l) finished runs into $dest"
