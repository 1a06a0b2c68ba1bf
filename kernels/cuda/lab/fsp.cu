// FSP (flow of solution procedure) lab kernels: the Gram product G[b] = F1[b]·F2[b]ᵀ/hw and the
// FSP loss λ/B Σ_b ‖Gs[b] − Gt[b]‖²_F with the student features' gradients. Contract:
// kernels/cuda/lab/lab.h; reference: ops::fsp_matrix / ops::fsp_loss on the CPU in f64.
//
// Shapes are "short and wide": F [m, hw] per sample with m, n in 16..640 and hw in 64..1024,
// so G is a small output (m·n) reduced over a long K = hw. FLOPs: 2·B·m·n·hw per Gram product
// (the fused loss does two); bytes: B·(m+n)·hw·4 read per product, B·m·n·4 written.
// Arithmetic intensity m·n/(2(m+n)) FLOP/byte: 4 for 16×16 (memory-bound), 160 for 640×640.
//
// Gradient (why): L = λ/B Σ ‖Δ‖², Δ = Gs − Gt, so dL/dGs = 2λ/B·Δ =: D; Gs = Fs1·Fs2ᵀ/hw gives
// dFs1 = D·Fs2/hw and dFs2 = Dᵀ·Fs1/hw (the teacher is a constant).
//
// Versions:
//   v0  cublasSgemmStridedBatched for Gs and Gt (written to scratch), a loss kernel reading both.
//   v1  the tiled Gram kernel below for Gs and Gt, same loss kernel. Tile TM×TN of one sample per
//       CTA (16×16, 32×32 or 64×64 by the smaller of m, n, so 16×16 shapes do not idle 15/16 of a
//       64×64 tile), K-chunks of 32 staged transposed in shared memory, RM×RN outputs per thread.
//       Split-K over hw when B·tiles would not fill two waves of the GPU (the CIFAR shapes: e.g.
//       64 samples × one 16×16 tile on 132 SMs); otherwise one CTA per (sample, tile) owns the
//       whole hw and no partials are written.
//   v2  fused: the same tile kernel accumulates Fs1·Fs2ᵀ − Ft1·Ft2ᵀ in one register tile (the
//       difference is linear, so it can be summed before squaring), squares and block-reduces it
//       in the epilogue. G is never written: only per-CTA loss partials, D when gradients are
//       wanted, and — under split-K — partial differences (one matrix, not two Gram matrices).
// The products dF = D·F are cuBLAS GEMMs in every version.
#include <cublas_v2.h>

#include <algorithm>

#include "core/error.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/device_util.h"
#include "kernels/cuda/lab/lab.h"
#include "kernels/cuda/lab/lab_common.cuh"

