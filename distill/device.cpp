#include "distill/device.h"

#include <fmt/format.h>

#include "core/backend.h"
#include "core/error.h"

namespace cohort::distill {

Device resolve_device(const std::string& spec) {
  if (spec == "auto") return backend::cuda_available() ? Device::cuda(0) : Device::cpu();
  Device d = Device::parse(spec);
  if (d.is_cuda() && !backend::cuda_available())
    throw BackendError(fmt::format("device '{}' requested but no usable CUDA device is present "
                                   "(run `cohort info`)", spec));
  return d;
}

}  // namespace cohort::distill
