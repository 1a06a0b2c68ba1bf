#include "core/profiler.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "core/backend.h"

namespace cohort::profiler {

namespace {

std::atomic<bool>& flag() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("COHORT_PROFILE");
    return v != nullptr && std::string(v) != "0" && std::string(v) != "";
  }()};
  return on;
}

struct Table {
  std::mutex mutex;
  std::map<std::pair<std::string, std::string>, Entry> entries;
};

Table& table() {
  static Table t;
  return t;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

bool enabled() { return flag().load(std::memory_order_relaxed); }
void set_enabled(bool on) { flag().store(on); }

void reset() {
  std::lock_guard<std::mutex> lock(table().mutex);
  table().entries.clear();
}

std::vector<Entry> entries() {
  std::lock_guard<std::mutex> lock(table().mutex);
  std::vector<Entry> out;
  for (const auto& [key, e] : table().entries) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.total_ms > b.total_ms; });
  return out;
}

std::string report(size_t top) {
  std::vector<Entry> all = entries();
  double total = 0.0;
  for (const Entry& e : all) total += e.total_ms;
  std::string s = fmt::format("{:<32} {:>6} {:>8} {:>11} {:>9} {:>7}\n", "kernel", "device", "calls", "total ms",
                              "ms/call", "share");
  for (size_t i = 0; i < all.size() && i < top; ++i) {
    const Entry& e = all[i];
    s += fmt::format("{:<32} {:>6} {:>8} {:>11.2f} {:>9.3f} {:>6.1f}%\n", e.kernel, e.device, e.calls, e.total_ms,
                     e.total_ms / static_cast<double>(e.calls), total > 0 ? 100.0 * e.total_ms / total : 0.0);
  }
  s += fmt::format("{:<32} {:>6} {:>8} {:>11.2f}   ({} kernels)\n", "all profiled calls", "", "", total, all.size());
  return s;
}

Scope::Scope(const char* kernel, Device device) : device_(device) {
  if (!enabled()) return;
  kernel_ = kernel;
  if (device_.is_cuda()) backend::synchronize(device_);
  start_ms_ = now_ms();
}

Scope::~Scope() {
  if (kernel_ == nullptr) return;
  try {
    if (device_.is_cuda()) backend::synchronize(device_);
  } catch (...) {
    // An asynchronous error surfaces at the next synchronising call; a destructor must not throw.
  }
  const double ms = now_ms() - start_ms_;
  std::lock_guard<std::mutex> lock(table().mutex);
  Entry& e = table().entries[{kernel_, device_.is_cuda() ? "cuda" : "cpu"}];
  e.kernel = kernel_;
  e.device = device_.is_cuda() ? "cuda" : "cpu";
  e.calls += 1;
  e.total_ms += ms;
}

}  // namespace cohort::profiler
