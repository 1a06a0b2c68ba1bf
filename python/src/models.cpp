// cohort.models: building models by name, forward passes with the distillation taps, weights.
#include <memory>
#include <string>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.h"
#include "core/random.h"
#include "layers/models/registry.h"
#include "layers/weights.h"

namespace nb = nanobind;

namespace cohort::python {

namespace {

nb::dict to_dict(const NamedTensors& named) {
  nb::dict d;
  for (const auto& [name, t] : named) d[name.c_str()] = t;
  return d;
}

NamedTensors from_dict(const nb::dict& d) {
  NamedTensors named;
  for (auto [key, value] : d) named.emplace_back(nb::cast<std::string>(key), nb::cast<Tensor>(value));
  return named;
}

}  // namespace

void bind_models(nb::module_& m) {
  nb::module_ models = m.def_submodule("models", "Models by name (layers/models/registry.h)");

  nb::class_<nn::Model>(models, "Model")
      .def_prop_ro("name", &nn::Model::name)
      .def_prop_ro("in_channels", &nn::Model::in_channels)
      .def_prop_ro("input_size", &nn::Model::input_size)
      .def("num_parameters", [](const nn::Model& model) { return model.num_parameters(); })
      .def("forward", [](nn::Model& model, const Tensor& x) { return model.forward(x); }, nb::arg("x"),
           release_gil())
      .def("__call__", [](nn::Model& model, const Tensor& x) { return model.forward(x); }, nb::arg("x"),
           release_gil())
      .def("forward_features", [](nn::Model& model, const Tensor& x) {
             nn::ModelOutput out;
             {
               nb::gil_scoped_release unlocked;
               out = model.forward_features(x);
             }
             nb::dict d;
             d["logits"] = out.logits;
             d["features"] = out.features;
             d["embedding"] = out.embedding;
             return d;
           }, nb::arg("x"), "{'logits', 'features' (the FSP/FitNet taps), 'embedding'}")
      .def("fsp_pairs", &nn::Model::fsp_pairs)
      .def("parameters", [](const nn::Model& model) { return model.parameters(); })
      .def("named_parameters", [](const nn::Model& model) { return to_dict(model.named_parameters()); })
      .def("state_dict", [](const nn::Model& model) { return to_dict(model.state_dict()); })
      .def("load_state_dict", [](nn::Model& model, const nb::dict& state, bool strict) {
             model.load_state_dict(from_dict(state), strict);
           }, nb::arg("state"), nb::arg("strict") = true)
      .def("train", [](nn::Model& model, bool on) { model.train(on); }, nb::arg("mode") = true)
      .def("eval", [](nn::Model& model) { model.eval(); })
      .def_prop_ro("training", [](const nn::Model& model) { return model.is_training(); })
      .def("to", [](nn::Model& model, const std::string& device) { model.to(Device::parse(device)); },
           nb::arg("device"), release_gil())
      .def("zero_grad", [](nn::Model& model, bool set_to_none) { model.zero_grad(set_to_none); },
           nb::arg("set_to_none") = true)
      .def("save", [](const nn::Model& model, const std::string& path) { nn::save_weights(model, path); },
           nb::arg("path"), release_gil(), "Writes the state dict as a safetensors file")
      .def("load", [](nn::Model& model, const std::string& path, bool strict) {
             nn::load_weights(model, path, strict);
           }, nb::arg("path"), nb::arg("strict") = true, release_gil());

  models.def("create", [](const std::string& name, int64_t num_classes, uint64_t seed, int64_t in_channels,
                          double width, bool shortcut_b, double dropout) {
               nn::ModelOptions options{in_channels, width, shortcut_b, dropout};
               Generator gen(seed);
               return nn::make_model(name, num_classes, options, gen);
             }, nb::arg("name"), nb::arg("num_classes"), nb::arg("seed") = 0, nb::arg("in_channels") = 3,
             nb::arg("width") = 1.0, nb::arg("shortcut_b") = false, nb::arg("dropout") = 0.0,
             release_gil(), "Builds a model from the registry, parameters initialised from `seed`");
  models.def("list_models", &nn::model_names);
}

}  // namespace cohort::python
