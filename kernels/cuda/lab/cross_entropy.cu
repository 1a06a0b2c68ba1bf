// Cross-entropy (fused log-softmax + NLL) lab kernels. Contract: kernels/cuda/lab/lab.h; CPU
// reference: cpu::cross_entropy_forward / _backward (kernels/cpu/losses.cpp).
//
//   lse_n = log Σ_c exp z_nc;  row loss ℓ_n = lse_n − (1−ε) z_ny − ε·mean_c z_nc
//   loss  = Σ_{counted n} ℓ_n / valid;   grad = g/valid · (softmax(z_n) − (1−ε)·onehot(y_n) − ε/C)
// (ℓ_n is (1−ε)(−log p_y) + ε·mean_c(−log p_c) with log p_c = z_c − lse; the gradient of lse is
// softmax, of z_y the one-hot, of mean_c z_c the constant 1/C.)
//
// A small first kernel counts the rows that take part (label != ignore_index and inside
// [0, C)) and raises the bad-label flag: the gradient needs 1/valid before any row is done, and
// counting from the labels alone (8·N bytes) is far cheaper than a second pass over the logits.
//
// Bytes per call: forward reads N·C·4 + 8N, writes 4N (row_lse); fused forward+backward
// additionally writes N·C·4 (v2 reads the logits once, v3 twice, v1 three times, v0 three times
// uncoalesced).
//
// Versions: as softmax_kl.cu — v0 thread per row, v1 block per row (shared-memory reductions),
// v2 warp/sub-warp per row in registers (float4; C <= 1024), v3 block per row with an online
// softmax (one pass gives max, Σexp and Σz; the gradient is a second pass).
//
// Files: v1 and the frame every version runs in are in cross_entropy_shipped.cu (the product library
// ships v1); the parameter block and shared device helpers in cross_entropy.cuh; this file (cohort_lab)
// has v0, v2, v3 and lab::cross_entropy, which runs any version.
#include "core/error.h"
#include "kernels/cuda/lab/lab.h"
#include "kernels/cuda/lab/cross_entropy.cuh"

