#!/usr/bin/env bash
# Creates the project's Python environment and installs the `cohort` package into it.
#
#   scripts/python-env.sh [VENV_DIR] [BUILD_DIR]     (defaults: .venv and build-python)
#
# The virtualenv uses Debian's interpreter with --system-site-packages, because python3-torch and
# python3-numpy are Debian packages (scripts/install-deps.sh) that pip must not replace. The
# build tools are pinned; the package is installed without build isolation so the build uses the
# venv's nanobind, and into a persistent build folder so a re-run rebuilds incrementally.
# Unattended and idempotent: safe on a fresh clone (needs PyPI) and on every `make test`.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$(realpath -m "${1:-$repo/.venv}")"
build_dir="$(realpath -m "${2:-$repo/build-python}")"
python=/usr/bin/python3

build_requirements=(nanobind==2.4.0 scikit-build-core==0.10.7 pytest==8.3.4)

if [ ! -x "$venv/bin/python" ]; then
  echo "python-env: creating $venv"
  "$python" -m venv --system-site-packages "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)

# Installs the pinned build requirements only when one is missing or has another version.
if ! "$venv/bin/python" - "${build_requirements[@]}" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
for req in sys.argv[1:]:
    name, wanted = req.split("==")
    try:
        if version(name) != wanted:
            sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
  echo "python-env: installing ${build_requirements[*]}"
  "${pip[@]}" install "${build_requirements[@]}"
fi

echo "python-env: building and installing cohort (build folder $build_dir)"
"${pip[@]}" install --no-build-isolation --no-deps \
  --config-settings=build-dir="$build_dir" --config-settings=cmake.build-type=Release "$repo"
