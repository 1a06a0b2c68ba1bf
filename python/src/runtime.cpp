// Build and device facts: whether this build has CUDA and whether a GPU is usable.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include "bindings.h"
#include "core/cuda_info.h"

namespace nb = nanobind;

namespace cohort::python {

void bind_runtime(nb::module_& m) {
#ifdef COHORT_WITH_CUDA
  m.attr("built_with_cuda") = true;
#else
  m.attr("built_with_cuda") = false;
#endif
  m.def("cuda_is_available", &cuda_is_available, "A CUDA build and a usable GPU");
  m.def("cuda_unavailable_reason", &cuda_unavailable_reason);
  m.def("cuda_device_count", &cuda_device_count);
}

}  // namespace cohort::python
