// CPU conv2d micro-benchmark: forward, backward-data and backward-weight of the ResNet-20/32
// (CIFAR) 3x3 convolutions at batch 64, f32, timed through the cohort::cpu kernels (no autograd
// overhead, the implementation COHORT_CPU_CONV selects). Median of --runs timed runs after
// --warmup untimed ones. Prints a table and, with --json PATH, writes the same numbers as JSON
// (read by run_conv_side_by_side.sh).
//
// --compare instead times the im2col reference and oneDNN side by side in this one process, on
// the ResNet shapes and MobileNet's (3x3 depthwise, 1x1 pointwise), and prints the fastest of
// the runs of each and reference/oneDNN: the same-run comparison that stays meaningful on a busy
// machine (where the minimum is the time least disturbed by other processes).
//
// usage: bench_conv_cpu [--batch 64] [--runs 7] [--warmup 2] [--json out.json] [--compare]
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

#include "core/kernel_views.h"
#include "core/random.h"
#include "core/tensor.h"
#include "kernels/nn.h"
#include "kernels/cpu/nn_conv_paths.h"
#include "benchmarks/timing.h"

using namespace cohort;

namespace {

struct ConvShape {
  const char* name;
  int64_t in_channels, out_channels, size, stride;
  int64_t kernel = 3, groups = 1;  // padding kernel / 2
};

// The distinct 3x3/pad-1 convolutions of ResNet-20/32/110 on 32x32 CIFAR images.
const std::vector<ConvShape> kShapes{
    {"3->16 32x32", 3, 16, 32, 1},   {"16->16 32x32", 16, 16, 32, 1},
    {"16->32 s2", 16, 32, 32, 2},    {"32->32 16x16", 32, 32, 16, 1},
    {"32->64 s2", 32, 64, 16, 2},    {"64->64 8x8", 64, 64, 8, 1},
};

// A selection of CIFAR MobileNet's layers: depthwise 3x3 (stride 1 and 2) and pointwise 1x1.
const std::vector<ConvShape> kMobileNetShapes{
    {"3->32 32x32", 3, 32, 32, 1},          {"dw32 32x32", 32, 32, 32, 1, 3, 32},
    {"pw32->64 32x32", 32, 64, 32, 1, 1},   {"dw64 s2", 64, 64, 32, 2, 3, 64},
    {"pw64->128 16x16", 64, 128, 16, 1, 1}, {"dw128 16x16", 128, 128, 16, 1, 3, 128},
    {"pw128->128 16x16", 128, 128, 16, 1, 1}, {"dw256 8x8", 256, 256, 8, 1, 3, 256},
    {"pw256->256 8x8", 256, 256, 8, 1, 1},  {"dw512 4x4", 512, 512, 4, 1, 3, 512},
    {"pw512->512 4x4", 512, 512, 4, 1, 1},
};

using cohort::bench::median_ms;

template <typename F>
double min_ms(F&& f, int warmup, int runs) {
  return cohort::bench::times_ms(f, warmup, runs).front();
}

// Random operands of one shape at batch N.
struct ConvCase {
  Conv2dParams p;
  Tensor x, w, y, gy, gx, gw;
  double gflop;  // per direction

