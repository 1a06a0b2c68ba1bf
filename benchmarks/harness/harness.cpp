#include "benchmarks/harness/harness.h"

#ifdef COHORT_WITH_CUDA

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/backend.h"
#include "core/error.h"
#include "kernels/cuda/check.h"

namespace cohort::bench {

bool gpu_available(const char* program) {
  if (backend::cuda_available()) return true;
  fmt::print("{}: no usable CUDA device; skipping (exit {})\n", program, kSkip);
  return false;
}

Options parse_options(int argc, char** argv, const char* program) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      COHORT_CHECK(i + 1 < argc, "{}: option {} needs a value", program, a);
      return argv[++i];
    };
    if (a == "--runs") opt.runs = std::stoi(value());
    else if (a == "--warmup") opt.warmup = std::stoi(value());
    else if (a == "--copy-bw") opt.copy_bw_gbs = std::stod(value());
    else if (a == "--json") opt.json_path = value();
    else if (a == "--max-elems") opt.max_elems = std::stoll(value());
    else if (a == "--quick") opt.quick = true, opt.runs = 10;
    else if (a == "--help" || a == "-h") {
      fmt::print("usage: {} [--runs N (50)] [--warmup N (5)] [--copy-bw GB/s] [--json PATH] "
                 "[--max-elems N] [--quick]\n", program);
      std::exit(0);
    } else {
      COHORT_FAIL("{}: unknown option '{}' (try --help)", program, a);
    }
  }
  COHORT_CHECK(opt.runs >= 1 && opt.warmup >= 0, "{}: --runs must be >= 1", program);
  return opt;
}

L2Flusher::L2Flusher() {
  int dev = 0, l2 = 0;
  COHORT_CUDA_CHECK(cudaGetDevice(&dev));
  COHORT_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
  bytes_ = std::max<size_t>(2 * static_cast<size_t>(l2), size_t{64} << 20);
  COHORT_CUDA_CHECK(cudaMalloc(&buf_, bytes_));
}
L2Flusher::~L2Flusher() { cudaFree(buf_); }
void L2Flusher::flush(cudaStream_t stream) { COHORT_CUDA_CHECK(cudaMemsetAsync(buf_, 0, bytes_, stream)); }

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace

Timing time_it(const std::function<void()>& fn, const Options& opt, L2Flusher& l2, cudaStream_t stream) {
  for (int i = 0; i < opt.warmup; ++i) fn();
  cudaEvent_t start, stop;
  COHORT_CUDA_CHECK(cudaEventCreate(&start));
  COHORT_CUDA_CHECK(cudaEventCreate(&stop));
  std::vector<double> us;
  for (int i = 0; i < opt.runs; ++i) {
    l2.flush(stream);
    COHORT_CUDA_CHECK(cudaEventRecord(start, stream));
    fn();
    COHORT_CUDA_CHECK(cudaEventRecord(stop, stream));
    COHORT_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0.f;
    COHORT_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    us.push_back(1e3 * ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  Timing t;
  t.median_us = median(us);
  t.min_us = *std::min_element(us.begin(), us.end());
  t.max_us = *std::max_element(us.begin(), us.end());
  return t;
}

double copy_bandwidth_gbs(const Options& opt, cudaStream_t stream) {
  if (opt.copy_bw_gbs > 0) return opt.copy_bw_gbs;
  const size_t bytes = size_t{512} << 20;
  void *a = nullptr, *b = nullptr;
  COHORT_CUDA_CHECK(cudaMalloc(&a, bytes));
  COHORT_CUDA_CHECK(cudaMalloc(&b, bytes));
  COHORT_CUDA_CHECK(cudaMemsetAsync(a, 1, bytes, stream));
  Options o = opt;
  o.runs = 20, o.warmup = 3;
  L2Flusher l2;
  const Timing t = time_it([&] { COHORT_CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, stream)); },
                           o, l2, stream);
  cudaFree(a);
  cudaFree(b);
  return 2.0 * static_cast<double>(bytes) / (t.median_us * 1e3);  // bytes/ns = GB/s
}

