// softmax-KL (Hinton KD) lab kernels. Contract: kernels/cuda/lab/lab.h; CPU reference:
// cpu::kd_kl_forward / kd_kl_backward (kernels/cpu/losses.cpp); derivation: docs/kernels.md.
//
//   s, t [N, C]; x = s/T, y = t/T; p_s = softmax(x), p_t = softmax(y) (or t itself, probs)
//   loss   = T²/N Σ_n KL_n,   KL_n = Σ_c p_t (log p_t − log p_s)
//   grad_s = g·(T/N)(p_s − p_t)
//
// Bytes per call (f32): forward reads 2·N·C·4 (once, ideally); backward reads 2·N·C·4 and
// writes N·C·4. FLOPs are negligible (~2 exp + a few FMAs per element): every version is
// memory-bound for C >= 100, latency/launch-bound for tiny N·C.
//
// Versions (naive -> fast):
//   v0  one thread per row, three loops over the row (max, Σexp, terms). Uncoalesced: adjacent
//       threads read addresses C floats apart — the "what not to do" baseline.
//   v1  one 256-thread block per row, shared-memory block reductions, three coalesced passes.
//       Wastes most threads for C = 10 and re-reads the row three times (L1/L2 hits mostly).
//   v2  one warp (or a 8/16-lane sub-warp when C <= 32) per row; the row lives in registers, so
//       global memory is read exactly once even for the fused forward+backward; float4 loads
//       when C % 4 == 0. C <= 1024 (32 floats per lane per tensor).
//   v3  one block per row with an online softmax: a single pass yields max, Σexp and — with the
//       identity KL = Σ p_t (y − x) + lse_s − lse_t = A/S_t + lse_s − lse_t, A = Σ e^{y−m_t}(y−x)
//       carried through the rescaling — the row's KL too. The gradient needs lse first, so it is
//       a second pass (for 32000 classes the row is 128 KB per tensor; the re-read hits L2).
// Per-row KL goes to a double buffer; finalize_rows sums it in a fixed order (deterministic).
//
// Files: v1 and the frame every version runs in are in softmax_kl_shipped.cu (the product library
// ships v1); the parameter block and shared device helpers in softmax_kl.cuh; this file (cohort_lab)
// has v0, v2, v3 and lab::softmax_kl, which runs any version.
#include "core/error.h"
#include "kernels/cuda/lab/lab.h"
#include "kernels/cuda/lab/softmax_kl.cuh"