  ConvCase(const ConvShape& s, int64_t batch, Generator& gen) {
    p.stride_h = p.stride_w = s.stride;
    p.pad_h = p.pad_w = s.kernel / 2;
    p.groups = s.groups;
    const int64_t out = conv_out_size(s.size, s.kernel, s.stride, s.kernel / 2, 1);
    x = Tensor::randn({batch, s.in_channels, s.size, s.size}, gen);
    w = Tensor::randn({s.out_channels, s.in_channels / s.groups, s.kernel, s.kernel}, gen);
    y = Tensor::empty({batch, s.out_channels, out, out});
    gy = Tensor::randn(y.shape(), gen);
    gx = Tensor::empty(x.shape());
    gw = Tensor::empty(w.shape());
    gflop = 2.0 * static_cast<double>(batch * s.out_channels * out * out * (s.in_channels / s.groups) *
                                      s.kernel * s.kernel) / 1e9;
  }
};

// Reference vs oneDNN for each shape, each direction timed back to back.
void compare(const std::vector<ConvShape>& shapes, int64_t batch, int warmup, int runs, Generator& gen) {
  std::printf("%-18s %26s   %26s   %s\n", "shape", "reference ms (fwd bwd-x bwd-w)",
              "oneDNN ms (fwd bwd-x bwd-w)", "reference/oneDNN total");
  for (const ConvShape& s : shapes) {
    ConvCase c(s, batch, gen);
    double ref[3], dnn[3];
    auto onednn_ok = [](bool ok) {
      if (!ok) {
        std::fprintf(stderr, "bench_conv_cpu: oneDNN failed (see above)\n");
        std::exit(1);
      }
    };
    // The kernels take views (core/kernel_views.h); c owns the tensors.
    const ConstView x = view_of(c.x), w = view_of(c.w), gy = view_of(c.gy), no_bias;
    const View y = mutable_view_of(c.y), gx = mutable_view_of(c.gx), gw = mutable_view_of(c.gw);
    ref[0] = min_ms([&] { cpu::conv_reference::forward(x, w, no_bias, y, c.p); }, warmup, runs);
    dnn[0] = min_ms([&] { onednn_ok(cpu::conv_onednn::forward(x, w, no_bias, y, c.p)); }, warmup, runs);
    ref[1] = min_ms([&] { cpu::conv_reference::backward_data(gy, w, gx, c.p); }, warmup, runs);
    dnn[1] = min_ms([&] { onednn_ok(cpu::conv_onednn::backward_data(gy, w, gx, c.p)); }, warmup, runs);
    ref[2] = min_ms([&] { cpu::conv_reference::backward_weight(gy, x, gw, c.p); }, warmup, runs);
    dnn[2] = min_ms([&] { onednn_ok(cpu::conv_onednn::backward_weight(gy, x, gw, c.p)); }, warmup, runs);
    std::printf("%-18s %8.2f %8.2f %8.2f   %8.2f %8.2f %8.2f   %6.2fx\n", s.name, ref[0], ref[1], ref[2],
                dnn[0], dnn[1], dnn[2], (ref[0] + ref[1] + ref[2]) / (dnn[0] + dnn[1] + dnn[2]));
  }
}

struct Result {
  std::string name;
  double fwd, bwd_data, bwd_weight, gflop;  // ms, ms, ms, GFLOP per pass
};

}  // namespace

int main(int argc, char** argv) {
  int64_t batch = 64;
  int runs = 7, warmup = 2;
  std::string json_path;
  bool compare_impls = false;
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
    else if (!std::strcmp(argv[i], "--compare")) compare_impls = true;
    else {
      std::fprintf(stderr, "usage: bench_conv_cpu [--batch N] [--runs N] [--warmup N] [--json PATH] [--compare]\n");
      return 2;
    }
  }
  const int threads = omp_get_max_threads();
  if (compare_impls) {
    std::printf("cohort CPU conv2d, f32, batch %lld, %d threads, fastest of %d runs, same process\n",
                static_cast<long long>(batch), threads, runs);
    Generator gen(0);
    std::vector<ConvShape> shapes = kShapes;
    shapes.insert(shapes.end(), kMobileNetShapes.begin(), kMobileNetShapes.end());
    compare(shapes, batch, warmup, runs, gen);
    return 0;
  }
  std::printf("cohort CPU conv2d, f32, batch %lld, 3x3 pad 1, %d threads, median of %d runs\n",
              static_cast<long long>(batch), threads, runs);
  std::printf("%-14s %10s %10s %10s %10s %10s\n", "shape", "fwd ms", "bwd-x ms", "bwd-w ms",
              "total ms", "GFLOP/s");

  std::vector<Result> results;
  Generator gen(0);
  for (const ConvShape& s : kShapes) {
    ConvCase c(s, batch, gen);
    Result r;
    r.name = s.name;
    // The kernels take views (core/kernel_views.h); c owns the tensors.
    const ConstView x = view_of(c.x), w = view_of(c.w), gy = view_of(c.gy), no_bias;
    const View y = mutable_view_of(c.y), gx = mutable_view_of(c.gx), gw = mutable_view_of(c.gw);
    r.fwd = median_ms([&] { cpu::conv2d_forward(x, w, no_bias, y, c.p); }, warmup, runs);
    r.bwd_data = median_ms([&] { cpu::conv2d_backward_data(gy, w, gx, c.p); }, warmup, runs);
    r.bwd_weight = median_ms([&] { cpu::conv2d_backward_weight(gy, x, gw, c.p); }, warmup, runs);
    r.gflop = c.gflop;
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
