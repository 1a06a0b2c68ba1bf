// Whole-model CPU training-step benchmark: one forward + cross-entropy + backward of a batch
// (f32, random images and labels, training mode) for the registry's models, through the full
// autograd path a trainer uses. Median of --runs timed steps after --warmup untimed ones; the
// optimiser update is not included (see bench_optim). The forward alone is timed the same way.
// Prints a table and, with --json PATH, the same numbers as JSON (read by
// run_models_side_by_side.sh next to benchmarks/pytorch/models_cpu.py).
//
// usage: bench_models [--models resnet32,wrn-16-4,mobilenet] [--classes 100] [--batch 64]
//                     [--runs 5] [--warmup 2] [--json out.json]
// Threads: OpenMP's default (OMP_NUM_THREADS).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/losses.h"
#include "layers/flops.h"
#include "layers/models/registry.h"
#include "benchmarks/timing.h"

using namespace cohort;

namespace {

using cohort::bench::median_ms;

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Result {
  std::string name;
  int64_t parameters;
  double gflop_fwd;  // per batch, conv + linear (FlopCounter)
  double fwd_ms, step_ms;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> models{"resnet32", "wrn-16-4", "mobilenet"};
  int64_t batch = 64, classes = 100;
  int runs = 5, warmup = 2;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    auto next = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_models: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--models")) models = split(next("--models"));
    else if (!std::strcmp(argv[i], "--classes")) classes = std::atoll(next("--classes"));
    else if (!std::strcmp(argv[i], "--batch")) batch = std::atoll(next("--batch"));
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(next("--runs"));
    else if (!std::strcmp(argv[i], "--warmup")) warmup = std::atoi(next("--warmup"));
    else if (!std::strcmp(argv[i], "--json")) json_path = next("--json");
    else {
      std::fprintf(stderr,
                   "usage: bench_models [--models a,b] [--classes N] [--batch N] [--runs N] "
                   "[--warmup N] [--json PATH]\n");
      return 2;
    }
  }
  if (runs < 1 || batch < 1) {
    std::fprintf(stderr, "bench_models: --runs and --batch must be positive\n");
    return 2;
  }
  const int threads = omp_get_max_threads();
  std::printf("cohort CPU training step (forward + cross-entropy + backward), f32, batch %lld, "
              "%lld classes, %d threads, median of %d runs after %d warm-up\n",
              static_cast<long long>(batch), static_cast<long long>(classes), threads, runs, warmup);
  std::printf("%-12s %10s %10s %10s %10s %10s %9s\n", "model", "params", "GFLOP fwd", "fwd ms",
              "step ms", "images/s", "GFLOP/s");

  std::vector<Result> results;
  try {
    for (const std::string& name : models) {
      Generator gen(0);
      auto model = nn::make_model(name, classes, nn::ModelOptions{}, gen);
      model->train();
      const int64_t size = model->input_size() == 224 ? 32 : model->input_size();
      Tensor x = Tensor::randn({batch, model->in_channels(), size, size}, gen);
      std::vector<int64_t> label_values(static_cast<size_t>(batch));
      for (int64_t i = 0; i < batch; ++i) label_values[static_cast<size_t>(i)] = i % classes;
      Tensor labels = Tensor::from_vector(label_values, {batch});

      Result r{name, model->num_parameters(), 0.0, 0.0, 0.0};
      {
        NoGradGuard no_grad;
        nn::FlopCounter counter;
        model->forward(x);
        r.gflop_fwd = static_cast<double>(counter.flops()) / 1e9;
      }
      r.fwd_ms = median_ms([&] {
        NoGradGuard no_grad;
        model->forward(x);
      }, warmup, runs);
      r.step_ms = median_ms([&] {
        model->zero_grad();
        ops::cross_entropy(model->forward(x), labels).backward();
      }, warmup, runs);
      // Backward costs about twice the forward: 3x the forward FLOPs per step.
      std::printf("%-12s %9.2fM %10.2f %10.1f %10.1f %10.1f %9.1f\n", name.c_str(),
                  static_cast<double>(r.parameters) / 1e6, r.gflop_fwd, r.fwd_ms, r.step_ms,
                  static_cast<double>(batch) / (r.step_ms / 1e3), 3 * r.gflop_fwd / (r.step_ms / 1e3));
      std::fflush(stdout);
      results.push_back(r);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_models: %s\n", e.what());
    return 1;
  }

  if (!json_path.empty()) {
    std::ofstream f(json_path);
    f << "{\"framework\": \"cohort\", \"threads\": " << threads << ", \"batch\": " << batch
      << ", \"classes\": " << classes << ", \"runs\": " << runs << ", \"models\": [\n";
    for (size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      f << "  {\"name\": \"" << r.name << "\", \"parameters\": " << r.parameters
        << ", \"gflop_fwd\": " << r.gflop_fwd << ", \"fwd_ms\": " << r.fwd_ms
        << ", \"step_ms\": " << r.step_ms << "}" << (i + 1 < results.size() ? ",\n" : "\n");
    }
    f << "]}\n";
    std::printf("wrote %s\n", json_path.c_str());
  }
  return 0;
}
