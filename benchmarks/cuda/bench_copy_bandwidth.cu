// Device-to-device copy bandwidth: the measured ceiling every bandwidth-bound kernel benchmark
// reports itself against ("% of copy bandwidth", docs/cuda.md).
//
// Two copies per size, each validated before it is timed:
//   memcpy  cudaMemcpyAsync(DeviceToDevice) — the driver's copy engine path / copy kernel;
//   kernel  a grid-stride copy with 16-byte (uint4) loads and stores, 4 blocks per SM of 512
//           threads — the best a simple elementwise kernel can hope for.
// Sizes 64 MiB .. 1 GiB: every buffer is larger than the L2 (50 MiB on an H100), so each run
// streams from DRAM and no L2 flush is needed between runs. Timing: CUDA events around each
// run on one stream, warm-up runs first, then the median (and min/max) of --runs runs (>= 20).
//
// Reported per run: copy GB/s = bytes copied / time, and moved GB/s = bytes read + written
// / time = 2 × copy GB/s. Kernel benchmarks count the bytes they read and write, so the
// reference ceiling for them is the best "moved" figure (peak_moved_GBps in the JSON).
//
// usage: bench_copy_bandwidth [--runs N] [--warmup N] [--max-mib M] [--json PATH]
// Exits 77 (skipped) when no CUDA device is usable, 1 when a copy fails validation.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

#define CHECK_CUDA(call)                                                                      \
  do {                                                                                        \
    cudaError_t err_ = (call);                                                                \
    if (err_ != cudaSuccess) {                                                                \
      std::fprintf(stderr, "bench_copy_bandwidth: %s failed: %s (%s:%d)\n", #call,            \
                   cudaGetErrorString(err_), __FILE__, __LINE__);                             \
      std::exit(1);                                                                           \
    }                                                                                         \
  } while (0)

constexpr size_t kMiB = size_t{1} << 20;
constexpr int kThreads = 512;

// dst[i] = src[i] for n 16-byte words.
__global__ void copy_kernel(const uint4* __restrict__ src, uint4* __restrict__ dst, size_t n) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = src[i];
}

// Word i holds i + salt, so a stale destination from an earlier copy never validates.
__global__ void fill_pattern(uint32_t* p, size_t n, uint32_t salt) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    p[i] = static_cast<uint32_t>(i) + salt;
}

__global__ void count_mismatches(const uint32_t* p, size_t n, uint32_t salt, unsigned long long* bad) {
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  unsigned long long local = 0;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    local += p[i] != static_cast<uint32_t>(i) + salt;
  if (local) atomicAdd(bad, local);
}

struct Result {
  std::string method;
  size_t bytes;
  double median_ms, min_ms, max_ms;
  double copy_gbps() const { return static_cast<double>(bytes) / (median_ms * 1e6); }
  double moved_gbps() const { return 2.0 * copy_gbps(); }
};

struct Options {
  int runs = 30, warmup = 5;
  size_t max_mib = 1024;
  std::string json;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto next = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_copy_bandwidth: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--runs")) o.runs = std::atoi(next("--runs"));
    else if (!std::strcmp(argv[i], "--warmup")) o.warmup = std::atoi(next("--warmup"));
    else if (!std::strcmp(argv[i], "--max-mib")) o.max_mib = std::strtoull(next("--max-mib"), nullptr, 10);
    else if (!std::strcmp(argv[i], "--json")) o.json = next("--json");
    else {
      std::fprintf(stderr, "usage: bench_copy_bandwidth [--runs N>=20] [--warmup N] [--max-mib M] [--json PATH]\n");
      std::exit(2);
    }
  }
  if (o.runs < 20) {
    std::fprintf(stderr, "bench_copy_bandwidth: --runs must be >= 20 for a stable median\n");
    std::exit(2);
  }
  return o;
}

class Copier {
 public:
  Copier(size_t bytes, int sms) : bytes_(bytes), blocks_(4 * sms) {
    CHECK_CUDA(cudaMalloc(&src_, bytes));
    CHECK_CUDA(cudaMalloc(&dst_, bytes));
    CHECK_CUDA(cudaMalloc(&bad_, sizeof(unsigned long long)));
    CHECK_CUDA(cudaStreamCreate(&stream_));
    CHECK_CUDA(cudaEventCreate(&start_));
    CHECK_CUDA(cudaEventCreate(&stop_));
  }
  ~Copier() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
    cudaStreamDestroy(stream_);
    cudaFree(bad_);
    cudaFree(dst_);
    cudaFree(src_);
  }

  void copy(bool kernel) {
    if (kernel) {
      copy_kernel<<<blocks_, kThreads, 0, stream_>>>(static_cast<const uint4*>(src_), static_cast<uint4*>(dst_),
                                                     bytes_ / sizeof(uint4));
      CHECK_CUDA(cudaGetLastError());
    } else {
      CHECK_CUDA(cudaMemcpyAsync(dst_, src_, bytes_, cudaMemcpyDeviceToDevice, stream_));
    }
  }

  // Fills src with a fresh pattern, clears dst, copies once, and counts wrong words in dst.
  unsigned long long validate(bool kernel, uint32_t salt) {
    fill_pattern<<<blocks_, kThreads, 0, stream_>>>(static_cast<uint32_t*>(src_), bytes_ / sizeof(uint32_t), salt);
    CHECK_CUDA(cudaGetLastError());
    CHECK_CUDA(cudaMemsetAsync(dst_, 0, bytes_, stream_));
    copy(kernel);
    return mismatches(salt);
  }

  // Words of dst that differ from the pattern (also run after timing: the timed copies must
  // have left a correct result).
  unsigned long long mismatches(uint32_t salt) {
    const size_t words = bytes_ / sizeof(uint32_t);
    CHECK_CUDA(cudaMemsetAsync(bad_, 0, sizeof(unsigned long long), stream_));
    count_mismatches<<<blocks_, kThreads, 0, stream_>>>(static_cast<const uint32_t*>(dst_), words, salt, bad_);
    CHECK_CUDA(cudaGetLastError());
    unsigned long long bad = 0;
    CHECK_CUDA(cudaMemcpyAsync(&bad, bad_, sizeof(bad), cudaMemcpyDeviceToHost, stream_));
    CHECK_CUDA(cudaStreamSynchronize(stream_));
    return bad;
  }

  Result time(bool kernel, const Options& o) {
    for (int i = 0; i < o.warmup; ++i) copy(kernel);
    std::vector<double> ms;
    for (int i = 0; i < o.runs; ++i) {
      CHECK_CUDA(cudaEventRecord(start_, stream_));
      copy(kernel);
      CHECK_CUDA(cudaEventRecord(stop_, stream_));
      CHECK_CUDA(cudaEventSynchronize(stop_));
      float t = 0;
      CHECK_CUDA(cudaEventElapsedTime(&t, start_, stop_));
      ms.push_back(t);
    }
    std::sort(ms.begin(), ms.end());
    const size_t n = ms.size();
    const double median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
    return {kernel ? "kernel_uint4" : "cudaMemcpyAsync_d2d", bytes_, median, ms.front(), ms.back()};
  }

 private:
  size_t bytes_;
  int blocks_;
  void* src_ = nullptr;
  void* dst_ = nullptr;
  unsigned long long* bad_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

