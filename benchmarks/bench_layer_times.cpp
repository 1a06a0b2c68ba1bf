// Per-layer timing (like `caffe time`): forward and backward time of every leaf layer of a model
// (convolutions, batch norms, linear, pools) on the chosen device, each layer re-run on its own
// with the input it received in a traced forward pass (layers/layer_trace.h), plus the whole
// model's forward and forward+backward for comparison. What the layers do not account for is the
// glue between them (ReLUs and residual additions as ops, the loss).
//
// usage: bench_layer_times [--model resnet32] [--batch 64] [--device cpu|cuda] [--runs 10]
//                          [--classes 100] [--json PATH]
// Backward of a layer = the autograd backward of its output with a fixed random gradient (the
// gradients w.r.t. its input and its parameters). Medians of --runs after one warm-up; the
// device is synchronised around each timed call.
#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "benchmarks/timing.h"
#include "core/autograd.h"
#include "core/backend.h"
#include "core/cuda_info.h"
#include "core/ops/losses.h"
#include "core/random.h"
#include "layers/layer_trace.h"
#include "layers/models/registry.h"

using namespace cohort;

namespace {

// Dotted name of every module of the tree ("layer1.0.conv1").
void collect_names(const nn::Module& m, const std::string& prefix, std::map<const nn::Module*, std::string>& out) {
  out[&m] = prefix.empty() ? "(model)" : prefix;
  for (const auto& [name, child] : m.named_children())
    collect_names(*child, prefix.empty() ? name : prefix + "." + name, out);
}

std::string type_of(const nn::Layer& layer) {
  // "cohort::nn::Conv2d" -> "Conv2d"
  int status = 0;
  char* full = abi::__cxa_demangle(typeid(layer).name(), nullptr, nullptr, &status);
  std::string t = status == 0 && full ? full : typeid(layer).name();
  std::free(full);
  const size_t colon = t.rfind("::");
  return colon == std::string::npos ? t : t.substr(colon + 2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_name = "resnet32", device_name = "cpu", json_path;
  int64_t batch = 64, classes = 100;
  int runs = 10;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::fprintf(stderr, "bench_layer_times: %s needs a value\n", a.c_str()); std::exit(2); }
      return argv[++i];
    };
    if (a == "--model") model_name = next();
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--device") device_name = next();
    else if (a == "--runs") runs = std::stoi(next());
    else if (a == "--classes") classes = std::stoll(next());
    else if (a == "--json") json_path = next();
    else { std::fprintf(stderr, "bench_layer_times: unknown argument %s (see the header of the source)\n", a.c_str()); return 2; }
  }
  Device device = Device::parse(device_name);
  if (device.is_cuda() && !cuda_is_available()) {
    std::printf("bench_layer_times: no usable CUDA device (%s); skipping\n", cuda_unavailable_reason().c_str());
    return 77;
  }
  Generator gen(0);
  auto model = nn::make_model(model_name, classes, nn::ModelOptions{}, gen);
  model->to(device);
  model->train();
  Tensor x = Tensor::randn({batch, model->in_channels(), model->input_size(), model->input_size()}, gen).to(device);
  Tensor y = Tensor::zeros({batch}, DType::i64).to(device);

  std::vector<nn::TracedCall> calls;
  {
    nn::LayerTrace trace;
    NoGradGuard no_grad;
    model->forward(x);
    calls = trace.calls();
  }
  std::map<const nn::Module*, std::string> names;
  collect_names(*model, "", names);

  std::printf("per-layer times of %s, batch %lld, %s, median of %d runs\n", model_name.c_str(),
              static_cast<long long>(batch), device.str().c_str(), runs);
  std::printf("%-4s %-28s %-12s %-18s %9s %9s\n", "#", "layer", "type", "input", "fwd ms", "bwd ms");
  nlohmann::json layers = nlohmann::json::array();
  double fwd_sum = 0, bwd_sum = 0;
  std::map<std::string, std::pair<double, double>> by_type;
  for (size_t i = 0; i < calls.size(); ++i) {
    nn::Layer& layer = *calls[i].layer;
    Tensor in = calls[i].input.clone();
    in.requires_grad_(true);
    const double fwd = bench::median_ms([&] { NoGradGuard g; layer.forward(in); }, 1, runs, device);
    Tensor probe = layer.forward(in);
    Tensor grad = Tensor::randn(probe.shape(), gen).to(device);
    // Backward alone: a fresh graph per run (built outside the timed region).
    std::vector<Tensor> outs;
    for (int r = 0; r <= runs; ++r) outs.push_back(layer.forward(in));
    size_t next_out = 0;
    const double bwd = bench::median_ms([&] { outs.at(next_out++).backward(grad); }, 1, runs, device);
    const std::string name = names.count(&layer) ? names[&layer] : "(unregistered)";
    const std::string type = type_of(layer);
    std::printf("%-4zu %-28s %-12s %-18s %9.3f %9.3f\n", i, name.c_str(), type.c_str(),
                shape_str(in.shape()).c_str(), fwd, bwd);
    fwd_sum += fwd, bwd_sum += bwd;
    by_type[type].first += fwd, by_type[type].second += bwd;
    layers.push_back({{"layer", name}, {"type", type}, {"input", in.shape()}, {"fwd_ms", fwd}, {"bwd_ms", bwd}});
  }
  const double model_fwd = bench::median_ms([&] { NoGradGuard g; model->forward(x); }, 1, runs, device);
  const double model_step = bench::median_ms([&] {
    model->zero_grad();
    ops::cross_entropy(model->forward(x), y).backward();
  }, 1, runs, device);
  std::printf("\nby layer type:\n");
  for (const auto& [type, t] : by_type)
    std::printf("  %-12s fwd %9.3f ms  bwd %9.3f ms  (%.1f%% of the model's forward+backward)\n", type.c_str(),
                t.first, t.second, 100.0 * (t.first + t.second) / model_step);
  std::printf("\nlayers in isolation: fwd %.3f ms, bwd %.3f ms, total %.3f ms\n", fwd_sum, bwd_sum, fwd_sum + bwd_sum);
  std::printf("whole model: forward %.3f ms, forward + loss + backward %.3f ms; outside the layers "
              "(activations, residual adds, loss, autograd bookkeeping): %.3f ms\n",
              model_fwd, model_step, model_step - fwd_sum - bwd_sum);
  if (!json_path.empty())
    std::ofstream(json_path) << nlohmann::json{{"model", model_name}, {"batch", batch}, {"device", device.str()},
                                               {"layers", layers}, {"model_forward_ms", model_fwd},
                                               {"model_step_ms", model_step}}.dump(2)
                             << "\n";
  return 0;
}