std::string compare_device(const float* got, const float* ref, int64_t count, double atol_rel, double rtol,
                           int64_t limit) {
  // The head and the tail: every path of a kernel (first/last rows, padding) shows up there.
  std::vector<int64_t> starts{0};
  int64_t len = std::min(count, limit);
  if (count > limit) starts.push_back(count - limit);
  std::vector<float> g, r;
  for (int64_t s : starts) {
    const size_t off = g.size();
    g.resize(off + static_cast<size_t>(len));
    r.resize(off + static_cast<size_t>(len));
    COHORT_CUDA_CHECK(cudaMemcpy(g.data() + off, got + s, static_cast<size_t>(len) * sizeof(float), cudaMemcpyDeviceToHost));
    COHORT_CUDA_CHECK(cudaMemcpy(r.data() + off, ref + s, static_cast<size_t>(len) * sizeof(float), cudaMemcpyDeviceToHost));
  }
  double max_ref = 0;
  for (float v : r) max_ref = std::max(max_ref, std::fabs(static_cast<double>(v)));
  const double atol = atol_rel * max_ref;
  size_t worst = 0;
  double worst_excess = -1;
  for (size_t i = 0; i < g.size(); ++i) {
    const double err = std::fabs(static_cast<double>(g[i]) - r[i]);
    const double excess = std::isnan(err) ? INFINITY : err - (atol + rtol * std::fabs(static_cast<double>(r[i])));
    if (excess > 0 && excess > worst_excess) worst = i, worst_excess = excess;
  }
  if (worst_excess <= 0) return "";
  return fmt::format("element {} of the compared part: got {:.8g}, ref {:.8g} (atol {:.3g}, rtol {})", worst,
                     g[worst], r[worst], atol, rtol);
}

float read_scalar(const float* device_ptr) {
  float v = 0.f;
  COHORT_CUDA_CHECK(cudaMemcpy(&v, device_ptr, sizeof(float), cudaMemcpyDeviceToHost));
  return v;
}

Report::Report(std::string benchmark, const Options& opt, double copy_bw_gbs)
    : benchmark_(std::move(benchmark)), opt_(opt), copy_bw_(copy_bw_gbs) {}

void Report::add(const Row& row) { rows_.push_back(row); }

void Report::print() const {
  fmt::print("\n{} — median of {} runs, L2 flushed; copy bandwidth {:.0f} GB/s\n", benchmark_, opt_.runs, copy_bw_);
  fmt::print("{:<14} {:<28} {:<46} {:>10} {:>8} {:>6} {:>8} {:>8}\n", "kernel", "shape", "version", "µs", "GB/s",
             "%copy", "TFLOP/s", "speedup");
  for (const Row& r : rows_) {
    const double gbs = r.bytes / (r.us * 1e3);
    const std::string tf = r.flops > 0 ? fmt::format("{:.2f}", r.flops / (r.us * 1e6)) : "-";
    const std::string sp = r.baseline_us > 0 ? fmt::format("{:.2f}x", r.baseline_us / r.us) : "-";
    fmt::print("{:<14} {:<28} {:<46} {:>10.1f} {:>8.0f} {:>5.0f}% {:>8} {:>8}{}\n", r.kernel, r.shape, r.version,
               r.us, gbs, 100.0 * gbs / copy_bw_, tf, sp, r.valid ? "" : "  INVALID");
  }
}

void Report::write_json() const {
  if (opt_.json_path.empty()) return;
  cudaDeviceProp prop{};
  int dev = 0;
  COHORT_CUDA_CHECK(cudaGetDevice(&dev));
  COHORT_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  nlohmann::json j;
  j["benchmark"] = benchmark_;
  j["device"] = prop.name;
  j["runs"] = opt_.runs;
  j["warmup"] = opt_.warmup;
  j["l2_flushed"] = true;
  j["copy_bw_gbs"] = copy_bw_;
  for (const Row& r : rows_) {
    nlohmann::json e;
    e["kernel"] = r.kernel;
    e["shape"] = r.shape;
    e["version"] = r.version;
    e["median_us"] = r.us;
    e["bytes"] = r.bytes;
    e["gbs"] = r.bytes / (r.us * 1e3);
    e["pct_copy_bw"] = 100.0 * r.bytes / (r.us * 1e3) / copy_bw_;
    if (r.flops > 0) e["tflops"] = r.flops / (r.us * 1e6);
    if (r.baseline_us > 0) e["speedup_vs_baseline"] = r.baseline_us / r.us;
    e["valid"] = r.valid;
    j["rows"].push_back(e);
  }
  std::ofstream out(opt_.json_path);
  COHORT_CHECK(out.good(), "benchmark: cannot write {}", opt_.json_path);
  out << j.dump(2) << "\n";
  fmt::print("wrote {}\n", opt_.json_path);
}

}  // namespace cohort::bench

#endif  // COHORT_WITH_CUDA
