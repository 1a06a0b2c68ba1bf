// Shared declarations of the nanobind binding files: each file registers one part of the API.
#pragma once

#include <nanobind/nanobind.h>

namespace cohort::python {

// Call guard of every binding that runs kernels, training steps or data loading: other Python
// threads run meanwhile. Arguments are converted before and results after, with the GIL held.
using release_gil = nanobind::call_guard<nanobind::gil_scoped_release>;

void bind_errors(nanobind::module_& m);
void bind_tensor(nanobind::module_& m);
void bind_ops(nanobind::module_& m);
void bind_models(nanobind::module_& m);
void bind_optim(nanobind::module_& m);
void bind_data(nanobind::module_& m);
void bind_train(nanobind::module_& m);
void bind_runtime(nanobind::module_& m);

}  // namespace cohort::python
