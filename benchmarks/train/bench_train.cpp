// Training throughput: images/s and peak memory of one full training step (forward of every
// network, losses, backward, optimiser steps) of the distillation strategies, through the same
// Strategy objects the trainer uses (distill/strategy_registry.h) on a fixed synthetic CIFAR-shaped
// batch (3×32×32, 100 classes). benchmarks/pytorch/train_step.py times the same rows in PyTorch;
// benchmarks/train/run_side_by_side.sh runs both in alternation and prints the table.
//
// Protocol: --warmup steps excluded, then --steps timed steps; the device is synchronised at the
// boundaries of each timed step only (never inside); the median step time is reported.
// images/s = batch / median step time (each network of a cohort sees the whole batch).
// Peak memory: CUDA — the caching allocator's peak allocated bytes over the timed steps; CPU —
// the process's peak resident set (ru_maxrss), so run one row per process for a clean figure.
//
// usage: bench_train [--row NAME|all] [--batch 64] [--device cpu|cuda] [--warmup 5]
//                    [--steps 50] [--profile N] [--json PATH] [--list]
// --profile N: after the timed steps, N more steps with the per-kernel profiler on
// (core/profiler.h) and its table printed — where the time of a step goes.
// CPU threads: OMP_NUM_THREADS (OpenMP in the CPU kernels and Eigen).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "benchmarks/timing.h"
#include "core/backend.h"
#include "core/cuda_info.h"
#include "core/profiler.h"
#include "core/random.h"
#include "distill/config_fields.h"
#include "distill/strategy_registry.h"

using namespace cohort;
using namespace cohort::distill;

namespace {

struct Row {
  std::string name;
  std::string strategy;
  std::vector<std::string> students;
  std::string teacher;     // kd / fsp
  std::string stage;       // the stage to time (kd: "kd", fsp: stage 1 "fsp")
};

// The rows of the throughput table: training throughput side by side with PyTorch.
const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      {"independent-resnet32", "independent", {"resnet32"}, "", ""},
      {"dml-resnet32x2", "dml", {"resnet32", "resnet32"}, "", ""},
      {"dml-resnet32x4", "dml", {"resnet32", "resnet32", "resnet32", "resnet32"}, "", ""},
      {"dml-mobilenet+resnet32", "dml", {"mobilenet", "resnet32"}, "", ""},
      {"kd-wrn28-10-to-resnet32", "kd", {"resnet32"}, "wrn-28-10", "kd"},
      {"fsp1-resnet32-to-resnet14", "fsp", {"resnet14"}, "resnet32", "fsp"},
      {"independent-wrn28-10", "independent", {"wrn-28-10"}, "", ""},
  };
  return r;
}

RunConfig config_for(const Row& row, int64_t batch) {
  RunConfig c;
  c.name = "bench-" + row.name;
  c.seed = 0;
  c.data.batch_size = batch;
  for (size_t i = 0; i < row.students.size(); ++i)
    c.networks.push_back({row.students[i], row.students[i] + "_" + std::to_string(i), ""});
  c.optimizer = {.name = "sgd", .lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 5e-4};
  c.schedule.name = "constant";
  c.strategy.name = row.strategy;
  set_config_value(c, "strategy.temperature", row.strategy == "kd" ? "4" : "1");
  set_config_value(c, "strategy.teacher_model", row.teacher);
  set_config_value(c, "strategy.teacher_epochs", row.teacher.empty() ? "0" : "1");
  set_config_value(c, "strategy.stage1_length", row.strategy == "fsp" ? "1" : "0");
  set_config_value(c, "strategy.stage1_lr", "0.001");
  c.train.epochs = 1;
  return c;
}