namespace cohort::cuda::lab {

namespace {

constexpr int kKC = 32;        // K-chunk staged in shared memory per iteration
constexpr int kThreads = 256;  // every tile configuration uses 256 threads

struct GramParams {
  const float* a1;  // [B, m, hw]  (student F1, or the only F1)
  const float* b1;  // [B, n, hw]
  const float* a2;  // [B, m, hw]  teacher (fused difference only)
  const float* b2;  // [B, n, hw]
  int B, m, n;
  int64_t hw;
  int splits;       // split-K factor; chunk = ceil(hw / splits) rounded up to kKC
  int64_t chunk;
  float inv_hw;
  float* out;               // splits == 1: G or D (scaled); splits > 1: raw partials [splits, B, m, n]
  double* loss_partials;    // fused, splits == 1: one Σ Δ² per CTA (indexed by the flat block id)
  float dscale_base;        // 2λ/B (fused)
  const float* grad_loss;   // [1] or nullptr
  __device__ float dscale() const { return dscale_base * (grad_loss ? *grad_loss : 1.f); }
};

// Stages rows [r0, r0+T) × k [k0, k0+kKC) of a [rows, hw] matrix into s[kKC][T+1], transposed
// (coalesced reads along hw; the +1 pad keeps the transposed stores free of bank conflicts).
template <int T>
__device__ __forceinline__ void stage(float (*s)[T + 1], const float* f, int rows, int64_t hw, int r0,
                                      int64_t k0, int64_t kend) {
  for (int e = threadIdx.x; e < T * kKC; e += kThreads) {
    const int i = e / kKC, kk = e % kKC;
    const int r = r0 + i;
    const int64_t k = k0 + kk;
    s[kk][i] = (r < rows && k < kend) ? f[static_cast<int64_t>(r) * hw + k] : 0.f;
  }
}

// Thread (ty, tx) owns rows ty + r·(TM/RM) and columns tx + s·(TN/RN) of the tile: neighbouring
// threads read neighbouring shared-memory words.
template <int TM, int TN, int RM, int RN, bool kDiff>
__global__ void __launch_bounds__(kThreads) gram_tile(GramParams p) {
  static_assert((TM / RM) * (TN / RN) == kThreads, "one output micro-tile per thread");
  __shared__ float As[kKC][TM + 1], Bs[kKC][TN + 1];
  __shared__ float A2s[kDiff ? kKC : 1][TM + 1], B2s[kDiff ? kKC : 1][TN + 1];
  const int tx = threadIdx.x % (TN / RN), ty = threadIdx.x / (TN / RN);
  const int n0 = blockIdx.x * TN, m0 = blockIdx.y * TM;
  const int b = blockIdx.z % p.B, split = blockIdx.z / p.B;
  const int64_t kbeg = split * p.chunk, kend = kbeg + p.chunk < p.hw ? kbeg + p.chunk : p.hw;
  const float* a1 = p.a1 + static_cast<int64_t>(b) * p.m * p.hw;
  const float* b1 = p.b1 + static_cast<int64_t>(b) * p.n * p.hw;
  float acc[RM][RN] = {};
  for (int64_t k0 = kbeg; k0 < kend; k0 += kKC) {
    stage<TM>(As, a1, p.m, p.hw, m0, k0, kend);
    stage<TN>(Bs, b1, p.n, p.hw, n0, k0, kend);
    if constexpr (kDiff) {
      stage<TM>(A2s, p.a2 + static_cast<int64_t>(b) * p.m * p.hw, p.m, p.hw, m0, k0, kend);
      stage<TN>(B2s, p.b2 + static_cast<int64_t>(b) * p.n * p.hw, p.n, p.hw, n0, k0, kend);
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < kKC; ++kk) {
      float av[RM], bv[RN];
#pragma unroll
      for (int r = 0; r < RM; ++r) av[r] = As[kk][ty + r * (TM / RM)];
#pragma unroll
      for (int s = 0; s < RN; ++s) bv[s] = Bs[kk][tx + s * (TN / RN)];
#pragma unroll
      for (int r = 0; r < RM; ++r)
#pragma unroll
        for (int s = 0; s < RN; ++s) acc[r][s] = fmaf(av[r], bv[s], acc[r][s]);
      if constexpr (kDiff) {
#pragma unroll
        for (int r = 0; r < RM; ++r) av[r] = A2s[kk][ty + r * (TM / RM)];
#pragma unroll
        for (int s = 0; s < RN; ++s) bv[s] = B2s[kk][tx + s * (TN / RN)];
#pragma unroll
        for (int r = 0; r < RM; ++r)
#pragma unroll
          for (int s = 0; s < RN; ++s) acc[r][s] = fmaf(-av[r], bv[s], acc[r][s]);
      }
    }
    __syncthreads();
  }
  // Epilogue.
  const int64_t mn = static_cast<int64_t>(p.m) * p.n;
  const bool done = p.splits == 1;  // whole hw in this CTA: the final value
  float* out = p.out ? p.out + (static_cast<int64_t>(split) * p.B + b) * mn : nullptr;
  const float scale = done ? p.inv_hw * (kDiff ? p.dscale() : 1.f) : 1.f;
  double sq = 0.0;
#pragma unroll
  for (int r = 0; r < RM; ++r)
#pragma unroll
    for (int s = 0; s < RN; ++s) {
      const int row = m0 + ty + r * (TM / RM), col = n0 + tx + s * (TN / RN);
      if (row >= p.m || col >= p.n) continue;
      if (kDiff && done) {
        const float delta = acc[r][s] * p.inv_hw;
        sq += static_cast<double>(delta) * delta;
      }
      if (out) out[static_cast<int64_t>(row) * p.n + col] = acc[r][s] * scale;
    }
  if (kDiff && done) {
    sq = dev::block_sum<kThreads>(sq);
    const int64_t block = (static_cast<int64_t>(blockIdx.z) * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
    if (threadIdx.x == 0) p.loss_partials[block] = sq;
  }
}

// Grid-stride pass over the B·m·n elements of a difference Δ = (Σ_s a[s]·a_scale) − (b ? b : 0):
// Σ Δ² per block into partials, and D = dscale·Δ when d is given. Serves v0/v1 (a = Gs, b = Gt,
// one split) and v2 under split-K (a = partial differences, b = nullptr).
constexpr int kDiffBlocks = 1024;

__global__ void __launch_bounds__(kThreads)
    diff_loss(const float* a, int splits, float a_scale, const float* b, int64_t count, float dscale_base,
              const float* grad_loss, double* partials, float* d) {
  const float dscale = d ? dscale_base * (grad_loss ? *grad_loss : 1.f) : 0.f;
  double sq = 0.0;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; e < count;
       e += static_cast<int64_t>(gridDim.x) * kThreads) {
    float v = 0.f;
    for (int s = 0; s < splits; ++s) v += a[s * count + e];
    v *= a_scale;
    if (b) v -= b[e];
    sq += static_cast<double>(v) * v;
    if (d) d[e] = dscale * v;
  }
  sq = dev::block_sum<kThreads>(sq);
  if (threadIdx.x == 0) partials[blockIdx.x] = sq;
}

// G = Σ_s partials[s] / hw (split-K reduction of fsp_matrix v1).
__global__ void split_sum(const float* partials, int splits, int64_t count, float inv_hw, float* G) {
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; e < count;
       e += static_cast<int64_t>(gridDim.x) * kThreads) {
    float v = 0.f;
    for (int s = 0; s < splits; ++s) v += partials[s * count + e];
    G[e] = v * inv_hw;
  }
}

// The current device's SM count (cached per device: cuda:0 and cuda:1 may differ).
int sm_count() {
  int dev = 0;
  COHORT_CUDA_CHECK(cudaGetDevice(&dev));
  return multiprocessor_count(dev);
}

struct TileShape {
  int tm;  // square tiles: 16, 32 or 64
  unsigned gx, gy;
};
TileShape tile_shape(int m, int n) {
  const int small = std::min(m, n);
  const int t = small <= 16 ? 16 : small <= 32 ? 32 : 64;
  return {t, ceil_div(n, t), ceil_div(m, t)};
}

// Split-K so that B·tiles·splits fills about two waves; each split at least 4 chunks long.
void choose_splits(GramParams& p, const TileShape& ts) {
  const int64_t ctas = static_cast<int64_t>(p.B) * ts.gx * ts.gy;
  const int64_t want = 2LL * sm_count();
  int64_t splits = ctas >= want ? 1 : (want + ctas - 1) / ctas;
  splits = std::max<int64_t>(1, std::min<int64_t>(splits, p.hw / (4 * kKC)));
  int64_t chunk = (p.hw + splits - 1) / splits;
  chunk = (chunk + kKC - 1) / kKC * kKC;
  p.chunk = chunk;
  p.splits = static_cast<int>((p.hw + chunk - 1) / chunk);
}

template <bool kDiff>
void launch_gram(const GramParams& p, const TileShape& ts, cudaStream_t stream) {
  const dim3 grid(ts.gx, ts.gy, static_cast<unsigned>(p.B * p.splits));
  switch (ts.tm) {
    case 16: gram_tile<16, 16, 1, 1, kDiff><<<grid, kThreads, 0, stream>>>(p); break;
    case 32: gram_tile<32, 32, 2, 2, kDiff><<<grid, kThreads, 0, stream>>>(p); break;
    default: gram_tile<64, 64, 4, 4, kDiff><<<grid, kThreads, 0, stream>>>(p);
  }
  COHORT_LAUNCH_CHECK();
}

// v1 Gram product into G (scratch for the split-K partials).
void gram_v1(const float* f1, const float* f2, int B, int m, int n, int64_t hw, float* G, cudaStream_t stream) {
  GramParams p{};
  p.a1 = f1, p.b1 = f2, p.B = B, p.m = m, p.n = n, p.hw = hw, p.inv_hw = 1.f / static_cast<float>(hw);
  const TileShape ts = tile_shape(m, n);
  choose_splits(p, ts);
  const int64_t count = static_cast<int64_t>(B) * m * n;
  Scratch partials(p.splits > 1 ? static_cast<size_t>(p.splits * count) * sizeof(float) : 0, stream);
  p.out = p.splits > 1 ? partials.as<float>() : G;
  launch_gram<false>(p, ts, stream);
  if (p.splits > 1) {
    split_sum<<<std::min<unsigned>(ceil_div(count, kThreads), kDiffBlocks), kThreads, 0, stream>>>(
        partials.as<float>(), p.splits, count, p.inv_hw, G);
    COHORT_LAUNCH_CHECK();
  }
}

// cuBLAS on the caller's stream (the context's handle is bound to the current stream, which
// the lab contract says `stream` is).
cublasHandle_t blas(cudaStream_t stream) {
  cublasHandle_t h = cublas_handle();
  COHORT_CUBLAS_CHECK(cublasSetStream(h, stream));
  return h;
}

// Row-major G[b] = alpha·F1[b]·F2[b]ᵀ as the column-major Gᵀ = F2·F1ᵀ (lab.h shapes).
void gram_cublas(const float* f1, const float* f2, int B, int m, int n, int hw, float alpha, float* G,
                 cudaStream_t stream) {
  const float beta = 0.f;
  COHORT_CUBLAS_CHECK(cublasSgemmStridedBatched(blas(stream), CUBLAS_OP_T, CUBLAS_OP_N, n, m, hw, &alpha, f2, hw,
                                                static_cast<long long>(n) * hw, f1, hw,
                                                static_cast<long long>(m) * hw, &beta, G, n,
                                                static_cast<long long>(m) * n, B));
}

// dF1 = D·F2/hw ([m,hw] row-major = column-major F2ᵀ·Dᵀ) and dF2 = Dᵀ·F1/hw (= F1ᵀ·D).
void fsp_backward_cublas(const float* D, const float* f1, const float* f2, int B, int m, int n, int hw,
                         float* d1, float* d2, cudaStream_t stream) {
  const float alpha = 1.f / static_cast<float>(hw), beta = 0.f;
  const long long smn = static_cast<long long>(m) * n;
  if (d1)
    COHORT_CUBLAS_CHECK(cublasSgemmStridedBatched(blas(stream), CUBLAS_OP_N, CUBLAS_OP_N, hw, m, n, &alpha, f2, hw,
                                                  static_cast<long long>(n) * hw, D, n, smn, &beta, d1, hw,
                                                  static_cast<long long>(m) * hw, B));
  if (d2)
    COHORT_CUBLAS_CHECK(cublasSgemmStridedBatched(blas(stream), CUBLAS_OP_N, CUBLAS_OP_T, hw, n, m, &alpha, f1, hw,
                                                  static_cast<long long>(m) * hw, D, n, smn, &beta, d2, hw,
                                                  static_cast<long long>(n) * hw, B));
}

void check_fsp(int B, int m, int n, int64_t hw) {
  COHORT_CHECK(B > 0 && m > 0 && n > 0 && hw > 0 && hw <= (1 << 30) &&
                   static_cast<int64_t>(B) * m * n <= (1LL << 31) && B <= 65535,
               "lab::fsp: unsupported shape B={} m={} n={} hw={}", B, m, n, hw);
}

}  // namespace

