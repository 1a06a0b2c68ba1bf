#!/usr/bin/env bash
# Builds the Python package into a virtualenv (scripts/python-env.sh) and runs its pytest suite.
#
#   scripts/python-tests.sh [VENV_DIR] [BUILD_DIR] [pytest args...]
#
# The CTest test `python_package` runs this with folders inside the CMake build tree. pytest's
# exit status 5 ("no tests collected") is turned into a failure: the suite exists, so collecting
# nothing means something is broken (a wrong path, an import error swallowed by a filter).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$(realpath -m "${1:-$repo/.venv}")"
build_dir="$(realpath -m "${2:-$repo/build-python}")"
shift $(( $# < 2 ? $# : 2 ))

"$repo/scripts/python-env.sh" "$venv" "$build_dir"

# Run from outside the source tree so `import cohort` finds the installed package, not python/.
cd "$build_dir"
status=0
PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -p no:cacheprovider -q "$repo/python/tests" "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "python-tests: pytest collected no tests from $repo/python/tests" >&2
  exit 1
fi
exit "$status"
