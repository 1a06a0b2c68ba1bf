// Access to the PyTorch reference files written by tests/python/ref_*.py (CTest fixture
// `torch_references`) and to the real datasets.
#pragma once

#include <string>

#include "core/safetensors.h"

namespace cohort::test {

// Loads <COHORT_TORCH_REFS>/<name>.safetensors; fails the test with a clear message when the
// reference was not generated (python3-torch missing: run scripts/install-deps.sh).
safetensors::Contents torch_reference(const std::string& name);
// The path of that file (checked to exist), for readers that take a path (nn::load_weights).
std::string torch_reference_path(const std::string& name);
// The Python interpreter that has torch: COHORT_TORCH_PYTHON (set by ctest), else
// /usr/bin/python3 (Debian's, with python3-torch).
std::string torch_python();
// Directory of real datasets (COHORT_TEST_DATA / COHORT_DATA), or "" when none.
std::string data_dir();
// Scratch directory unique to this test process.
std::string temp_dir();

}  // namespace cohort::test