namespace cohort::cuda::lab {

namespace detail {

namespace {

// ---- v0: one thread per row -------------------------------------------------------------------
__global__ void ce_v0(CeParams p) {
  const int64_t n = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (n >= p.N) return;
  const float* z = p.z + n * p.C;
  float m = -INFINITY, sum_z = 0.f;
  for (int c = 0; c < p.C; ++c) m = fmaxf(m, z[c]), sum_z += z[c];
  float s = 0.f;
  for (int c = 0; c < p.C; ++c) s += expf(z[c] - m);
  const float lse = m + logf(s);
  const int64_t label = p.y[n];
  const bool use = p.counted(label);
  if (p.row_lse) p.row_lse[n] = lse;
  if (p.rows) p.rows[n] = use ? p.row_loss(n, label, lse, sum_z) : 0.0;
  if (!p.grad) return;
  const float g = use ? p.g() : 0.f;
  for (int c = 0; c < p.C; ++c) p.grad[n * p.C + c] = use ? g * p.dz(z[c], c, label, lse) : 0.f;
}

// ---- v2: G lanes per row, the row in registers (layout as in softmax_kl.cu) ------------------
constexpr int kV2Threads = 128;

template <int G, int V, int IT>
__global__ void __launch_bounds__(kV2Threads) ce_v2(CeParams p) {
  constexpr int kRows = kV2Threads / G;
  const int lane = threadIdx.x % G;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kRows + threadIdx.x / G;
  const bool active = n < p.N;  // inactive groups still join the shuffles
  float x[IT * V];
#pragma unroll
  for (int i = 0; i < IT; ++i) {
    const int c = (i * G + lane) * V;
    if (active && c < p.C) {
      if constexpr (V == 4) {
        const float4 a = *reinterpret_cast<const float4*>(p.z + n * p.C + c);
        x[4 * i] = a.x, x[4 * i + 1] = a.y, x[4 * i + 2] = a.z, x[4 * i + 3] = a.w;
      } else {
        x[i] = p.z[n * p.C + c];
      }
    } else {
#pragma unroll
      for (int v = 0; v < V; ++v) x[i * V + v] = -INFINITY;
    }
  }
  float m = -INFINITY, sum_z = 0.f;
#pragma unroll
  for (int j = 0; j < IT * V; ++j) m = fmaxf(m, x[j]), sum_z += x[j] == -INFINITY ? 0.f : x[j];
  m = dev::group_max<G>(m);
  float s = 0.f;
#pragma unroll
  for (int j = 0; j < IT * V; ++j) s += expf(x[j] - m);
  const float lse = m + logf(dev::group_sum<G>(s));
  if (p.eps > 0.f) sum_z = dev::group_sum<G>(sum_z);
  if (!active) return;  // no shuffles below
  const int64_t label = p.y[n];
  const bool use = p.counted(label);
  if (lane == 0) {
    if (p.row_lse) p.row_lse[n] = lse;
    if (p.rows) p.rows[n] = use ? p.row_loss(n, label, lse, sum_z) : 0.0;
  }
  if (!p.grad) return;
  const float g = use ? p.g() : 0.f;
#pragma unroll
  for (int i = 0; i < IT; ++i) {
    const int c = (i * G + lane) * V;
    if (c >= p.C) continue;
    float d[V];
#pragma unroll
    for (int v = 0; v < V; ++v) d[v] = use ? g * p.dz(x[i * V + v], c + v, label, lse) : 0.f;
    if constexpr (V == 4)
      *reinterpret_cast<float4*>(p.grad + n * p.C + c) = make_float4(d[0], d[1], d[2], d[3]);
    else
      p.grad[n * p.C + c] = d[0];
  }
}

void run_v2(const CeParams& p, cudaStream_t stream) {
  const bool vec4 = dev::rows_vec4(p.z, p.C) && (!p.grad || dev::rows_vec4(p.grad, p.C));
  with_v2_layout(p.C, vec4, [&]<int G, int V, int IT>() {
    ce_v2<G, V, IT><<<ceil_div(p.N, kV2Threads / G), kV2Threads, 0, stream>>>(p);
  });
}

// ---- v3: block per row, online softmax --------------------------------------------------------
constexpr int kV3Threads = 256;

template <bool kVec4>
__global__ void __launch_bounds__(kV3Threads) ce_v3(CeParams p) {
  const int64_t n = blockIdx.x;
  const float* z = p.z + n * p.C;
  dev::Online st;
  float sum_z = 0.f;
  if constexpr (kVec4) {
    for (int c = threadIdx.x * 4; c < p.C; c += kV3Threads * 4) {
      const float4 a = *reinterpret_cast<const float4*>(z + c);
      st.add(a.x), st.add(a.y), st.add(a.z), st.add(a.w);
      sum_z += (a.x + a.y) + (a.z + a.w);
    }
  } else {
    for (int c = threadIdx.x; c < p.C; c += kV3Threads) st.add(z[c]), sum_z += z[c];
  }
  const float lse = dev::block_merge<kV3Threads>(st).lse();
  if (p.eps > 0.f) sum_z = dev::block_sum<kV3Threads>(sum_z);
  const int64_t label = p.y[n];
  const bool use = p.counted(label);
  if (threadIdx.x == 0) {
    if (p.row_lse) p.row_lse[n] = lse;
    if (p.rows) p.rows[n] = use ? p.row_loss(n, label, lse, sum_z) : 0.0;
  }
  if (!p.grad) return;
  const float g = use ? p.g() : 0.f;
  float* out = p.grad + n * p.C;
  if constexpr (kVec4) {
    for (int c = threadIdx.x * 4; c < p.C; c += kV3Threads * 4) {
      const float4 a = *reinterpret_cast<const float4*>(z + c);
      float4 o = make_float4(0.f, 0.f, 0.f, 0.f);
      if (use)
        o = make_float4(g * p.dz(a.x, c, label, lse), g * p.dz(a.y, c + 1, label, lse),
                        g * p.dz(a.z, c + 2, label, lse), g * p.dz(a.w, c + 3, label, lse));
      *reinterpret_cast<float4*>(out + c) = o;
    }
  } else {
    for (int c = threadIdx.x; c < p.C; c += kV3Threads) out[c] = use ? g * p.dz(z[c], c, label, lse) : 0.f;
  }
}

}  // namespace

void launch_ce_v0(const CeParams& p, cudaStream_t stream) {
  ce_v0<<<ceil_div(p.N, 128), 128, 0, stream>>>(p);
}
void launch_ce_v2(const CeParams& p, cudaStream_t stream) { run_v2(p, stream); }
void launch_ce_v3(const CeParams& p, cudaStream_t stream) {
  if (dev::rows_vec4(p.z, p.C) && (!p.grad || dev::rows_vec4(p.grad, p.C)))
    ce_v3<true><<<static_cast<unsigned>(p.N), kV3Threads, 0, stream>>>(p);
  else
    ce_v3<false><<<static_cast<unsigned>(p.N), kV3Threads, 0, stream>>>(p);
}

}  // namespace detail

void cross_entropy(const float* z, const int64_t* y, int64_t N, int64_t C, float label_smoothing,
                   int64_t ignore_index, float* loss, float* row_lse, float* valid, float* grad,
                   const float* grad_loss, int* bad_label, int version, cudaStream_t stream) {
  // The argument errors come before the version's, as they did when this was one function.
  detail::check_cross_entropy(N, C, label_smoothing);
  constexpr detail::CeLaunch kVersions[] = {detail::launch_ce_v0, detail::launch_ce_v1,
                                            detail::launch_ce_v2, detail::launch_ce_v3};
  detail::run_cross_entropy(kVersions[resolve_version(Family::cross_entropy, version, C)], z, y, N,
                            C, label_smoothing, ignore_index, loss, row_lse, valid, grad, grad_loss,
                            bad_label, stream);
}

}  // namespace cohort::cuda::lab
