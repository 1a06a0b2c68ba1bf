// cohort._train (wrapped by cohort.train in python/cohort/training.py), strategies step by step
// (cohort._Strategy, wrapped by cohort.Strategy) and safetensors files.
//
// A run is configured by the CLI's dotted keys ("optimizer.lr", "networks.0.model"), set one by
// one through distill::set_config_value — the table behind the CLI's YAML loading — so Python
// configs and YAML files mean the same. The run itself goes without the GIL; every progress
// line takes it back to call the Python callback, and every step takes it back to check for
// Ctrl-C, so an interrupt stops the run at its next step (the last checkpoint, written
// atomically, stays valid).
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "core/safetensors.h"
#include "distill/config_fields.h"
#include "distill/config_yaml.h"
#include "distill/device.h"
#include "distill/strategy_registry.h"
#include "distill/trainer.h"

namespace nb = nanobind;

namespace cohort::python {

namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;

// Unknown keys and invalid values are reported by the library as plain Errors; here they are
// what they are to a Python caller, bad input (ValueError), with the same message.
distill::RunConfig make_config(const Settings& settings) {
  try {
    distill::RunConfig cfg;
    for (const auto& [key, value] : settings) distill::set_config_value(cfg, key, value);
    distill::finish_config(cfg);
    return cfg;
  } catch (const ValueError&) {
    throw;
  } catch (const Error& e) {
    throw ValueError(e.what());
  }
}

nb::dict summary_row(const distill::SummaryRow& row) {
  nb::dict d;
  d["network"] = row.network;
  d["parameters"] = row.parameters;
  d["best_top1"] = row.best_top1;
  d["best_epoch"] = row.best_epoch;
  d["final_top1"] = row.final_top1;
  d["final_entropy"] = row.final_entropy;
  return d;
}

nb::dict train(const Settings& settings, const std::string& out_dir, nb::object progress) {
  distill::RunConfig cfg = make_config(settings);
  std::string out = out_dir.empty() ? "runs/" + cfg.name : out_dir;
  std::filesystem::create_directories(out);
  distill::TrainerOptions options;
  options.out_dir = out;
  // No device here: the trainer resolves the config's (distill/device.h).
  options.print = [progress](const std::string& line) {
    nb::gil_scoped_acquire locked;
    if (progress.is_none()) nb::print(line.c_str());
    else progress(line);
    if (PyErr_CheckSignals() != 0) throw nb::python_error();
  };
  // Ctrl-C between progress lines: one GIL round trip per step (microseconds against a step's
  // milliseconds) lets Python run its SIGINT handler, whose KeyboardInterrupt ends the run here.
  options.after_step = [] {
    nb::gil_scoped_acquire locked;
    if (PyErr_CheckSignals() != 0) throw nb::python_error();
  };
  distill::TrainResult result;
  std::string device;
  {
    nb::gil_scoped_release unlocked;
    distill::Trainer trainer(cfg, options);
    device = trainer.device().str();
    result = trainer.run();
  }
  nb::list summary;
  for (const auto& row : result.summary) summary.append(summary_row(row));
  nb::dict d;
  d["out_dir"] = out;
  d["device"] = device;
  d["summary"] = summary;
  d["ensemble_best_top1"] = result.ensemble_best_top1;  // None for a single network
  d["stopped_on_nan"] = result.stopped_on_nan;
  d["message"] = result.message;
  return d;
}

// A strategy with the configuration it was built from (its stages read it when they begin).
struct PyStrategy {
  distill::RunConfig cfg;
  std::unique_ptr<distill::Strategy> strategy;
};

nb::list network_list(const std::vector<distill::Network*>& networks) {
  nb::list out;
  for (distill::Network* n : networks) out.append(nb::make_tuple(n->name, n->model));
  return out;
}

nb::dict step_losses(const distill::StepLosses& losses) {
  auto to_list = [](const std::vector<Tensor>& ts) {
    nb::list out;
    for (const Tensor& t : ts) out.append(t.defined() ? nb::cast(t) : nb::none());
    return out;
  };
  nb::dict d;
  d["ce"] = to_list(losses.ce);
  d["transfer"] = to_list(losses.transfer);
  d["total"] = to_list(losses.total);
  return d;
}

void bind_strategy(nb::module_& m) {
  nb::class_<PyStrategy>(m, "_Strategy")
      .def("__init__", [](PyStrategy* self, const Settings& settings, int64_t num_classes,
                          int64_t in_channels) {
             distill::RunConfig cfg = make_config(settings);
             Device device = distill::resolve_device(cfg.device);
             auto strategy = distill::make_strategy(cfg, num_classes, in_channels, device);
             new (self) PyStrategy{std::move(cfg), std::move(strategy)};
           }, nb::arg("settings"), nb::arg("num_classes"), nb::arg("in_channels"))
      .def_prop_ro("name", [](const PyStrategy& s) { return s.strategy->name(); })
      .def("stages", [](const PyStrategy& s) {
             nb::list out;
             for (const auto& st : s.strategy->stages())
               out.append(nb::make_tuple(st.name, st.length, st.iterations ? "iterations" : "epochs"));
             return out;
           })
      .def("begin_stage", [](PyStrategy& s, size_t index, int64_t steps_per_epoch) {
             s.strategy->begin_stage(index, {&s.cfg, steps_per_epoch});
           }, nb::arg("index"), nb::arg("steps_per_epoch"), release_gil())
      .def("step", [](PyStrategy& s, const Tensor& images, const Tensor& labels) {
             data::Batch batch;
             batch.images = images;
             batch.labels = labels;
             distill::StepLosses losses;
             {
               nb::gil_scoped_release unlocked;
               losses = s.strategy->step(batch);
             }
             return step_losses(losses);
           }, nb::arg("images"), nb::arg("labels"))
      .def("step_schedules", [](PyStrategy& s) {
             for (distill::Network* n : s.strategy->trained())
               if (n->scheduler) n->scheduler->step();
           })
      .def("trained", [](PyStrategy& s) { return network_list(s.strategy->trained()); })
      .def("evaluated", [](PyStrategy& s) { return network_list(s.strategy->evaluated()); });
}

}  // namespace

void bind_train(nb::module_& m) {
  bind_strategy(m);
  m.def("_train", &train, nb::arg("settings"), nb::arg("out_dir"), nb::arg("progress").none());

  m.def("load_safetensors", [](const std::string& path) { return safetensors::load(path).tensors; },
        nb::arg("path"), release_gil(), "{name: Tensor} of a safetensors file (CPU tensors)");
  m.def("save_safetensors", [](const std::string& path, const safetensors::TensorMap& tensors) {
          safetensors::save(path, tensors);
        }, nb::arg("path"), nb::arg("tensors"), release_gil(), "Writes {name: Tensor} atomically");
}

}  // namespace cohort::python
