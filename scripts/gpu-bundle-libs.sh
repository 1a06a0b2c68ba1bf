# Which shared libraries a GPU bundle may leave to the GPU machine, and the check that nothing
# else is missing from it. Sourced by scripts/gpu-bundle.sh (after the build) and
# scripts/gpu-check.sh (preflight on the GPU machine).
#
# Left to the machine: glibc and the compiler runtime libstdc++/libgcc_s (this machine's copies
# need glibc 2.36, newer than the binaries' own 2.34 — carrying them would raise the bar), the
# NVIDIA driver's libcuda, cuBLAS (hundreds of MiB) and cuDNN (which the GPU machine has only
# inside PyTorch's virtualenv). Everything else — libcohort, fmt, yaml-cpp, turbojpeg, png, zlib,
# libgomp, cudart — travels in the bundle's lib/. MANIFEST.txt records the glibc and libstdc++
# versions the bundle needs; the preflight's ldd reports a machine that is older.

EXTERNAL_LIBS_DESCRIPTION="glibc (libc, libm, libpthread, libdl, librt, ld-linux), libstdc++, libgcc_s, the driver's libcuda, cuBLAS/cuBLASLt, cuDNN 9"

is_external_lib() {  # soname
  [[ $1 =~ ^(linux-vdso|ld-linux-x86-64|libc|libm|libpthread|libdl|librt|libstdc\+\+|libgcc_s|libcuda|libcublas|libcublasLt|libcudnn[a-z_]*)\.so ]]
}

# The newest glibc and libstdc++ symbol versions DIR's files need ("GLIBC_2.34 GLIBCXX_3.4.30").
required_runtime_versions() {
  objdump -T "$1"/bin/* "$1"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*\|GLIBCXX_[0-9.]*' | sort -uV |
    awk -F_ '{ last[$1] = $0 } END { print last["GLIBC"], last["GLIBCXX"] }'
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
  local dir file soname path report bad=0
  dir=$(cd "$1" && pwd)
  local -A external=()
  for file in "$dir"/bin/* "$dir"/lib/*; do
    report=$(LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$file" 2>&1)
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
    done < <(awk '$2 == "=>" { print $1, $3 }' <<<"$report")
    # Found but too old: "version `GLIBCXX_3.4.30' not found (required by …)".
    if grep -q 'version .* not found' <<<"$report"; then
      echo "  TOO OLD: $(basename "$file"): $(grep -m1 -o 'version .* not found.*' <<<"$report")" >&2; bad=1
    fi
  done
  echo "external libraries (allowed: $EXTERNAL_LIBS_DESCRIPTION):"
  for soname in $(printf '%s\n' "${!external[@]}" | sort); do echo "  $soname => ${external[$soname]}"; done
  if [ $bad = 1 ]; then
    echo "check_bundle_libs: $dir is not self-contained (above)" >&2
    return 1
  fi
  echo "every dependency of $dir resolves inside it or to an allowed external library"
}
