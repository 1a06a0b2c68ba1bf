// CUDA runtime: device copies, device-mixing errors, the caching allocator's statistics and
// out-of-memory report, streams, the TF32 policy and COHORT_SYNC.
#include <catch2/catch.hpp>
#include <cuda_runtime.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/cuda_info.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/losses.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/runtime.h"
#include "tests/cuda/parity.h"

using namespace cohort;
using test::kCpu;
using test::kGpu;

namespace {

constexpr size_t kMiB = size_t{1} << 20;

// A CPU tensor of `dtype` holding 0, 1, 2, ... (modulo 256 for u8, so every value converts).
Tensor counting(int64_t n, DType dtype) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = dtype == DType::u8 ? i % 256 : i;
  return Tensor::from_vector(v, {n}).to(dtype);
}

}  // namespace

TEST_CASE("CUDA is reported available with at least one device", "[cuda][runtime]") {
  REQUIRE(cuda_is_available());
  REQUIRE(cuda_unavailable_reason().empty());
  REQUIRE(cuda_device_count() >= 1);
  REQUIRE_THAT(backend::device_report(), Catch::Contains("cuDNN") || Catch::Contains("cudnn"));
  REQUIRE_THROWS_AS(cuda_memory_stats(cuda_device_count()), BackendError);
}

TEST_CASE("Tensor::to(cuda) and back round-trips every dtype and size exactly", "[cuda][runtime]") {
  for (DType dtype : {DType::f32, DType::f64, DType::i64, DType::u8}) {
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{1000}, int64_t{(1 << 20) + 3}}) {
      INFO(dtype_name(dtype) << " with " << n << " elements");
      Tensor host = counting(n, dtype).reshape({n, 1});
      Tensor dev = host.to(kGpu);
      REQUIRE(dev.device() == kGpu);
      REQUIRE(dev.dtype() == dtype);
      REQUIRE(dev.shape() == host.shape());
      Tensor back = dev.to(kCpu);
      REQUIRE(back.device() == kCpu);
      REQUIRE(back.to_vector<double>() == host.to_vector<double>());
      // Device-side clone, copy_ between devices, and to_vector straight from the GPU.
      REQUIRE(dev.clone().to_vector<double>() == host.to_vector<double>());
      Tensor dst = Tensor::zeros(host.shape(), dtype, kGpu);
      dst.copy_(host);
      REQUIRE(dst.to_vector<double>() == host.to_vector<double>());
      Tensor host_dst = Tensor::zeros(host.shape(), dtype);
      host_dst.copy_(dev);
      REQUIRE(host_dst.to_vector<double>() == host.to_vector<double>());
    }
  }
  // Pinned memory, non-blocking upload: the values arrive once the stream is synchronised.
  Tensor host = counting(4096, DType::f32);
  Tensor pinned = host.pin_memory();
  REQUIRE(pinned.is_pinned());
  Tensor dev = pinned.to(kGpu, /*non_blocking=*/true);
  backend::synchronize(kGpu);
  REQUIRE(dev.to_vector<float>() == host.to_vector<float>());
  // Views of CUDA tensors share storage: a slice reads the right rows; item() synchronises.
  Tensor m = counting(20, DType::f64).reshape({5, 4}).to(kGpu);
  REQUIRE(m.slice(2, 4).to_vector<double>() == std::vector<double>{8, 9, 10, 11, 12, 13, 14, 15});
  REQUIRE(m[4].to_vector<double>() == std::vector<double>{16, 17, 18, 19});
  REQUIRE(m.reshape({20})[7].item() == 7.0);
}

TEST_CASE("gradients flow back across a device copy", "[cuda][runtime]") {
  Tensor x = test::randn({3, 4}, DType::f64, 1).requires_grad_();
  Tensor y = ops::mul(x.to(kGpu), 3.0);
  REQUIRE(y.device() == kGpu);
  ops::sum(y).backward();
  REQUIRE(x.grad().device() == kCpu);
  REQUIRE_CLOSE(x.grad(), Tensor::full({3, 4}, 3.0, DType::f64), 0, 0);
}

