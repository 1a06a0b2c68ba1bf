// The one harness every kernel benchmark uses, so every figure is measured the same way
// (docs/style.md): GPU check, options, CUDA-event timing with warm-up, an L2 flush before every
// timed run and the median of many runs, the measured copy bandwidth as the ceiling, validation
// helpers, and a report that prints a table and writes JSON. Plain C++ over the CUDA runtime API
// (no kernels of its own).
#pragma once

// CUDA builds only: a CPU-only build compiles this to nothing (the benchmarks then exit 77).
#ifdef COHORT_WITH_CUDA

#include <cuda_runtime_api.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cohort::bench {

// Exit code of a benchmark that finds no GPU (CTest's SKIP_RETURN_CODE convention).
constexpr int kSkip = 77;

// False (after printing why) when no CUDA device is usable.
bool gpu_available(const char* program);

struct Options {
  int runs = 50;            // timed runs; the median is reported (>= 50 unless --quick)
  int warmup = 5;
  double copy_bw_gbs = 0;   // --copy-bw: the ceiling in GB/s; 0 = measure a D2D cudaMemcpy
  std::string json_path;    // --json PATH
  int64_t max_elems = int64_t{1} << 29;  // --max-elems: skip problems with more elements per tensor
  bool quick = false;       // --quick: 10 runs, fewer sizes (a smoke run)
};
// --runs N --warmup N --copy-bw GBs --json PATH --max-elems N --quick; --help prints them.
Options parse_options(int argc, char** argv, const char* program);

// A device buffer of at least twice the L2 size; flush() overwrites it on `stream` so the next
// kernel starts with cold caches (as in training, where the logits were written long before).
class L2Flusher {
 public:
  L2Flusher();
  ~L2Flusher();
  L2Flusher(const L2Flusher&) = delete;
  L2Flusher& operator=(const L2Flusher&) = delete;
  void flush(cudaStream_t stream);

 private:
  void* buf_ = nullptr;
  size_t bytes_ = 0;
};

struct Timing {
  double median_us = 0, min_us = 0, max_us = 0;
};

// warmup calls, then `runs` times: flush L2, record an event, fn(), record an event; the
// elapsed times of the events (the flush is outside them). fn must queue on `stream`.
Timing time_it(const std::function<void()>& fn, const Options& opt, L2Flusher& l2, cudaStream_t stream);

// GB/s of a device-to-device cudaMemcpy of 512 MiB (bytes read + bytes written, the same count
// the kernels report), median of 20 runs; or opt.copy_bw_gbs when given.
double copy_bandwidth_gbs(const Options& opt, cudaStream_t stream);

// Compares up to `limit` leading and `limit` trailing elements of two device arrays with
// |got − ref| <= atol + rtol·|ref|, where atol = atol_rel · max|ref| over the compared part.
// Returns "" or a description of the worst element. NaN never passes.
std::string compare_device(const float* got, const float* ref, int64_t count, double atol_rel, double rtol,
                           int64_t limit = 1 << 20);
// Copies one float from the device.
float read_scalar(const float* device_ptr);

struct Row {
  std::string kernel;     // e.g. "softmax_kl"
  std::string shape;      // e.g. "N=4096 C=1000"
  std::string version;    // resolved version name or the baseline's
  double us = 0;          // median µs
  double bytes = 0;       // bytes moved per call (model in docs/kernels.md)
  double flops = 0;       // FLOPs per call (0 when not meaningful)
  double baseline_us = 0; // the baseline's median for the same shape
  bool valid = true;
};

// Collects rows, prints them as a table (µs, GB/s, % of copy bandwidth, TFLOP/s, speedup over
// the baseline) and writes JSON with the device name and the options.
class Report {
 public:
  Report(std::string benchmark, const Options& opt, double copy_bw_gbs);
  void add(const Row& row);
  void print() const;
  // No-op when opt.json_path is empty.
  void write_json() const;

 private:
  std::string benchmark_;
  Options opt_;
  double copy_bw_;
  std::vector<Row> rows_;
};

}  // namespace cohort::bench

#endif  // COHORT_WITH_CUDA
