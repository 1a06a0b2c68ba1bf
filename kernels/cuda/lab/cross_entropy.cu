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
#include "core/error.h"
#include "kernels/cuda/lab/lab.h"
#include "kernels/cuda/lab/lab_common.cuh"

namespace cohort::cuda::lab {

namespace {

struct CeParams {
  const float* z;          // [N, C]
  const int64_t* y;        // [N]
  int64_t N;
  int C;
  float eps;               // label smoothing
  int64_t ignore;          // ignore_index
  double* rows;            // [N] row losses (0 for rows not counted), or nullptr
  float* row_lse;          // [N] or nullptr
  float* grad;             // [N, C] or nullptr
  const float* grad_loss;  // [1] or nullptr (= 1)
  const float* count;      // [1] number of counted rows (written by count_rows)
  __device__ bool counted(int64_t label) const { return label != ignore && label >= 0 && label < C; }
  __device__ float g() const { return (grad_loss ? *grad_loss : 1.f) / *count; }
  // The row's loss from its lse, Σ_c z_c (used only when ε > 0) and label. At ε = 0 the
  // smoothing term is skipped, not multiplied by 0: one −inf (masked) logit makes Σz −inf and
  // 0·(−inf) would turn the loss into NaN, where the CPU reference gives a finite loss.
  __device__ float row_loss(int64_t n, int64_t label, float lse, float sum_z) const {
    const float nll = lse - (1.f - eps) * z[n * C + label];
    return eps > 0.f ? nll - eps * sum_z / static_cast<float>(C) : nll;
  }
  // d ℓ_n / d z_c before the g/valid factor.
  __device__ float dz(float zc, int c, int64_t label, float lse) const {
    return expf(zc - lse) - (c == label ? 1.f - eps : 0.f) - eps / static_cast<float>(C);
  }
};

// ---- the counting pre-pass (one block, integer sum: exact and deterministic) -----------------
constexpr int kCountThreads = 1024;

__global__ void __launch_bounds__(kCountThreads)
    count_rows(const int64_t* y, int64_t N, int C, int64_t ignore, float* count, int* bad) {
  long long k = 0;
  bool any_bad = false;
  for (int64_t n = threadIdx.x; n < N; n += kCountThreads) {
    const int64_t label = y[n];
    if (label == ignore) continue;
    if (label < 0 || label >= C) any_bad = true;
    else ++k;
  }
  if (any_bad && bad) atomicExch(bad, 1);
  k = dev::block_sum<kCountThreads>(k);
  if (threadIdx.x == 0) *count = static_cast<float>(k);
}

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

// ---- v1: block per row, shared-memory reductions ---------------------------------------------
constexpr int kV1Threads = 256;

__global__ void __launch_bounds__(kV1Threads) ce_v1(CeParams p) {
  const int64_t n = blockIdx.x;
  const float* z = p.z + n * p.C;
  float m = -INFINITY, sum_z = 0.f;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads) m = fmaxf(m, z[c]), sum_z += z[c];
  m = dev::block_max<kV1Threads>(m);
  if (p.eps > 0.f) sum_z = dev::block_sum<kV1Threads>(sum_z);
  float s = 0.f;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads) s += expf(z[c] - m);
  const float lse = m + logf(dev::block_sum<kV1Threads>(s));
  const int64_t label = p.y[n];
  const bool use = p.counted(label);
  if (threadIdx.x == 0) {
    if (p.row_lse) p.row_lse[n] = lse;
    if (p.rows) p.rows[n] = use ? p.row_loss(n, label, lse, sum_z) : 0.0;
  }
  if (!p.grad) return;
  const float g = use ? p.g() : 0.f;
  for (int c = threadIdx.x; c < p.C; c += kV1Threads)
    p.grad[n * p.C + c] = use ? g * p.dz(z[c], c, label, lse) : 0.f;
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

template <int G, int V, int IT>
void launch_v2(const CeParams& p, cudaStream_t stream) {
  ce_v2<G, V, IT><<<ceil_div(p.N, kV2Threads / G), kV2Threads, 0, stream>>>(p);
}

void run_v2(const CeParams& p, cudaStream_t stream) {
  const int C = p.C;
  if (C <= 8) return launch_v2<8, 1, 1>(p, stream);
  if (C <= 16) return launch_v2<16, 1, 1>(p, stream);
  if (C <= 32) return launch_v2<32, 1, 1>(p, stream);
  if (dev::rows_vec4(p.z, C) && (!p.grad || dev::rows_vec4(p.grad, C))) {
    if (C <= 128) return launch_v2<32, 4, 1>(p, stream);
    if (C <= 256) return launch_v2<32, 4, 2>(p, stream);
    if (C <= 512) return launch_v2<32, 4, 4>(p, stream);
    return launch_v2<32, 4, 8>(p, stream);
  }
  if (C <= 128) return launch_v2<32, 1, 4>(p, stream);
  if (C <= 256) return launch_v2<32, 1, 8>(p, stream);
  if (C <= 512) return launch_v2<32, 1, 16>(p, stream);
  return launch_v2<32, 1, 32>(p, stream);
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

void cross_entropy(const float* z, const int64_t* y, int64_t N, int64_t C, float label_smoothing,
                   int64_t ignore_index, float* loss, float* row_lse, float* valid, float* grad,
                   const float* grad_loss, int* bad_label, int version, cudaStream_t stream) {
  COHORT_CHECK(N > 0 && C > 0 && C <= (1 << 30),
               "lab::cross_entropy: needs N > 0 and 0 < C <= 2^30; got N={} C={}", N, C);
  COHORT_CHECK(label_smoothing >= 0.f && label_smoothing <= 1.f,
               "lab::cross_entropy: label_smoothing must be in [0, 1], got {}", label_smoothing);
  const int v = resolve_version(Family::cross_entropy, version, C);
  Scratch count_scratch(valid ? 0 : sizeof(float), stream);
  float* count = valid ? valid : count_scratch.as<float>();
  count_rows<<<1, kCountThreads, 0, stream>>>(y, N, static_cast<int>(C), ignore_index, count, bad_label);
  COHORT_LAUNCH_CHECK();
  if (!loss && !row_lse && !grad) return;
  Scratch rows(loss ? static_cast<size_t>(N) * sizeof(double) : 0, stream);
  const CeParams p{z, y, N, static_cast<int>(C), label_smoothing, ignore_index,
                   rows.as<double>(), row_lse, grad, grad_loss, count};
  switch (v) {
    case 0: ce_v0<<<ceil_div(N, 128), 128, 0, stream>>>(p); break;
    case 1: ce_v1<<<static_cast<unsigned>(N), kV1Threads, 0, stream>>>(p); break;
    case 2: run_v2(p, stream); break;
    default:
      if (dev::rows_vec4(z, C) && (!grad || dev::rows_vec4(grad, C)))
        ce_v3<true><<<static_cast<unsigned>(N), kV3Threads, 0, stream>>>(p);
      else
        ce_v3<false><<<static_cast<unsigned>(N), kV3Threads, 0, stream>>>(p);
  }
  COHORT_LAUNCH_CHECK();
  if (loss) finalize_rows(rows.as<double>(), 1, N, 1.0, count, loss, stream);
}

}  // namespace cohort::cuda::lab
