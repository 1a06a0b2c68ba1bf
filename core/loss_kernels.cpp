#include "core/loss_kernels.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/error.h"

namespace cohort {

namespace {
std::atomic<LossKernels>& selected() {
  static std::atomic<LossKernels> kernels{parse_loss_kernels(std::getenv("COHORT_LOSS_KERNELS"))};
  return kernels;
}
}  // namespace

LossKernels parse_loss_kernels(const char* value) {
  const std::string v = value ? value : "";
  if (v.empty() || v == "simple") return LossKernels::simple;
  if (v == "lab") return LossKernels::lab;
  throw ValueError(fmt::format("COHORT_LOSS_KERNELS must be 'simple' or 'lab', got '{}'", v));
}

LossKernels loss_kernels() { return selected().load(); }
void set_loss_kernels(LossKernels kernels) { selected().store(kernels); }

}  // namespace cohort
