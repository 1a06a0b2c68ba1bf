// cohort info: what this build can do and what data it sees.
#include <filesystem>

#include "core/backend.h"
#include "datasets/factory.h"
#include "examples/cli/commands.h"

namespace cohort::cli {

Command add_info(CLI::App&) {
  return [] {
    std::printf("cohort %s\n", COHORT_VERSION);
#ifdef COHORT_WITH_CUDA
    std::printf("CUDA backend: built\n");
#else
    std::printf("CUDA backend: not built (no nvcc/cuBLAS/cuDNN at configure time)\n");
#endif
    std::printf("%s\n", backend::device_report().c_str());
    std::string root = data::data_root();
    if (root.empty()) {
      std::printf("data: COHORT_DATA is not set (training falls back to the synthetic dataset)\n");
    } else {
      std::printf("data: COHORT_DATA=%s\n", root.c_str());
      for (const char* sub : {"cifar-10-batches-bin", "cifar-100-binary", "mnist", "fashion-mnist",
                              "Market-1501-v15.09.15"})
        std::printf("  %-24s %s\n", sub, std::filesystem::exists(root + "/" + sub) ? "found" : "-");
    }
    return 0;
  };
}

}  // namespace cohort::cli
