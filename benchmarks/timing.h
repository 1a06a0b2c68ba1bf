// The wall-clock timer of the host-side benchmarks: `warmup` untimed calls, then the median of
// `runs` timed calls in milliseconds (or all of them, sorted). On a CUDA device the device is synchronised before the
// first and after every timed call, so each time covers the work the call queued.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/backend.h"

namespace cohort::bench {

// Sorted times of the timed calls, in milliseconds.
template <typename F>
std::vector<double> times_ms(F&& f, int warmup, int runs, Device device = Device::cpu()) {
  for (int i = 0; i < warmup; ++i) f();
  backend::synchronize(device);
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    backend::synchronize(device);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times;
}

template <typename F>
double median_ms(F&& f, int warmup, int runs, Device device = Device::cpu()) {
  std::vector<double> times = times_ms(f, warmup, runs, device);
  return times[times.size() / 2];
}

}  // namespace cohort::bench
