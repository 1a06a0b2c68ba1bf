#!/usr/bin/env bash
# Runs every tests/python/ref_*.py with Debian's python3 (which has python3-torch) to write the
# PyTorch reference files the C++ parity tests compare against.
# usage: make_references.sh PYTHON OUTDIR
set -euo pipefail
python=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "error: $python cannot import torch; install it with scripts/install-deps.sh (python3-torch)" >&2
  exit 1
fi
for script in "$here"/ref_*.py; do
  [ -e "$script" ] || continue
  echo "== $(basename "$script")"
  "$python" "$script" "$out"
done
