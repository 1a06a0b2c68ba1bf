// Whole models with channels-last activations on the CPU (layers/activation_layout.h) against
// the same models run NCHW: logits, every feature tap, every parameter gradient and the
// running statistics after a training step, in one process (set_cpu_layout).
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/random.h"
#include "layers/activation_layout.h"
#include "layers/layer_trace.h"
#include "layers/models/registry.h"
#include "tests/support/tolerance.h"

using namespace cohort;

namespace {

// Restores the process-wide layout setting when a test ends.
class LayoutSetting {
 public:
  LayoutSetting() : saved_(nn::cpu_layout()) {}
  ~LayoutSetting() { nn::set_cpu_layout(saved_); }

 private:
  nn::CpuLayout saved_;
};

struct StepResult {
  Tensor logits;
  std::vector<Tensor> features;
  std::vector<std::pair<std::string, Tensor>> grads, buffers;
};

// One training forward + backward of sum(logits · R) + Σ sum(feature · R_i) from fixed weights,
// in `dtype` (f64 always runs NCHW: it never reaches oneDNN).
StepResult train_step(const std::string& name, const nn::ModelOptions& options, nn::CpuLayout layout,
                      DType dtype = DType::f32) {
  nn::set_cpu_layout(layout);
  Generator gen(11);
  auto model = nn::make_model(name, 10, options, gen);
  model->to(dtype);
  model->train();
  Tensor x = Tensor::randn({4, model->in_channels(), 32, 32}, gen).to(dtype);
  nn::ModelOutput out = model->forward_features(x);
  Tensor loss = ops::sum(ops::mul(out.logits, Tensor::randn(out.logits.shape(), gen).to(dtype)));
  for (const Tensor& f : out.features)
    loss = ops::add(loss, ops::sum(ops::mul(f, Tensor::randn(f.shape(), gen).to(dtype))));
  loss.backward();
  StepResult r{out.logits.detach(), {}, {}, {}};
  for (const Tensor& f : out.features) r.features.push_back(f.detach());
  for (const auto& [param, value] : model->named_parameters()) r.grads.emplace_back(param, value.grad());
  for (const auto& [buffer, value] : model->named_buffers()) r.buffers.emplace_back(buffer, value.clone());
  return r;
}

// ||got - ref|| / ||ref|| (L2, in f64).
double relative_error(const Tensor& got, const Tensor& ref) {
  const std::vector<double> g = got.to(DType::f64).to_vector<double>(), r = ref.to(DType::f64).to_vector<double>();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    diff += (g[i] - r[i]) * (g[i] - r[i]);
    norm += r[i] * r[i];
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

}  // namespace

TEST_CASE("models run channels last on the CPU when oneDNN does the f32 convolutions", "[layers][channels_last]") {
  LayoutSetting restore;
  nn::set_cpu_layout(nn::CpuLayout::nhwc);
  const bool onednn = ops::cpu_conv_uses_onednn();
  CHECK(nn::channels_last_for(Tensor::zeros({1, 3, 8, 8})) == onednn);
  CHECK_FALSE(nn::channels_last_for(Tensor::zeros({1, 3, 8, 8}, DType::f64)));
  nn::set_cpu_layout(nn::CpuLayout::nchw);
  CHECK_FALSE(nn::channels_last_for(Tensor::zeros({1, 3, 8, 8})));
}

TEST_CASE("COHORT_CPU_LAYOUT values", "[layers][channels_last]") {
  CHECK(nn::parse_cpu_layout(nullptr) == nn::CpuLayout::nhwc);
  CHECK(nn::parse_cpu_layout("") == nn::CpuLayout::nhwc);
  CHECK(nn::parse_cpu_layout("nhwc") == nn::CpuLayout::nhwc);
  CHECK(nn::parse_cpu_layout("nchw") == nn::CpuLayout::nchw);
  REQUIRE_THROWS_WITH(nn::parse_cpu_layout("NHWC"),
                      Catch::Contains("COHORT_CPU_LAYOUT='NHWC'") && Catch::Contains("'nchw'"));
}

// The f32 runs are compared with each other where rounding stays small (logits, features), and
// with an f64 run where it does not: BatchNorm backward over a 2x2 map of a batch of 4
// (MobileNet's last stages) and ReLU masks near zero amplify it, in either layout. There the
// channels-last error must be of the NCHW error's size.
TEST_CASE("channels-last models match NCHW: logits, features, gradients, running statistics",
          "[layers][channels_last]") {
  LayoutSetting restore;
  nn::ModelOptions option_b, dropout, narrow;
  option_b.shortcut_b = true;
  dropout.dropout = 0.3;  // WRN with dropout stays NCHW (its mask is drawn by element index)
  narrow.width = 0.25;
  for (const auto& [name, options] : std::vector<std::pair<std::string, nn::ModelOptions>>{
           {"resnet8", {}}, {"resnet14", option_b}, {"wrn-10-2", {}}, {"wrn-10-2", dropout}, {"mobilenet", narrow}}) {
    INFO(name << (options.shortcut_b ? " (option B)" : "") << (options.dropout > 0 ? " (dropout)" : ""));
    const StepResult ref = train_step(name, options, nn::CpuLayout::nchw, DType::f64);
    const StepResult nchw = train_step(name, options, nn::CpuLayout::nchw);
    const StepResult nhwc = train_step(name, options, nn::CpuLayout::nhwc);
    CHECK_CLOSE(nhwc.logits, nchw.logits, 1e-4, 1e-4);
    REQUIRE(nhwc.features.size() == nchw.features.size());
    for (size_t i = 0; i < nchw.features.size(); ++i) {
      INFO("feature " << i);
      REQUIRE(nhwc.features[i].shape() == nchw.features[i].shape());
      CHECK_CLOSE(nhwc.features[i], nchw.features[i], 1e-4, 1e-4);
    }
    auto check_against_f64 = [](const auto& got, const auto& nchw_got, const auto& f64) {
      REQUIRE(got.size() == f64.size());
      for (size_t i = 0; i < f64.size(); ++i) {
        const double err = relative_error(got[i].second, f64[i].second);
        const double nchw_err = relative_error(nchw_got[i].second, f64[i].second);
        INFO(f64[i].first << ": channels-last error " << err << ", NCHW error " << nchw_err);
        CHECK(err <= 4 * nchw_err + 1e-6);
      }
    };
    check_against_f64(nhwc.grads, nchw.grads, ref.grads);
    check_against_f64(nhwc.buffers, nchw.buffers, ref.buffers);
  }
}

TEST_CASE("the layer trace of a channels-last forward records NCHW inputs", "[layers][channels_last]") {
  LayoutSetting restore;
  Generator gen(3);
  auto model = nn::make_model("resnet8", 10, {}, gen);
  model->eval();
  std::vector<Shape> shapes[2];
  for (int i = 0; i < 2; ++i) {
    nn::set_cpu_layout(i == 0 ? nn::CpuLayout::nchw : nn::CpuLayout::nhwc);
    nn::LayerTrace trace;
    NoGradGuard no_grad;
    model->forward(Tensor::randn({2, 3, 32, 32}, gen));
    for (const nn::TracedCall& call : trace.calls()) shapes[i].push_back(call.input.shape());
  }
  REQUIRE(shapes[0] == shapes[1]);
}