namespace cohort::cuda::lab {

namespace detail {

namespace {

// ---- v0: one thread per row -------------------------------------------------------------------
__global__ void kl_v0(KlParams p) {
  const int64_t n = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (n >= p.N) return;
  const float* s = p.s + n * p.C;
  const float* t = p.t + n * p.C;
  float ms = -INFINITY, mt = -INFINITY;
  for (int c = 0; c < p.C; ++c) {
    ms = fmaxf(ms, s[c] * p.inv_t);
    if (!p.probs) mt = fmaxf(mt, t[c] * p.inv_t);
  }
  float ss = 0.f, st = 0.f;
  for (int c = 0; c < p.C; ++c) {
    ss += expf(s[c] * p.inv_t - ms);
    if (!p.probs) st += expf(t[c] * p.inv_t - mt);
  }
  const float lse_s = ms + logf(ss), lse_t = p.probs ? 0.f : mt + logf(st);
  const float g = p.grad ? p.g() : 0.f;
  float kl = 0.f;
  for (int c = 0; c < p.C; ++c) {
    float dp;
    kl += kl_elem(s[c] * p.inv_t, p.probs ? t[c] : t[c] * p.inv_t, p.probs, lse_s, lse_t, &dp);
    if (p.grad) p.grad[n * p.C + c] = g * dp;
  }
  if (p.rows) p.rows[n] = kl;
}

// ---- v2: G lanes per row, the row in registers ------------------------------------------------
// Lane `l` of a group owns elements (i·G + l)·V + v, i < IT, v < V: consecutive lanes read
// consecutive 4·V-byte chunks (coalesced), and the same lane writes the same elements back.
constexpr int kV2Threads = 128;

template <int G, int V, int IT>
__global__ void __launch_bounds__(kV2Threads) kl_v2(KlParams p) {
  constexpr int kRows = kV2Threads / G;  // rows per block
  const int lane = threadIdx.x % G;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kRows + threadIdx.x / G;
  // Groups past the last row keep running with padding: the shuffles need every lane.
  const bool active = n < p.N;
  const float pad_t = p.probs ? 0.f : -INFINITY;
  float x[IT * V], y[IT * V];
#pragma unroll
  for (int i = 0; i < IT; ++i) {
    const int c = (i * G + lane) * V;
    if (active && c < p.C) {
      if constexpr (V == 4) {
        const float4 a = *reinterpret_cast<const float4*>(p.s + n * p.C + c);
        const float4 b = *reinterpret_cast<const float4*>(p.t + n * p.C + c);
        x[4 * i] = a.x, x[4 * i + 1] = a.y, x[4 * i + 2] = a.z, x[4 * i + 3] = a.w;
        y[4 * i] = b.x, y[4 * i + 1] = b.y, y[4 * i + 2] = b.z, y[4 * i + 3] = b.w;
      } else {
        x[i] = p.s[n * p.C + c];
        y[i] = p.t[n * p.C + c];
      }
#pragma unroll
      for (int v = 0; v < V; ++v) {
        x[i * V + v] *= p.inv_t;
        if (!p.probs) y[i * V + v] *= p.inv_t;
      }
    } else {
#pragma unroll
      for (int v = 0; v < V; ++v) x[i * V + v] = -INFINITY, y[i * V + v] = pad_t;
    }
  }
  float ms = -INFINITY, mt = -INFINITY;
#pragma unroll
  for (int j = 0; j < IT * V; ++j) ms = fmaxf(ms, x[j]), mt = fmaxf(mt, y[j]);
  ms = dev::group_max<G>(ms);
  mt = dev::group_max<G>(mt);
  float ss = 0.f, st = 0.f;
#pragma unroll
  for (int j = 0; j < IT * V; ++j) {
    ss += expf(x[j] - ms);  // padding: exp(−inf) = 0
    if (!p.probs) st += expf(y[j] - mt);
  }
  const float lse_s = ms + logf(dev::group_sum<G>(ss));
  const float lse_t = p.probs ? 0.f : mt + logf(dev::group_sum<G>(st));
  const float g = p.grad ? p.g() : 0.f;
  float kl = 0.f, d[IT * V];
#pragma unroll
  for (int j = 0; j < IT * V; ++j) {
    // Padding is told by its column, not its value: a real student logit of −inf must give
    // KL = +inf (as on the CPU) where the teacher puts mass on it, not be skipped as padding.
    const bool real = ((j / V) * G + lane) * V + j % V < p.C;
    const float term = kl_elem(x[j], y[j], p.probs, lse_s, lse_t, &d[j]);
    kl += real ? term : 0.f;
  }
  kl = dev::group_sum<G>(kl);
  if (!active) return;  // no shuffles below
  if (p.rows && lane == 0) p.rows[n] = kl;
  if (!p.grad) return;
#pragma unroll
  for (int i = 0; i < IT; ++i) {
    const int c = (i * G + lane) * V;
    if (c >= p.C) continue;
    if constexpr (V == 4) {
      *reinterpret_cast<float4*>(p.grad + n * p.C + c) =
          make_float4(g * d[4 * i], g * d[4 * i + 1], g * d[4 * i + 2], g * d[4 * i + 3]);
    } else {
      p.grad[n * p.C + c] = g * d[i];
    }
  }
}

void run_v2(const KlParams& p, cudaStream_t stream) {
  const bool vec4 = dev::rows_vec4(p.s, p.C) && dev::rows_vec4(p.t, p.C) && (!p.grad || dev::rows_vec4(p.grad, p.C));
  with_v2_layout(p.C, vec4, [&]<int G, int V, int IT>() {
    kl_v2<G, V, IT><<<ceil_div(p.N, kV2Threads / G), kV2Threads, 0, stream>>>(p);
  });
}

// ---- v3: block per row, online softmax --------------------------------------------------------
constexpr int kV3Threads = 256;

// Accumulates one element into the per-thread state of v3's single pass.
struct KlOnline {
  dev::Online st, tt;          // student; teacher logits (aux = Σ e^{y−m_t}(y − x))
  float plogp = 0.f, px = 0.f, psum = 0.f;  // teacher probs: Σ p log p, Σ p·x, Σ p
  __device__ __forceinline__ void add(float x, float tv, bool probs) {
    st.add(x);
    if (probs) {
      plogp += tv > 0.f ? tv * logf(tv) : 0.f;
      px += tv * x;
      psum += tv;
    } else {
      tt.add(tv, tv - x);
    }
  }
};

template <bool kVec4>
__global__ void __launch_bounds__(kV3Threads) kl_v3(KlParams p) {
  const int64_t n = blockIdx.x;
  const float* s = p.s + n * p.C;
  const float* t = p.t + n * p.C;
  const float tscale = p.probs ? 1.f : p.inv_t;
  KlOnline acc;
  if constexpr (kVec4) {
    for (int c = threadIdx.x * 4; c < p.C; c += kV3Threads * 4) {
      const float4 a = *reinterpret_cast<const float4*>(s + c);
      const float4 b = *reinterpret_cast<const float4*>(t + c);
      acc.add(a.x * p.inv_t, b.x * tscale, p.probs);
      acc.add(a.y * p.inv_t, b.y * tscale, p.probs);
      acc.add(a.z * p.inv_t, b.z * tscale, p.probs);
      acc.add(a.w * p.inv_t, b.w * tscale, p.probs);
    }
  } else {
    for (int c = threadIdx.x; c < p.C; c += kV3Threads) acc.add(s[c] * p.inv_t, t[c] * tscale, p.probs);
  }
  const dev::Online st = dev::block_merge<kV3Threads>(acc.st);
  const float lse_s = st.lse();
  float lse_t = 0.f;
  float kl;
  if (p.probs) {
    // KL = Σ p log p − Σ p·x + lse_s·Σ p (Σ p is 1 up to the caller's rounding).
    const float a = dev::block_sum<kV3Threads>(acc.plogp), b = dev::block_sum<kV3Threads>(acc.px),
                c = dev::block_sum<kV3Threads>(acc.psum);
    kl = a - b + lse_s * c;
  } else {
    const dev::Online tt = dev::block_merge<kV3Threads>(acc.tt);
    lse_t = tt.lse();
    kl = tt.aux / tt.s + lse_s - lse_t;
  }
  if (p.rows && threadIdx.x == 0) p.rows[n] = kl;
  if (!p.grad) return;
  const float g = p.g();
  float* out = p.grad + n * p.C;
  float dp;
  if constexpr (kVec4) {
    for (int c = threadIdx.x * 4; c < p.C; c += kV3Threads * 4) {
      const float4 a = *reinterpret_cast<const float4*>(s + c);
      const float4 b = *reinterpret_cast<const float4*>(t + c);
      float4 o;
      kl_elem(a.x * p.inv_t, b.x * tscale, p.probs, lse_s, lse_t, &dp), o.x = g * dp;
      kl_elem(a.y * p.inv_t, b.y * tscale, p.probs, lse_s, lse_t, &dp), o.y = g * dp;
      kl_elem(a.z * p.inv_t, b.z * tscale, p.probs, lse_s, lse_t, &dp), o.z = g * dp;
      kl_elem(a.w * p.inv_t, b.w * tscale, p.probs, lse_s, lse_t, &dp), o.w = g * dp;
      *reinterpret_cast<float4*>(out + c) = o;
    }
  } else {
    for (int c = threadIdx.x; c < p.C; c += kV3Threads) {
      kl_elem(s[c] * p.inv_t, t[c] * tscale, p.probs, lse_s, lse_t, &dp);
      out[c] = g * dp;
    }
  }
}

}  // namespace

void launch_kl_v0(const KlParams& p, cudaStream_t stream) {
  kl_v0<<<ceil_div(p.N, 128), 128, 0, stream>>>(p);
}
void launch_kl_v2(const KlParams& p, cudaStream_t stream) { run_v2(p, stream); }
void launch_kl_v3(const KlParams& p, cudaStream_t stream) {
  if (dev::rows_vec4(p.s, p.C) && dev::rows_vec4(p.t, p.C) && (!p.grad || dev::rows_vec4(p.grad, p.C)))
    kl_v3<true><<<static_cast<unsigned>(p.N), kV3Threads, 0, stream>>>(p);
  else
    kl_v3<false><<<static_cast<unsigned>(p.N), kV3Threads, 0, stream>>>(p);
}

}  // namespace detail

void softmax_kl(const float* s, const float* t, int64_t N, int64_t C, float temperature,
                bool teacher_is_probs, float* loss, float* grad_s, const float* grad_loss,
                int version, cudaStream_t stream) {
  // The argument errors come before the version's, as they did when this was one function.
  detail::check_softmax_kl(N, C, temperature);
  constexpr detail::KlLaunch kVersions[] = {detail::launch_kl_v0, detail::launch_kl_v1,
                                            detail::launch_kl_v2, detail::launch_kl_v3};
  detail::run_softmax_kl(kVersions[resolve_version(Family::softmax_kl, version, C)], s, t, N, C,
                         temperature, teacher_is_probs, loss, grad_s, grad_loss, stream);
}

}  // namespace cohort::cuda::lab
