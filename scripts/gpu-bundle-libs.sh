# Which shared libraries a GPU bundle may leave to the GPU machine, and the check that nothing
# else is missing from it. Sourced by scripts/gpu-bundle.sh (after the build) and
# scripts/gpu-check.sh (preflight on the GPU machine).
#
# Left to the machine: glibc (it cannot be carried), the NVIDIA driver's libcuda, cuBLAS
# (hundreds of MiB) and cuDNN (which the GPU machine has only inside PyTorch's virtualenv).
# Everything else — libcohort, fmt, yaml-cpp, turbojpeg, png, zlib, libstdc++, libgomp, cudart —
# travels in the bundle's lib/.

EXTERNAL_LIBS_DESCRIPTION="glibc (libc, libm, libpthread, libdl, librt, ld-linux), the driver's libcuda, cuBLAS/cuBLASLt, cuDNN 9"

is_external_lib() {  # soname
  [[ $1 =~ ^(linux-vdso|ld-linux-x86-64|libc|libm|libpthread|libdl|librt|libcuda|libcublas|libcublasLt|libcudnn[a-z_]*)\.so ]]
}

# carry_libs DIR: copies into DIR/lib, under its soname, every shared library that DIR/bin's
# binaries load (ldd gives the whole closure) and the GPU machine does not provide.
carry_libs() {
  local soname path
  for file in "$1"/bin/*; do
    ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
  done | sort -u | while read -r soname path; do
    is_external_lib "$soname" || cp -L "$path" "$1/lib/$soname"
  done
}

# check_bundle_libs DIR: every binary and library of DIR resolves every dependency, and each
# one resolves inside DIR/lib unless is_external_lib allows it outside. DIR/lib goes first in
# LD_LIBRARY_PATH, so a library the bundle lacks shows up as resolved from the system (or not
# found) instead of being hidden by the binaries' RUNPATH. Prints one line per external library.
check_bundle_libs() {
  local dir file soname path bad=0
  dir=$(cd "$1" && pwd)
  local -A external=()
  for file in "$dir"/bin/* "$dir"/lib/*; do
    while read -r soname path; do
      if [ "$path" = "not" ]; then
        echo "  MISSING: $(basename "$file") needs $soname, found nowhere" >&2; bad=1
      elif [[ $path == "$dir"/lib/* ]]; then
        :
      elif is_external_lib "$soname"; then
        external[$soname]=$path
      else
        echo "  NOT CARRIED: $(basename "$file") needs $soname, resolved outside the bundle at $path" >&2; bad=1
      fi
    done < <(LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$file" |
             awk '$2 == "=>" { print $1, $3 }')
  done
  echo "external libraries (allowed: $EXTERNAL_LIBS_DESCRIPTION):"
  for soname in $(printf '%s\n' "${!external[@]}" | sort); do echo "  $soname => ${external[$soname]}"; done
  if [ $bad = 1 ]; then
    echo "check_bundle_libs: $dir is not self-contained (above)" >&2
    return 1
  fi
  echo "every dependency of $dir resolves inside it or to an allowed external library"
}