void write_json(const std::string& path, const cudaDeviceProp& prop, const Options& o,
                const std::vector<Result>& results) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "bench_copy_bandwidth: cannot write %s\n", path.c_str());
    std::exit(1);
  }
  double peak = 0;
  for (const Result& r : results) peak = std::max(peak, r.moved_gbps());
  std::fprintf(f, "{\n  \"benchmark\": \"copy_bandwidth\",\n  \"device\": \"%s\",\n", prop.name);
  std::fprintf(f, "  \"compute_capability\": \"%d.%d\",\n  \"runs\": %d,\n  \"warmup\": %d,\n", prop.major,
               prop.minor, o.runs, o.warmup);
  std::fprintf(f, "  \"gb\": 1e9,\n  \"peak_moved_GBps\": %.2f,\n  \"results\": [\n", peak);
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    std::fprintf(f,
                 "    {\"method\": \"%s\", \"bytes\": %zu, \"median_ms\": %.5f, \"min_ms\": %.5f, "
                 "\"max_ms\": %.5f, \"copy_GBps\": %.2f, \"moved_GBps\": %.2f}%s\n",
                 r.method.c_str(), r.bytes, r.median_ms, r.min_ms, r.max_ms, r.copy_gbps(), r.moved_gbps(),
                 i + 1 < results.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  std::fclose(f);
  std::printf("wrote %s\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  int count = 0;
  const cudaError_t probe = cudaGetDeviceCount(&count);
  if (probe != cudaSuccess || count == 0) {
    std::printf("bench_copy_bandwidth: no usable CUDA device (%s); skipping\n",
                probe != cudaSuccess ? cudaGetErrorString(probe) : "no device found");
    return 77;
  }
  cudaDeviceProp prop{};
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s (sm_%d%d, %d SMs, %.1f GiB)\n", prop.name, prop.major, prop.minor,
              prop.multiProcessorCount, static_cast<double>(prop.totalGlobalMem) / (1024.0 * kMiB));
  std::printf("%-22s %10s %11s %11s %11s %10s %10s\n", "method", "MiB", "median ms", "min ms", "max ms",
              "copy GB/s", "moved GB/s");

  std::vector<Result> results;
  for (size_t mib = 64; mib <= o.max_mib; mib *= 2) {
    const size_t bytes = mib * kMiB;
    size_t free_bytes = 0, total_bytes = 0;
    CHECK_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
    if (2 * bytes + 64 * kMiB > free_bytes) {
      std::printf("%zu MiB: skipped (needs %zu MiB, %zu MiB free)\n", mib, 2 * mib, free_bytes / kMiB);
      continue;
    }
    Copier copier(bytes, prop.multiProcessorCount);
    for (bool kernel : {false, true}) {
      const uint32_t salt = static_cast<uint32_t>(mib) + (kernel ? 7u : 3u);
      const unsigned long long bad = copier.validate(kernel, salt);
      const Result r = copier.time(kernel, o);
      const unsigned long long bad_after = copier.mismatches(salt);
      if (bad != 0 || bad_after != 0) {
        std::fprintf(stderr, "bench_copy_bandwidth: %s copy of %zu MiB left %llu wrong words (%llu after timing)\n",
                     kernel ? "kernel" : "memcpy", mib, bad, bad_after);
        return 1;
      }
      std::printf("%-22s %10zu %11.4f %11.4f %11.4f %10.1f %10.1f\n", r.method.c_str(), mib, r.median_ms,
                  r.min_ms, r.max_ms, r.copy_gbps(), r.moved_gbps());
      results.push_back(r);
    }
  }
  if (results.empty()) {
    std::fprintf(stderr, "bench_copy_bandwidth: no size fitted in device memory\n");
    return 1;
  }
  if (!o.json.empty()) write_json(o.json, prop, o, results);
  return 0;
}