TEST_CASE("mixing devices in one op is an error naming both devices", "[cuda][runtime]") {
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({2, 3}, DType::f32, kGpu);
  // Each combined matcher is built inside its REQUIRE_THROWS_WITH: a Catch2 v2 `A && B` keeps
  // pointers to A and B, so a stored one would point at temporaries gone after its line.
#define COHORT_NAMES_BOTH_DEVICES(op) Catch::Contains(op) && Catch::Contains("cpu") && Catch::Contains("cuda:0")
  REQUIRE_THROWS_AS(ops::add(a, b), ValueError);
  REQUIRE_THROWS_WITH(ops::add(a, b), COHORT_NAMES_BOTH_DEVICES("add"));
  REQUIRE_THROWS_WITH(ops::mul(b, a), COHORT_NAMES_BOTH_DEVICES("mul"));
  REQUIRE_THROWS_WITH(ops::matmul(a, Tensor::ones({3, 2}, DType::f32, kGpu)), COHORT_NAMES_BOTH_DEVICES("matmul"));
  REQUIRE_THROWS_WITH(ops::conv2d(Tensor::ones({1, 1, 4, 4}), Tensor::ones({1, 1, 3, 3}, DType::f32, kGpu)),
                      COHORT_NAMES_BOTH_DEVICES("conv2d"));
  Tensor labels = Tensor::from_vector(std::vector<int64_t>{0, 1});
  REQUIRE_THROWS_WITH(ops::cross_entropy(b, labels), COHORT_NAMES_BOTH_DEVICES("cross_entropy"));
  REQUIRE_THROWS_WITH(ops::concat_channels({a, b}), COHORT_NAMES_BOTH_DEVICES("concat_channels"));
#undef COHORT_NAMES_BOTH_DEVICES
}

TEST_CASE("caching allocator: allocated/reserved/peak, cache hits, empty_cache", "[cuda][allocator]") {
  // With the cache emptied, every free block lives in a segment that also holds a live block;
  // no test keeps a live tensor of tens of MiB, so the requests below start with a new segment.
  cuda_empty_cache();
  const CudaMemoryStats s0 = cuda_memory_stats(0);
  const size_t big = 36 * kMiB;  // a multiple of the 2 MiB segment rounding: one exact segment
  {
    Tensor a = Tensor::empty({static_cast<int64_t>(big / 4)}, DType::f32, kGpu);
    const CudaMemoryStats s1 = cuda_memory_stats(0);
    REQUIRE(s1.allocated_bytes == s0.allocated_bytes + big);
    REQUIRE(s1.reserved_bytes == s0.reserved_bytes + big);
    REQUIRE(s1.active_blocks == s0.active_blocks + 1);
    REQUIRE(s1.alloc_calls == s0.alloc_calls + 1);
    REQUIRE(s1.driver_allocs == s0.driver_allocs + 1);
    REQUIRE(s1.peak_allocated_bytes >= s1.allocated_bytes);
    REQUIRE(s1.peak_reserved_bytes >= s1.reserved_bytes);
  }
  // Freed: back in the cache, still reserved.
  const CudaMemoryStats s2 = cuda_memory_stats(0);
  REQUIRE(s2.allocated_bytes == s0.allocated_bytes);
  REQUIRE(s2.active_blocks == s0.active_blocks);
  REQUIRE(s2.reserved_bytes == s0.reserved_bytes + big);
  {
    // The same size again, then a smaller one split from the cached block: no driver call.
    Tensor b = Tensor::empty({static_cast<int64_t>(big / 4)}, DType::f32, kGpu);
    b = Tensor();
    Tensor c = Tensor::empty({static_cast<int64_t>(20 * kMiB / 8)}, DType::f64, kGpu);
    const CudaMemoryStats s3 = cuda_memory_stats(0);
    REQUIRE(s3.cache_hits == s2.cache_hits + 2);
    REQUIRE(s3.driver_allocs == s2.driver_allocs);
    REQUIRE(s3.reserved_bytes == s2.reserved_bytes);
    REQUIRE(s3.allocated_bytes == s0.allocated_bytes + 20 * kMiB);
  }
  // Small requests are rounded to 512 bytes.
  {
    Tensor tiny = Tensor::empty({25}, DType::f32, kGpu);  // 100 bytes
    REQUIRE(cuda_memory_stats(0).allocated_bytes == s0.allocated_bytes + 512);
  }
  // empty_cache returns the free segment to the driver.
  const uint64_t frees_before = cuda_memory_stats(0).driver_frees;
  cuda_empty_cache();
  const CudaMemoryStats s4 = cuda_memory_stats(0);
  REQUIRE(s4.reserved_bytes <= s0.reserved_bytes);
  REQUIRE(s4.driver_frees > frees_before);
  REQUIRE(s4.allocated_bytes == s0.allocated_bytes);
  // Peaks: reset to the current values, then raised by a transient allocation.
  cuda_reset_peak_memory_stats(0);
  REQUIRE(cuda_memory_stats(0).peak_allocated_bytes == s4.allocated_bytes);
  { Tensor t = Tensor::empty({static_cast<int64_t>(8 * kMiB / 4)}, DType::f32, kGpu); }
  const CudaMemoryStats s5 = cuda_memory_stats(0);
  REQUIRE(s5.peak_allocated_bytes >= s5.allocated_bytes + 8 * kMiB);
}

