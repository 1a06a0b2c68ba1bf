// A per-kernel timing tool: when enabled (COHORT_PROFILE=1 in the environment, or
// profiler::set_enabled(true)), every backend call made through COHORT_DISPATCH is timed and
// accumulated by kernel name (conv2d_forward, batch_norm2d_backward, gemm, ...), so a slow
// training step can be broken down into where its time goes (bench_train --profile).
//
// On CUDA the device is synchronised before and after each timed call, so the figures are the
// kernels' own times but the step as a whole loses its asynchrony: profile to find hot spots,
// never to measure throughput. Disabled, the cost is one relaxed atomic load per call.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"

namespace cohort::profiler {

bool enabled();
void set_enabled(bool on);
void reset();

struct Entry {
  std::string kernel;
  std::string device;  // "cpu" or "cuda"
  int64_t calls = 0;
  double total_ms = 0.0;
};
// Accumulated entries, the most expensive first.
std::vector<Entry> entries();
// A table of the `top` most expensive kernels with their share of the profiled total.
std::string report(size_t top = 20);

// Times one dispatched call (used by COHORT_DISPATCH).
class Scope {
 public:
  Scope(const char* kernel, Device device);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  const char* kernel_ = nullptr;  // nullptr when profiling is off
  Device device_;
  double start_ms_ = 0.0;
};

}  // namespace cohort::profiler
