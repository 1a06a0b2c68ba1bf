// Whole-model parity with PyTorch (tests/python/ref_models.py): the same weights (a PyTorch-
// written safetensors file loaded through nn::load_weights), the same batch; compared are the
// state_dict keys and their order, train-mode logits, taps and embedding, the cross-entropy loss,
// every parameter gradient, every BN buffer after the step and eval-mode logits. In f64 (the
// model converted with to(f64), as PyTorch's .double()) the tolerances only allow summation-
// order differences; in f32 the forward pass is checked at single-precision tolerances.
#include <catch2/catch.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/autograd.h"
#include "core/ops/losses.h"
#include "core/ops/reduce.h"
#include "layers/models/registry.h"
#include "layers/weights.h"
#include "tests/support/tolerance.h"
#include "tests/support/torch_refs.h"

using namespace cohort;

namespace {

struct Case {
  safetensors::Contents ref;
  std::string weights_path;
  std::shared_ptr<nn::Model> model;
};

Tensor get(const safetensors::Contents& ref, const std::string& key) {
  INFO("reference tensor " << key);
  REQUIRE(ref.tensors.count(key) == 1);
  return ref.tensors.at(key);
}

// Builds the case's model from the registry with its metadata's options and loads PyTorch's
// weights into it. The generator seed is unrelated to PyTorch's: every value gets overwritten.
Case load_case(const std::string& key) {
  Case c{test::torch_reference("models_" + key), test::torch_reference_path("models_" + key + "_weights"), {}};
  const auto& meta = c.ref.metadata;
  nn::ModelOptions options;
  options.in_channels = std::stoll(meta.at("in_channels"));
  options.width = std::stod(meta.at("width"));
  options.shortcut_b = meta.at("shortcut_b") == "1";
  Generator gen(99);
  c.model = nn::make_model(meta.at("model"), std::stoll(meta.at("num_classes")), options, gen);
  nn::load_weights(*c.model, c.weights_path);
  return c;
}

// Largest |t| (the scale the absolute part of a tolerance is set against).
double max_abs(const Tensor& t) {
  double m = 0.0;
  for (double v : t.to(DType::f64).to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

void check_f64(const std::string& key) {
  Case c = load_case(key);
  nn::Model& model = *c.model;
  INFO("model " << key);

  // Same keys in the same order as PyTorch's state_dict().
  std::vector<std::string> ours;
  for (const auto& [name, t] : model.state_dict()) ours.push_back(name);
  CHECK(ours == nlohmann::json::parse(c.ref.metadata.at("state_keys")).get<std::vector<std::string>>());

  model.to(DType::f64);
  model.train();
  Tensor x = get(c.ref, "x"), labels = get(c.ref, "labels");
  nn::ModelOutput out = model.forward_features(x);
  Tensor loss = ops::cross_entropy(out.logits, labels);

  // Relative to each tensor's scale: deep nets in f64 differ from PyTorch by ~1e-13 relative.
  auto require_close = [](const std::string& what, const Tensor& got, const Tensor& ref) {
    INFO(what);
    REQUIRE(got.shape() == ref.shape());
    REQUIRE_CLOSE(got, ref, 1e-10 * std::max(1.0, max_abs(ref)), 1e-9);
  };
  require_close("train.logits", out.logits, get(c.ref, "train.logits"));
  require_close("train.embedding", out.embedding, get(c.ref, "train.embedding"));
  REQUIRE(out.features.size() == static_cast<size_t>(std::stoll(c.ref.metadata.at("features"))));
  for (size_t i = 0; i < out.features.size(); ++i)
    require_close("train.features." + std::to_string(i), out.features[i],
                  get(c.ref, "train.features." + std::to_string(i)));
  require_close("loss", loss, get(c.ref, "loss"));

  loss.backward();
  for (const auto& [name, p] : model.named_parameters()) {
    REQUIRE(p.grad().defined());
    require_close("grad." + name, p.grad(), get(c.ref, "grad." + name));
  }
  for (const auto& [name, b] : model.named_buffers()) {
    if (b.dtype() == DType::i64) {
      INFO(name);
      CHECK(b.item<int64_t>() == get(c.ref, "after." + name).item<int64_t>());
    } else {
      require_close("after." + name, b, get(c.ref, "after." + name));
    }
  }

  model.eval();
  NoGradGuard no_grad;
  require_close("eval.logits", model.forward(x), get(c.ref, "eval.logits"));
}

// f32 weights as PyTorch wrote them, f32 compute: logits, loss and the eval logits after the
// step's statistics update agree to single-precision accuracy.
void check_f32(const std::string& key) {
  Case c = load_case(key);
  nn::Model& model = *c.model;
  INFO("model " << key << " (f32)");
  model.train();
  Tensor x = get(c.ref, "x").to(DType::f32), labels = get(c.ref, "labels");
  Tensor logits = model.forward(x);
  CHECK(logits.dtype() == DType::f32);
  Tensor ref = get(c.ref, "train.logits");
  REQUIRE_CLOSE(logits.to(DType::f64), ref, 2e-5 * std::max(1.0, max_abs(ref)), 2e-5);
  REQUIRE_CLOSE(ops::cross_entropy(logits, labels).to(DType::f64), get(c.ref, "loss"), 2e-5, 2e-5);
  model.eval();
  NoGradGuard no_grad;
  ref = get(c.ref, "eval.logits");
  REQUIRE_CLOSE(model.forward(x).to(DType::f64), ref, 2e-5 * std::max(1.0, max_abs(ref)), 2e-5);
}

}  // namespace

TEST_CASE("resnet8 matches PyTorch: logits, taps, loss, gradients, BN statistics (f64)", "[layers][models][torch]") {
  check_f64("resnet8");
}
TEST_CASE("resnet32 matches PyTorch (f64)", "[layers][models][torch]") { check_f64("resnet32"); }
TEST_CASE("wrn-16-2 matches PyTorch (f64)", "[layers][models][torch]") { check_f64("wrn-16-2"); }
TEST_CASE("mobilenet width 0.25 matches PyTorch (f64)", "[layers][models][torch]") {
  check_f64("mobilenet_w0.25");
}
TEST_CASE("cnn-small (1 channel, 28x28) matches PyTorch (f64)", "[layers][models][torch]") {
  check_f64("cnn-small");
}

TEST_CASE("the PyTorch-written f32 weights give PyTorch's logits in f32", "[layers][models][torch]") {
  for (const char* key : {"resnet8", "resnet32", "wrn-16-2", "mobilenet_w0.25", "cnn-small"}) check_f32(key);
}