TEST_CASE("pinned host memory is cached and counted", "[cuda][allocator]") {
  const CudaMemoryStats p0 = cuda_pinned_memory_stats();
  {
    Tensor pinned = Tensor::zeros({10000}).pin_memory();  // 40000 bytes -> a 64 KiB block
    const CudaMemoryStats p1 = cuda_pinned_memory_stats();
    REQUIRE(p1.allocated_bytes == p0.allocated_bytes + 65536);
    REQUIRE(p1.active_blocks == p0.active_blocks + 1);
    REQUIRE(p1.reserved_bytes >= p1.allocated_bytes);
  }
  REQUIRE(cuda_pinned_memory_stats().allocated_bytes == p0.allocated_bytes);
}

TEST_CASE("an impossible request is a BackendError with requested/allocated/reserved bytes",
          "[cuda][allocator]") {
  const uint64_t ooms = cuda_memory_stats(0).ooms;
  const int64_t one_pib_floats = int64_t{1} << 48;  // 2^50 bytes
  REQUIRE_THROWS_AS(Tensor::empty({one_pib_floats}, DType::f32, kGpu), BackendError);
  REQUIRE_THROWS_WITH(Tensor::empty({one_pib_floats}, DType::f32, kGpu),
                      Catch::Contains("out of memory") && Catch::Contains("cuda:0") &&
                          Catch::Contains("1125899906842624") && Catch::Contains("allocated") &&
                          Catch::Contains("reserved"));
  REQUIRE(cuda_memory_stats(0).ooms == ooms + 2);
  // The failure is not sticky: the device keeps working.
  Tensor x = Tensor::ones({1000}, DType::f32, kGpu);
  REQUIRE(ops::sum(x).item() == 1000.0);
}

TEST_CASE("TF32 policy: PyTorch's defaults, settable, and reaching cuBLAS", "[cuda][tf32]") {
  // Every test that changes the policy restores it (test::Tf32Guard), so these are the defaults.
  REQUIRE(cuda_allow_tf32_conv());
  REQUIRE_FALSE(cuda_allow_tf32_matmul());
  REQUIRE(cuda::allow_tf32_conv() == cuda_allow_tf32_conv());
  {
    test::Tf32Guard guard(false, true);
    REQUIRE_FALSE(cuda_allow_tf32_conv());
    REQUIRE(cuda_allow_tf32_matmul());
  }
  REQUIRE(cuda_allow_tf32_conv());
  REQUIRE_FALSE(cuda_allow_tf32_matmul());

  // A 1024³ f32 GEMM against the f64 CPU product: f32 accumulation errs by ~1e-5, TF32
  // (10-bit mantissas) by ~1e-2 — the flag must switch between the two.
  Tensor a = test::randn({1024, 1024}, DType::f64, 5), b = test::randn({1024, 1024}, DType::f64, 6);
  Tensor ref = ops::matmul(a, b);
  Tensor a32 = a.to(DType::f32).to(kGpu), b32 = b.to(DType::f32).to(kGpu);
  auto mean_err = [&](bool tf32) {
    test::Tf32Guard guard(true, tf32);
    Tensor got = ops::matmul(a32, b32).to(kCpu).to(DType::f64);
    return ops::sum(ops::abs(ops::sub(got, ref))).item() / static_cast<double>(ref.numel());
  };
  const double err_fp32 = mean_err(false), err_tf32 = mean_err(true);
  INFO("mean |error| fp32 " << err_fp32 << ", tf32 " << err_tf32);
  REQUIRE(err_fp32 < 1e-4);
  REQUIRE(err_tf32 > 10 * err_fp32);
  REQUIRE(err_tf32 < 0.1);
}

TEST_CASE("ops on a non-default stream give the default stream's results", "[cuda][stream]") {
  Tensor a = test::randn({300, 200}, DType::f32, 7).to(kGpu);
  Tensor b = test::randn({200, 100}, DType::f32, 8).to(kGpu);
  const Tensor ref = ops::softmax(ops::matmul(a, b)).to(kCpu);
  // A blocking stream: it waits for the legacy default stream, where a and b were uploaded.
  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreate(&stream) == cudaSuccess);
  {
    cuda::StreamGuard guard(stream, 0);
    REQUIRE(cuda::current_stream(0) == stream);
    // Everything allocated here is freed (and its stream synchronised) inside the guard.
    Tensor y = ops::softmax(ops::matmul(a, b));
    Tensor got = y.to(kCpu);  // device->host waits for `stream`
    // cuBLAS may pick another algorithm per stream: equal to rounding, not necessarily bits.
    REQUIRE_CLOSE(got, ref, 1e-6, 1e-5);
    y = Tensor();
    REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
  }
  REQUIRE(cuda::current_stream(0) != stream);
  cuda::forget_stream(stream, 0);  // a stream cohort did not create: forgotten before destroying it
  REQUIRE(cudaStreamDestroy(stream) == cudaSuccess);
}

