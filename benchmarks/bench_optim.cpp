// Optimiser step time on the parameter lists of two CIFAR models:
//   resnet32     95 tensors, 0.47 M parameters (launch-bound on a GPU)
//   wrn-28-10    ~90 tensors, 36.5 M parameters (bandwidth-bound)
// For each device (the CPU, and CUDA when a GPU is usable) and each update (SGD-Nesterov with
// weight decay, Adam), it times optimizer.step() — on CUDA also the per-tensor version (one
// kernel call, i.e. one launch, per tensor), which the fused multi-tensor update replaces.
// Prints median milliseconds per step over --runs steps after warm-up, and the effective
// bandwidth (bytes the update must move / time).
//
// usage: bench_optim [--runs N] [--device all|cpu|cuda]   (results: docs/optim.md)
// --device cuda runs only the CUDA rows and exits 77 (skipped) without a usable GPU.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/kernel_views.h"
#include "core/random.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#ifdef COHORT_WITH_CUDA
#include "kernels/optim.h"
#endif

using namespace cohort;

namespace {

// CIFAR ResNet (He et al., option-A shortcuts): 6n+2 layers, 16/32/64 channels.
std::vector<Shape> resnet_cifar_shapes(int depth, int classes) {
  const int n = (depth - 2) / 6;
  std::vector<Shape> s = {{16, 3, 3, 3}, {16}, {16}};
  int64_t in = 16;
  for (int64_t width : {16, 32, 64}) {
    for (int b = 0; b < n; ++b) {
      s.push_back({width, in, 3, 3});
      s.push_back({width});
      s.push_back({width});
      s.push_back({width, width, 3, 3});
      s.push_back({width});
      s.push_back({width});
      in = width;
    }
  }
  s.push_back({classes, 64});
  s.push_back({classes});
  return s;
}

// Wide ResNet (Zagoruyko & Komodakis): depth 6n+4, widths 16k/32k/64k, pre-activation blocks.
std::vector<Shape> wide_resnet_shapes(int depth, int k, int classes) {
  const int n = (depth - 4) / 6;
  std::vector<Shape> s = {{16, 3, 3, 3}};
  int64_t in = 16;
  for (int64_t width : {16 * k, 32 * k, 64 * k}) {
    for (int b = 0; b < n; ++b) {
      s.push_back({in});
      s.push_back({in});
      s.push_back({width, in, 3, 3});
      s.push_back({width});
      s.push_back({width});
      s.push_back({width, width, 3, 3});
      if (in != width) s.push_back({width, in, 1, 1});
      in = width;
    }
  }
  s.push_back({in});
  s.push_back({in});
  s.push_back({classes, in});
  s.push_back({classes});
  return s;
}

double median_ms(const std::function<void()>& step, Device device, int runs) {
  for (int i = 0; i < 3; ++i) step();  // warm-up: state allocation, caches
  backend::synchronize(device);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    backend::synchronize(device);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

void run(const std::string& model, const std::vector<Shape>& shapes, Device device, int runs) {
  Generator gen(1);
  std::vector<Tensor> params;
  int64_t numel = 0;
  for (const Shape& shape : shapes) {
    Tensor p = Tensor::randn(shape, gen, DType::f32).to(device);
    p.set_grad(Tensor::randn(shape, gen, DType::f32).to(device));
    params.push_back(p);
    numel += p.numel();
  }
  optim::SGD sgd(params, {.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 5e-4});
  optim::Adam adam(params, {.lr = 1e-3});
  // Bytes each update must move per element (f32): SGD reads p, g, buf and writes p, buf;
  // Adam reads p, g, m, v and writes p, m, v.
  const double sgd_bytes = 5.0 * 4 * static_cast<double>(numel);
  const double adam_bytes = 7.0 * 4 * static_cast<double>(numel);
  auto report = [&](const char* what, double ms, double bytes) {
    std::printf("%-10s %-7s %-26s %4zu tensors %10lld elems %9.3f ms %8.1f GB/s\n", model.c_str(),
                device.str().c_str(), what, shapes.size(), static_cast<long long>(numel), ms,
                bytes / (ms * 1e-3) / 1e9);
  };
  report("SGD-Nesterov step()", median_ms([&] { sgd.step(); }, device, runs), sgd_bytes);
  report("Adam step()", median_ms([&] { adam.step(); }, device, runs), adam_bytes);
#ifdef COHORT_WITH_CUDA
  if (device.is_cuda()) {
    // The naive alternative: one fused-kernel call (one launch) per tensor.
    std::vector<Tensor> grads, bufs;
    for (const Tensor& p : params) {
      grads.push_back(p.grad());
      bufs.push_back(Tensor::zeros(p.shape(), p.dtype(), device));
    }
    const SgdHyper h{0.1, 0.9, 0.0, 5e-4, true, false};
    auto per_tensor = [&] {
      for (size_t i = 0; i < params.size(); ++i) {
        std::vector<Tensor> p{params[i]}, g{grads[i]}, b{bufs[i]};
        cuda::sgd_update(mutable_views_of(p), views_of(g), mutable_views_of(b), h);
      }
    };
    report("SGD-Nesterov per-tensor", median_ms(per_tensor, device, runs), sgd_bytes);
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 50;
  std::string which = "all";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--device") == 0) which = argv[i + 1];
  }
  if (which != "all" && which != "cpu" && which != "cuda") {
    std::fprintf(stderr, "bench_optim: --device must be all, cpu or cuda, got '%s'\n", which.c_str());
    return 2;
  }
  std::vector<Device> devices;
  if (which != "cuda") devices.push_back(Device::cpu());
  if (which != "cpu" && backend::cuda_available()) devices.push_back(Device::cuda(0));
  else if (which == "cuda") {
    std::printf("bench_optim: no usable CUDA device; skipping (exit 77)\n");
    return 77;
  } else if (which == "all") std::printf("(no usable CUDA device: CPU only)\n");
  for (Device d : devices) {
    run("resnet32", resnet_cifar_shapes(32, 100), d, runs);
    run("wrn-28-10", wide_resnet_shapes(28, 10, 100), d, runs);
  }
  return 0;
}