nlohmann::json run_row(const Row& row, int64_t batch, Device device, int warmup, int steps, int profile_steps) {
  RunConfig cfg = config_for(row, batch);
  cfg.validate();
  constexpr int64_t kClasses = 100;
  auto strategy = make_strategy(cfg, kClasses, 3, device);
  size_t stage = 0;
  auto stages = strategy->stages();
  if (!row.stage.empty())
    while (stage < stages.size() && stages[stage].name != row.stage) ++stage;
  COHORT_CHECK(stage < stages.size(), "bench_train: row {} has no stage '{}'", row.name, row.stage);
  strategy->begin_stage(stage, {&cfg, 1000});

  // Fresh non-zero inputs; the same batch every step (the loader is benchmarked separately).
  Generator gen(1234);
  data::Batch b;
  b.images = Tensor::randn({batch, 3, 32, 32}, gen).to(device);
  b.labels = Tensor::from_vector(std::vector<int64_t>(static_cast<size_t>(batch)), {batch});
  int64_t* y = b.labels.data<int64_t>();
  for (int64_t i = 0; i < batch; ++i) y[i] = (i * 37) % kClasses;
  b.labels = b.labels.to(device);
  for (int64_t i = 0; i < batch; ++i) b.indices.push_back(i);

  for (int i = 0; i < warmup; ++i) strategy->step(b);
  backend::synchronize(device);
  if (device.is_cuda()) cuda_reset_peak_memory_stats(device.index);  // the timed steps' peak only
  const std::vector<double> ms = bench::times_ms([&] { strategy->step(b); }, 0, steps, device);
  if (profile_steps > 0) {
    profiler::reset();
    profiler::set_enabled(true);
    for (int i = 0; i < profile_steps; ++i) strategy->step(b);
    profiler::set_enabled(false);
    std::printf("per-kernel profile of %s, batch %lld, %d steps (%s):\n%s\n", row.name.c_str(),
                static_cast<long long>(batch), profile_steps, device.str().c_str(), profiler::report(25).c_str());
  }
  const double median = ms[ms.size() / 2];
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double peak_mb = device.is_cuda()
                             ? static_cast<double>(cuda_memory_stats(device.index).peak_allocated_bytes) / (1 << 20)
                             : static_cast<double>(ru.ru_maxrss) / 1024.0;
  return {{"framework", "cohort"}, {"row", row.name}, {"batch", batch}, {"device", device.str()},
          {"steps", steps}, {"median_ms", median}, {"min_ms", ms.front()}, {"max_ms", ms.back()},
          {"images_per_s", 1000.0 * static_cast<double>(batch) / median}, {"peak_mb", peak_mb},
          {"peak_kind", device.is_cuda() ? "cuda peak allocated" : "process max RSS"}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string which = "all", device_name = "cpu", json_path;
  int64_t batch = 64;
  int warmup = 5, steps = 50, profile_steps = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { std::fprintf(stderr, "bench_train: %s needs a value\n", a.c_str()); std::exit(2); }
      return argv[++i];
    };
    if (a == "--row") which = next();
    else if (a == "--batch") batch = std::stoll(next());
    else if (a == "--device") device_name = next();
    else if (a == "--warmup") warmup = std::stoi(next());
    else if (a == "--steps") steps = std::stoi(next());
    else if (a == "--profile") profile_steps = std::stoi(next());
    else if (a == "--json") json_path = next();
    else if (a == "--list") { for (const Row& r : rows()) std::printf("%s\n", r.name.c_str()); return 0; }
    else { std::fprintf(stderr, "bench_train: unknown argument %s (see the header of bench_train.cpp)\n", a.c_str()); return 2; }
  }
  Device device = Device::parse(device_name);
  if (device.is_cuda() && !cuda_is_available()) {
    std::printf("bench_train: no usable CUDA device (%s); skipping\n", cuda_unavailable_reason().c_str());
    return 77;
  }
  if (steps < 1 || warmup < 0) { std::fprintf(stderr, "bench_train: --steps must be >= 1\n"); return 2; }

  nlohmann::json results = nlohmann::json::array();
  std::printf("%-28s %6s %10s %10s %10s\n", "row", "batch", "ms/step", "images/s", "peak MB");
  bool found = false;
  for (const Row& r : rows()) {
    if (which != "all" && which != r.name) continue;
    found = true;
    nlohmann::json j = run_row(r, batch, device, warmup, steps, profile_steps);
    std::printf("%-28s %6lld %10.2f %10.1f %10.1f\n", r.name.c_str(), static_cast<long long>(batch),
                j["median_ms"].get<double>(), j["images_per_s"].get<double>(), j["peak_mb"].get<double>());
    std::fflush(stdout);
    results.push_back(j);
  }
  if (!found) { std::fprintf(stderr, "bench_train: no row named '%s' (--list)\n", which.c_str()); return 2; }
  if (!json_path.empty()) std::ofstream(json_path) << results.dump(2) << "\n";
  return 0;
}