void fsp_matrix(const float* f1, const float* f2, int B, int m, int n, int64_t hw, float* G, int version,
                cudaStream_t stream) {
  check_fsp(B, m, n, hw);
  const int v = resolve_version(Family::fsp, version, 0);
  if (v == 0)
    gram_cublas(f1, f2, B, m, n, static_cast<int>(hw), 1.f / static_cast<float>(hw), G, stream);
  else
    gram_v1(f1, f2, B, m, n, hw, G, stream);  // v2 is a loss-only design
}

void fsp_loss(const float* fs1, const float* fs2, const float* ft1, const float* ft2, int B, int m, int n,
              int64_t hw, float lambda, float* loss, float* grad_fs1, float* grad_fs2, const float* grad_loss,
              int version, cudaStream_t stream) {
  check_fsp(B, m, n, hw);
  const int v = resolve_version(Family::fsp, version, 0);
  const bool grads = grad_fs1 || grad_fs2;
  if (!loss && !grads) return;
  const int64_t count = static_cast<int64_t>(B) * m * n;
  const float dscale_base = 2.f * lambda / static_cast<float>(B);
  Scratch D(grads ? static_cast<size_t>(count) * sizeof(float) : 0, stream);
  const unsigned diff_blocks = std::min<unsigned>(ceil_div(count, kThreads), kDiffBlocks);
  int64_t n_partials = diff_blocks;
  if (v == 2) {
    GramParams p{};
    p.a1 = fs1, p.b1 = fs2, p.a2 = ft1, p.b2 = ft2, p.B = B, p.m = m, p.n = n, p.hw = hw;
    p.inv_hw = 1.f / static_cast<float>(hw), p.dscale_base = dscale_base, p.grad_loss = grad_loss;
    const TileShape ts = tile_shape(m, n);
    choose_splits(p, ts);
    if (p.splits == 1) {
      // The fused path proper: loss partials per CTA, D only if gradients are wanted.
      n_partials = static_cast<int64_t>(ts.gx) * ts.gy * B;
      Scratch part(static_cast<size_t>(n_partials) * sizeof(double), stream);
      p.loss_partials = part.as<double>();
      p.out = grads ? D.as<float>() : nullptr;
      launch_gram<true>(p, ts, stream);
      if (loss) finalize_rows(part.as<double>(), 1, n_partials, lambda / static_cast<double>(B), nullptr, loss, stream);
    } else {
      // Split-K: partial differences, then one pass squares their sums (and writes D).
      Scratch diff(static_cast<size_t>(p.splits * count) * sizeof(float), stream);
      Scratch part(static_cast<size_t>(n_partials) * sizeof(double), stream);
      p.out = diff.as<float>();
      launch_gram<true>(p, ts, stream);
      diff_loss<<<diff_blocks, kThreads, 0, stream>>>(diff.as<float>(), p.splits, p.inv_hw, nullptr, count,
                                                      dscale_base, grad_loss, part.as<double>(),
                                                      grads ? D.as<float>() : nullptr);
      COHORT_LAUNCH_CHECK();
      if (loss) finalize_rows(part.as<double>(), 1, n_partials, lambda / static_cast<double>(B), nullptr, loss, stream);
    }
  } else {
    Scratch G(2 * static_cast<size_t>(count) * sizeof(float), stream);
    float* gs = G.as<float>();
    float* gt = gs + count;
    if (v == 0) {
      const float inv_hw = 1.f / static_cast<float>(hw);
      gram_cublas(fs1, fs2, B, m, n, static_cast<int>(hw), inv_hw, gs, stream);
      gram_cublas(ft1, ft2, B, m, n, static_cast<int>(hw), inv_hw, gt, stream);
    } else {
      gram_v1(fs1, fs2, B, m, n, hw, gs, stream);
      gram_v1(ft1, ft2, B, m, n, hw, gt, stream);
    }
    Scratch part(static_cast<size_t>(n_partials) * sizeof(double), stream);
    double* partials = part.as<double>();
    diff_loss<<<diff_blocks, kThreads, 0, stream>>>(gs, 1, 1.f, gt, count, dscale_base, grad_loss, partials,
                                                    grads ? D.as<float>() : nullptr);
    COHORT_LAUNCH_CHECK();
    if (loss) finalize_rows(partials, 1, n_partials, lambda / static_cast<double>(B), nullptr, loss, stream);
  }
  if (grads) fsp_backward_cublas(D.as<float>(), fs1, fs2, B, m, n, static_cast<int>(hw), grad_fs1, grad_fs2, stream);
}

}  // namespace cohort::cuda::lab
