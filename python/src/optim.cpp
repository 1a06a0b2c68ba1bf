// cohort.optim: optimisers (optim/sgd.h, optim/adam.h) and learning-rate schedules for custom
// training loops. Parameters are shared handles: step() updates the model's tensors in place.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/array.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "optim/adam.h"
#include "optim/schedule.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"

namespace nb = nanobind;

namespace cohort::python {

namespace {

optim::WarmupMode parse_warmup_mode(const std::string& name) {
  if (name == "sequential") return optim::WarmupMode::sequential;
  if (name == "chained") return optim::WarmupMode::chained;
  throw ValueError(fmt::format("linear_warmup: unknown mode '{}' (sequential or chained)", name));
}

void bind_optimizers(nb::module_& m) {
  nb::class_<optim::Optimizer>(m, "Optimizer")
      .def_prop_ro("name", [](const optim::Optimizer& o) { return std::string(o.name()); })
      .def("step", &optim::Optimizer::step, release_gil())
      .def("zero_grad", &optim::Optimizer::zero_grad, nb::arg("set_to_none") = true)
      .def("lr", &optim::Optimizer::lr, nb::arg("group") = 0)
      .def("set_lr", &optim::Optimizer::set_lr, nb::arg("group"), nb::arg("lr"))
      .def("params", &optim::Optimizer::all_params);

  nb::class_<optim::SGD, optim::Optimizer>(m, "SGD")
      .def("__init__", [](optim::SGD* self, std::vector<Tensor> params, double lr, double momentum,
                          double dampening, bool nesterov, double weight_decay) {
             new (self) optim::SGD(std::move(params), {lr, momentum, dampening, nesterov, weight_decay});
           }, nb::arg("params"), nb::arg("lr"), nb::arg("momentum") = 0.0, nb::arg("dampening") = 0.0,
           nb::arg("nesterov") = false, nb::arg("weight_decay") = 0.0);
  nb::class_<optim::Adam, optim::Optimizer>(m, "Adam")
      .def("__init__", [](optim::Adam* self, std::vector<Tensor> params, double lr,
                          std::array<double, 2> betas, double eps, double weight_decay, bool amsgrad) {
             new (self) optim::Adam(std::move(params), {lr, betas, eps, weight_decay, amsgrad});
           }, nb::arg("params"), nb::arg("lr") = 1e-3, nb::arg("betas") = std::array<double, 2>{0.9, 0.999},
           nb::arg("eps") = 1e-8, nb::arg("weight_decay") = 0.0, nb::arg("amsgrad") = false);
  nb::class_<optim::AdamW, optim::Adam>(m, "AdamW")
      .def("__init__", [](optim::AdamW* self, std::vector<Tensor> params, double lr,
                          std::array<double, 2> betas, double eps, double weight_decay, bool amsgrad) {
             new (self) optim::AdamW(std::move(params), {lr, betas, eps, weight_decay, amsgrad});
           }, nb::arg("params"), nb::arg("lr") = 1e-3, nb::arg("betas") = std::array<double, 2>{0.9, 0.999},
           nb::arg("eps") = 1e-8, nb::arg("weight_decay") = 1e-2, nb::arg("amsgrad") = false);
}

void bind_schedules(nb::module_& m) {
  nb::class_<optim::Schedule>(m, "Schedule")
      .def("lr", &optim::Schedule::lr, nb::arg("base_lr"), nb::arg("t"))
      .def("__repr__", &optim::Schedule::describe);
  m.def("constant_lr", &optim::constant_lr);
  m.def("step_lr", &optim::step_lr, nb::arg("step_size"), nb::arg("gamma") = 0.1);
  m.def("multi_step", &optim::multi_step, nb::arg("milestones"), nb::arg("gamma") = 0.1);
  m.def("cosine_annealing", &optim::cosine_annealing, nb::arg("T_max"), nb::arg("eta_min") = 0.0);
  m.def("linear_warmup", [](int64_t steps, double start_factor, optim::SchedulePtr after,
                            const std::string& mode) {
          return optim::linear_warmup(steps, start_factor, std::move(after), parse_warmup_mode(mode));
        }, nb::arg("warmup_steps"), nb::arg("start_factor"), nb::arg("after"),
        nb::arg("mode") = "sequential");

  // Keeps its optimiser alive (it holds a reference to it).
  nb::class_<optim::LrScheduler>(m, "LrScheduler")
      .def(nb::init<optim::Optimizer&, optim::SchedulePtr>(), nb::arg("optimizer"), nb::arg("schedule"),
           nb::keep_alive<1, 2>())
      .def("step", &optim::LrScheduler::step)
      .def("get_lr", &optim::LrScheduler::get_lr)
      .def_prop_ro("last_step", &optim::LrScheduler::last_step);
}

}  // namespace

void bind_optim(nb::module_& m) {
  nb::module_ optim = m.def_submodule("optim", "Optimisers and learning-rate schedules (optim/)");
  bind_optimizers(optim);
  bind_schedules(optim);
}

}  // namespace cohort::python
