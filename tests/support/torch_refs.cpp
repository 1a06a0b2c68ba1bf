#include "tests/support/torch_refs.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace cohort::test {

std::string torch_reference_path(const std::string& name) {
  const char* dir = std::getenv("COHORT_TORCH_REFS");
  if (dir == nullptr)
    FAIL("COHORT_TORCH_REFS is unset: run the tests through ctest, which generates the PyTorch "
         "references first (needs python3-torch: scripts/install-deps.sh)");
  std::string path = std::string(dir) + "/" + name + ".safetensors";
  INFO("PyTorch reference " << path << " is missing: did the torch_references fixture fail?");
  REQUIRE(std::filesystem::exists(path));
  return path;
}

safetensors::Contents torch_reference(const std::string& name) {
  return safetensors::load(torch_reference_path(name));
}

std::string torch_python() {
  const char* python = std::getenv("COHORT_TORCH_PYTHON");
  return python && *python ? python : "/usr/bin/python3";
}

std::string data_dir() {
  for (const char* var : {"COHORT_TEST_DATA", "COHORT_DATA"}) {
    const char* v = std::getenv(var);
    if (v && *v && std::filesystem::is_directory(v)) return v;
  }
  return "";
}

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("cohort-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace cohort::test
