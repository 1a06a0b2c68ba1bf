// C++ exceptions -> Python exceptions, message unchanged:
//   cohort::ValueError -> ValueError, cohort::IOError -> OSError, cohort::BackendError and
//   any other cohort::Error -> RuntimeError. nanobind itself maps std::invalid_argument etc.
// TypeError is raised by nanobind when an argument has the wrong Python type.
#include <nanobind/nanobind.h>

#include "bindings.h"
#include "core/error.h"

namespace nb = nanobind;

namespace cohort::python {

void bind_errors(nb::module_& m) {
  (void)m;
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const cohort::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const cohort::IOError& e) {
      PyErr_SetString(PyExc_OSError, e.what());
    } catch (const cohort::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

}  // namespace cohort::python
