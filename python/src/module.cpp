// The `cohort._cohort` extension module; python/cohort/__init__.py re-exports it.
#include "bindings.h"

NB_MODULE(_cohort, m) {
  m.doc() = "cohort's C++ core (tensors, autograd, ops, models); import `cohort` instead";
  cohort::python::bind_errors(m);
  cohort::python::bind_tensor(m);
  cohort::python::bind_ops(m);
  cohort::python::bind_models(m);
  cohort::python::bind_optim(m);
  cohort::python::bind_data(m);
  cohort::python::bind_train(m);
  cohort::python::bind_runtime(m);
}
