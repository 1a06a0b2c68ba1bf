// Access to the PyTorch reference files written by tests/python/ref_*.py (CTest fixture
// `torch_references`) and to the real datasets.
#pragma once

#include <string>

#include "core/safetensors.h"

namespace cohort::test {

// Loads <COHORT_TORCH_REFS>/<name>.safetensors; fails the test with a clear message when the
// reference was not generated (python3-torch missing: run scripts/install-deps.sh).
safetensors::Contents torch_reference(const std::string& name);
// Directory of real datasets (COHORT_TEST_DATA / COHORT_DATA), or "" when none.
std::string data_dir();
// Scratch directory unique to this test process.
std::string temp_dir();

}  // namespace cohort::test