TEST_CASE("each stream has its own workspace and cuBLAS handle", "[cuda][stream]") {
  cuda::Stream s1(0), s2(0);
  void* w1 = nullptr;
  void* w2 = nullptr;
  cublasHandle_t h1 = nullptr, h2 = nullptr;
  {
    cuda::StreamGuard guard(s1.get(), 0);
    w1 = cuda::workspace(kMiB, 0);
    h1 = cuda::cublas_handle(0);
  }
  {
    cuda::StreamGuard guard(s2.get(), 0);
    w2 = cuda::workspace(kMiB, 0);
    h2 = cuda::cublas_handle(0);
  }
  REQUIRE(w1 != nullptr);
  REQUIRE(w1 != w2);
  REQUIRE(h1 != h2);
  // Back on s1 the same scratch and handle come back (no re-growth).
  cuda::StreamGuard guard(s1.get(), 0);
  REQUIRE(cuda::workspace(kMiB, 0) == w1);
  REQUIRE(cuda::cublas_handle(0) == h1);
}

TEST_CASE("reductions and BatchNorm on two concurrent streams give the serial results", "[cuda][stream]") {
  // Few outputs over many values: the split reduction and BatchNorm's per-channel partial sums
  // both use the workspace, so two streams sharing one would overwrite each other's partials.
  Tensor x = test::randn({64, 3, 64, 64}, DType::f32, 21).to(kGpu);
  Tensor y = ops::mul(test::randn({64, 3, 64, 64}, DType::f32, 22).to(kGpu), 3.0);
  auto work = [](const Tensor& t) {
    return std::vector<Tensor>{ops::sum(t, {0, 2, 3}),
                               ops::batch_norm2d(t, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5)};
  };
  const std::vector<Tensor> ref_x = work(x), ref_y = work(y);
  cudaDeviceSynchronize();  // x and y are ready before the non-blocking streams read them
  cuda::Stream s1(0), s2(0);
  for (int round = 0; round < 20; ++round) {
    std::vector<Tensor> got_x, got_y;
    {
      cuda::StreamGuard g1(s1.get(), 0);
      got_x = work(x);
    }
    {
      cuda::StreamGuard g2(s2.get(), 0);
      got_y = work(y);
    }
    // Copies to the host wait for the stream that made each tensor (the current one again).
    cudaStreamSynchronize(s1.get());
    cudaStreamSynchronize(s2.get());
    for (size_t i = 0; i < ref_x.size(); ++i) {
      INFO("round " << round << " output " << i);
      REQUIRE_CLOSE(got_x[i].to(kCpu), ref_x[i].to(kCpu), 0, 0);
      REQUIRE_CLOSE(got_y[i].to(kCpu), ref_y[i].to(kCpu), 0, 0);
    }
    // Freed after their streams finished (there is no record_stream).
  }
}

TEST_CASE("a destroyed stream's cached memory goes to the default stream", "[cuda][stream][allocator]") {
  cuda_empty_cache();
  {
    cuda::Stream s(0);
    cuda::StreamGuard guard(s.get(), 0);
    Tensor t = Tensor::empty({int64_t{3} << 20}, DType::f32, kGpu);  // 12 MiB: a segment of its own
  }  // t is freed into s's pool; s is then forgotten and destroyed
  const CudaMemoryStats before = cuda_memory_stats(0);
  Tensor again = Tensor::empty({int64_t{3} << 20}, DType::f32, kGpu);  // on the default stream
  const CudaMemoryStats after = cuda_memory_stats(0);
  REQUIRE(after.cache_hits == before.cache_hits + 1);
  REQUIRE(after.driver_allocs == before.driver_allocs);
}

TEST_CASE("COHORT_SYNC=1 leaves no work in flight after an op", "[cuda][sync]") {
  // The flag is read once per process: run this binary with COHORT_SYNC=1 to check it fully.
  REQUIRE_NOTHROW(cuda::synchronize_and_check(0, "test"));
  const char* v = std::getenv("COHORT_SYNC");
  if (!v || std::string(v) != "1") {
    WARN("COHORT_SYNC is not 1 in this run: only the check without a pending error ran");
    return;
  }
  Tensor a = test::randn({2048, 2048}, DType::f64, 9).to(kGpu);
  Tensor c = ops::matmul(a, a);  // ~17 GFLOP in f64: long enough to be still running if async
  REQUIRE(cudaStreamQuery(cuda::current_stream(0)) == cudaSuccess);
  REQUIRE(c.device() == kGpu);
}
