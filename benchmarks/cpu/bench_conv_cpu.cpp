// CPU conv2d micro-benchmark: forward, backward-data and backward-weight of the ResNet-20
// (CIFAR) 3x3 convolutions at batch 64, f32, timed through the cohort::cpu kernels (no autograd
// overhead). Median of --runs timed runs after --warmup untimed ones. Prints a table and, with
// --json PATH, writes the same numbers as JSON (read by run_conv_side_by_side.sh).
//
// usage: bench_conv_cpu [--batch 64] [--runs 7] [--warmup 2] [--json out.json]
// Threads: OpenMP's default (OMP_NUM_THREADS).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/tensor.h"
#include "kernels/cpu/nn.h"
#include "benchmarks/timing.h"

using namespace cohort;

namespace {

struct ConvShape {
  const char* name;
  int64_t in_channels, out_channels, size, stride;
};

// The distinct 3x3/pad-1 convolutions of ResNet-20 on 32x32 CIFAR images.
const std::vector<ConvShape> kShapes{
    {"3->16 32x32", 3, 16, 32, 1},   {"16->16 32x32", 16, 16, 32, 1},
    {"16->32 s2", 16, 32, 32, 2},    {"32->32 16x16", 32, 32, 16, 1},
    {"32->64 s2", 32, 64, 16, 2},    {"64->64 8x8", 64, 64, 8, 1},
};

using cohort::bench::median_ms;

struct Result {
  std::string name;
  double fwd, bwd_data, bwd_weight, gflop;  // ms, ms, ms, GFLOP per pass
};

}  // namespace

int main(int argc, char** argv) {
  int64_t batch = 64;
  int runs = 7, warmup = 2;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    auto next = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_conv_cpu: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--batch")) batch = std::atoll(next("--batch"));
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(next("--runs"));
    else if (!std::strcmp(argv[i], "--warmup")) warmup = std::atoi(next("--warmup"));
    else if (!std::strcmp(argv[i], "--json")) json_path = next("--json");
    else {
      std::fprintf(stderr, "usage: bench_conv_cpu [--batch N] [--runs N] [--warmup N] [--json PATH]\n");
      return 2;
    }
  }
  const int threads = omp_get_max_threads();
  std::printf("cohort CPU conv2d, f32, batch %lld, 3x3 pad 1, %d threads, median of %d runs\n",
              static_cast<long long>(batch), threads, runs);
  std::printf("%-14s %10s %10s %10s %10s %10s\n", "shape", "fwd ms", "bwd-x ms", "bwd-w ms",
              "total ms", "GFLOP/s");

  std::vector<Result> results;
  Generator gen(0);
  for (const ConvShape& s : kShapes) {
    Conv2dParams p;
    p.stride_h = p.stride_w = s.stride;
    p.pad_h = p.pad_w = 1;
    const int64_t out = conv_out_size(s.size, 3, s.stride, 1, 1);
    Tensor x = Tensor::randn({batch, s.in_channels, s.size, s.size}, gen);
    Tensor w = Tensor::randn({s.out_channels, s.in_channels, 3, 3}, gen);
    Tensor y = Tensor::empty({batch, s.out_channels, out, out});
    Tensor gy = Tensor::randn(y.shape(), gen);
    Tensor gx = Tensor::empty(x.shape()), gw = Tensor::empty(w.shape());
    Result r;
    r.name = s.name;
    r.fwd = median_ms([&] { cpu::conv2d_forward(x, w, Tensor(), y, p); }, warmup, runs);
    r.bwd_data = median_ms([&] { cpu::conv2d_backward_data(gy, w, gx, p); }, warmup, runs);
    r.bwd_weight = median_ms([&] { cpu::conv2d_backward_weight(gy, x, gw, p); }, warmup, runs);
    r.gflop = 2.0 * static_cast<double>(batch * s.out_channels * out * out * s.in_channels * 9) / 1e9;
    const double total = r.fwd + r.bwd_data + r.bwd_weight;
    std::printf("%-14s %10.2f %10.2f %10.2f %10.2f %10.1f\n", s.name, r.fwd, r.bwd_data,
                r.bwd_weight, total, 3 * r.gflop / (total / 1e3));
    results.push_back(r);
  }

  if (!json_path.empty()) {
    std::ofstream f(json_path);
    f << "{\"framework\": \"cohort\", \"threads\": " << threads << ", \"batch\": " << batch
      << ", \"runs\": " << runs << ", \"shapes\": [\n";
    for (size_t i = 0; i < results.size(); ++i) {
      const Result& r = results[i];
      f << "  {\"name\": \"" << r.name << "\", \"fwd_ms\": " << r.fwd << ", \"bwd_data_ms\": "
        << r.bwd_data << ", \"bwd_weight_ms\": " << r.bwd_weight << ", \"gflop_per_pass\": "
        << r.gflop << "}" << (i + 1 < results.size() ? ",\n" : "\n");
    }
    f << "]}\n";
    std::printf("wrote %s\n", json_path.c_str());
  }
  return 0;
}
