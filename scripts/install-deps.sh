#!/usr/bin/env bash
# Installs cohort's build and test dependencies from Debian packages. Idempotent: installs only
# what is missing; uses sudo only when not root. The CUDA toolkit (nvcc, cuBLAS, cuDNN) is
# expected under /usr/local/cuda where a CUDA build is wanted; it is not installed here.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libeigen3-dev libfmt-dev catch2 nlohmann-json3-dev   # core, tests
  libturbojpeg0-dev libpng-dev zlib1g-dev              # datasets
  libyaml-cpp-dev libcli11-dev                         # CLI and configs
  libdnnl-dev                                          # oneDNN: CPU convolutions
  python3-torch python3-numpy python3-matplotlib python3-yaml  # PyTorch parity tests, plots, run summaries
  python3-venv python3-dev                              # the Python package (scripts/python-env.sh)
  libopenmpi-dev openmpi-bin                            # distributed training (docs/distributed.md)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
