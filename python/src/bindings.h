// Shared declarations of the nanobind binding files: each file registers one part of the API.
#pragma once

#include <nanobind/nanobind.h>

namespace cohort::python {

void bind_errors(nanobind::module_& m);
void bind_tensor(nanobind::module_& m);
void bind_ops(nanobind::module_& m);
void bind_models(nanobind::module_& m);
void bind_optim(nanobind::module_& m);
void bind_data(nanobind::module_& m);
void bind_runtime(nanobind::module_& m);

}  // namespace cohort::python
