#include "layers/models/registry.h"

#include <charconv>
#include <optional>

#include "core/autograd.h"
#include "layers/flops.h"
#include "layers/models/cnn_small.h"
#include "layers/models/mobilenet.h"
#include "layers/models/resnet_cifar.h"
#include "layers/models/resnet_imagenet.h"
#include "layers/models/wrn.h"

namespace cohort::nn {

namespace {

// Canonical decimal only ("20", not "020"): the built model's name() must be the name asked for.
std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  if (std::to_string(v) != s) return std::nullopt;
  return v;
}

[[noreturn]] void unknown_model(const std::string& name) {
  throw ValueError(fmt::format(
      "make_model: unknown model '{}'; known models: {} (resnetD for any D = 6n+2, wrn-D-K for "
      "any D = 6n+4, K >= 1)",
      name, fmt::join(model_names(), ", ")));
}

}  // namespace

ModelSpec parse_model_name(const std::string& name) {
  using F = ModelSpec::Family;
  if (name == "mobilenet") return {F::mobilenet};
  if (name == "cnn-small") return {F::cnn_small};
  if (name == "resnet18" || name == "resnet34") return {F::imagenet_resnet, name == "resnet18" ? 18 : 34};
  if (name.rfind("resnet", 0) == 0) {
    auto depth = parse_int(std::string_view(name).substr(6));
    if (!depth || *depth < 8 || (*depth - 2) % 6 != 0) unknown_model(name);
    return {F::cifar_resnet, *depth};
  }
  if (name.rfind("wrn-", 0) == 0) {
    std::string_view rest = std::string_view(name).substr(4);
    const size_t dash = rest.find('-');
    if (dash == std::string_view::npos) unknown_model(name);
    auto depth = parse_int(rest.substr(0, dash));
    auto widen = parse_int(rest.substr(dash + 1));
    if (!depth || !widen || *depth < 10 || (*depth - 4) % 6 != 0 || *widen < 1) unknown_model(name);
    return {F::wrn, *depth, *widen};
  }
  unknown_model(name);
}

std::shared_ptr<Model> make_model(const std::string& name, int64_t num_classes,
                                  const ModelOptions& options, Generator& gen) {
  COHORT_CHECK(options.in_channels > 0, "make_model({}): in_channels must be positive, got {}",
               name, options.in_channels);
  const ModelSpec spec = parse_model_name(name);
  switch (spec.family) {
    case ModelSpec::Family::mobilenet:
      return std::make_shared<MobileNet>(num_classes, options.in_channels, options.width, gen);
    case ModelSpec::Family::cnn_small: return std::make_shared<CnnSmall>(num_classes, options.in_channels, gen);
    case ModelSpec::Family::imagenet_resnet:
      return std::make_shared<ImageNetResNet>(spec.depth, num_classes, options.in_channels, gen);
    case ModelSpec::Family::cifar_resnet:
      return std::make_shared<CifarResNet>(spec.depth, num_classes, options.in_channels, options.shortcut_b, gen);
    case ModelSpec::Family::wrn:
      return std::make_shared<WideResNet>(spec.depth, spec.widen, num_classes, options.in_channels, options.dropout,
                                          gen);
  }
  unknown_model(name);
}

std::vector<std::string> model_names() {
  return {"resnet8",  "resnet14", "resnet20", "resnet26",  "resnet32",  "resnet44",
          "resnet56", "resnet110", "wrn-16-1", "wrn-16-2", "wrn-16-4", "wrn-16-8",
          "wrn-28-10", "wrn-40-2", "mobilenet", "resnet18", "resnet34", "cnn-small"};
}

ModelSummary model_summary(const std::string& name, int64_t num_classes) {
  Generator gen(0);
  auto model = make_model(name, num_classes, ModelOptions{}, gen);
  model->eval();
  ModelSummary summary{name, model->num_parameters(), 0};
  NoGradGuard no_grad;
  FlopCounter counter;
  model->forward(Tensor::zeros({1, model->in_channels(), 32, 32}));
  summary.flops = counter.flops();
  return summary;
}

}  // namespace cohort::nn
