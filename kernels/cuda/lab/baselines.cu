// The baselines the lab kernels are measured against (contracts in lab.h): what one gets by
// composing library calls and one-line helper kernels, as a framework without fused
// distillation kernels would. Each step is a separate launch that reads and writes whole
// [N, C] tensors — that traffic is exactly what the fused kernels remove.
//   softmax-KL: scale by 1/T, cudnnSoftmaxForward(LOG) ×2, elementwise KL, row sums, finalise;
//               gradient: one elementwise kernel on the two log-prob tensors.
//   CE:         cudnnSoftmaxForward(LOG), row sums of log p (label smoothing), NLL per row,
//               finalise; gradient: exp(log p) − target elementwise.
//   cohort:     K(K−1) pairwise softmax_kl calls (best version) and gradient accumulation.
// The FSP baseline is fsp_loss version 0 (cublasSgemmStridedBatched), in fsp.cu.
#include <cudnn.h>

#include <algorithm>

#include "core/error.h"
#include "kernels/common/softmax_math.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/lab/lab.h"
#include "kernels/cuda/lab/lab_common.cuh"

namespace cohort::cuda::lab {

namespace {

constexpr int kThreads = 256;

unsigned grid_for(int64_t n) { return std::min<unsigned>(ceil_div(n, kThreads), 4096u); }

#define LAB_GRID_LOOP(i, n)                                                                 \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)

// RAII N×C×1×1 f32 tensor descriptor (cudnnSoftmaxForward, MODE_INSTANCE: softmax over C·1·1).
class RowsDesc {
 public:
  RowsDesc(int64_t N, int64_t C) {
    COHORT_CHECK(N <= (1LL << 31) - 1 && C <= (1LL << 31) - 1, "cudnn baseline: N={} C={} exceed int", N, C);
    COHORT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d_));
    COHORT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, static_cast<int>(N),
                                                  static_cast<int>(C), 1, 1));
  }
  ~RowsDesc() { cudnnDestroyTensorDescriptor(d_); }
  RowsDesc(const RowsDesc&) = delete;
  RowsDesc& operator=(const RowsDesc&) = delete;
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

void log_softmax_cudnn(const RowsDesc& desc, const float* x, float* y, cudaStream_t stream) {
  cudnnHandle_t h = cudnn_handle();
  COHORT_CUDNN_CHECK(cudnnSetStream(h, stream));
  const float one = 1.f, zero = 0.f;
  COHORT_CUDNN_CHECK(cudnnSoftmaxForward(h, CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_INSTANCE, &one, desc.get(), x,
                                         &zero, desc.get(), y));
}

__global__ void scale_kernel(const float* x, int64_t n, float a, float* y) {
  LAB_GRID_LOOP(i, n) y[i] = x[i] * a;
}
__global__ void log_kernel(const float* x, int64_t n, float* y) {
  LAB_GRID_LOOP(i, n) y[i] = logf(x[i]);
}
// e = p_t (log p_t − log p_s), 0·log 0 = 0.
__global__ void kl_elem_kernel(const float* ls, const float* lt, int64_t n, float* e) {
  LAB_GRID_LOOP(i, n) {
    e[i] = math::kl_term(expf(lt[i]), lt[i], ls[i]);
  }
}
// rows[r] = Σ_c x[r, c] (one block per row), as double or float.
template <typename Out>
__global__ void row_sum_kernel(const float* x, int64_t C, Out* rows) {
  const float* r = x + static_cast<int64_t>(blockIdx.x) * C;
  float s = 0.f;
  for (int64_t c = threadIdx.x; c < C; c += kThreads) s += r[c];
  s = dev::block_sum<kThreads>(s);
  if (threadIdx.x == 0) rows[blockIdx.x] = static_cast<Out>(s);
}
__global__ void kl_grad_kernel(const float* ls, const float* lt, int64_t n, float scale, const float* grad_loss,
                               float* g) {
  const float k = scale * (grad_loss ? *grad_loss : 1.f);
  LAB_GRID_LOOP(i, n) g[i] = k * (expf(ls[i]) - expf(lt[i]));
}
// Per row: row_lse = z_0 − log p_0; NLL with smoothing; counted flag; bad-label flag.
__global__ void nll_kernel(const float* z, const float* lp, const float* row_sum_lp, const int64_t* y, int64_t N,
                           int64_t C, float eps, int64_t ignore, double* row_loss, double* row_valid,
                           float* row_lse, int* bad) {
  LAB_GRID_LOOP(n, N) {
    if (row_lse) row_lse[n] = z[n * C] - lp[n * C];
    const int64_t label = y[n];
    const bool in_range = label >= 0 && label < C;
    if (label != ignore && !in_range && bad) atomicExch(bad, 1);
    const bool use = label != ignore && in_range;
    const float mean_lp = eps > 0.f ? row_sum_lp[n] / static_cast<float>(C) : 0.f;
    row_loss[n] = use ? -(1.f - eps) * lp[n * C + label] - eps * mean_lp : 0.0;
    row_valid[n] = use ? 1.0 : 0.0;
  }
}
__global__ void ce_grad_kernel(const float* lp, const int64_t* y, int64_t N, int64_t C, float eps, int64_t ignore,
                               const float* valid, const float* grad_loss, float* g) {
  const float k = (grad_loss ? *grad_loss : 1.f) / *valid;
  LAB_GRID_LOOP(i, N * C) {
    const int64_t n = i / C, c = i % C, label = y[n];
    const bool use = label != ignore && label >= 0 && label < C;
    g[i] = use ? k * (expf(lp[i]) - (c == label ? 1.f - eps : 0.f) - eps / static_cast<float>(C)) : 0.f;
  }
}
// g += w·g_k·x
__global__ void axpy_kernel(const float* x, int64_t n, float w, const float* grad_losses, int k, float* g) {
  const float a = w * (grad_losses ? grad_losses[k] : 1.f);
  LAB_GRID_LOOP(i, n) g[i] += a * x[i];
}
// losses[k] = w·Σ_{l≠k} pair[k·K + l]
__global__ void combine_pairs_kernel(const float* pair, int K, float w, float* losses) {
  const int k = threadIdx.x;
  if (k >= K) return;
  float s = 0.f;
  for (int l = 0; l < K; ++l)
    if (l != k) s += pair[k * K + l];
  losses[k] = w * s;
}

}  // namespace

void softmax_kl_cudnn(const float* s, const float* t, int64_t N, int64_t C, float temperature,
                      bool teacher_is_probs, float* loss, float* grad_s, const float* grad_loss,
                      cudaStream_t stream) {
  COHORT_CHECK(N > 0 && C > 0 && temperature > 0.f, "lab::softmax_kl_cudnn: N={} C={} T={}", N, C, temperature);
  const int64_t n = N * C;
  const RowsDesc desc(N, C);
  Scratch buf(3 * static_cast<size_t>(n) * sizeof(float), stream);
  float* ls = buf.as<float>();
  float* lt = ls + n;
  float* tmp = lt + n;  // scaled logits, then the KL elements
  const float inv_t = 1.f / temperature;
  scale_kernel<<<grid_for(n), kThreads, 0, stream>>>(s, n, inv_t, tmp);
  COHORT_LAUNCH_CHECK();
  log_softmax_cudnn(desc, tmp, ls, stream);
  if (teacher_is_probs) {
    log_kernel<<<grid_for(n), kThreads, 0, stream>>>(t, n, lt);
    COHORT_LAUNCH_CHECK();
  } else {
    scale_kernel<<<grid_for(n), kThreads, 0, stream>>>(t, n, inv_t, tmp);
    COHORT_LAUNCH_CHECK();
    log_softmax_cudnn(desc, tmp, lt, stream);
  }
  if (loss) {
    Scratch rows(static_cast<size_t>(N) * sizeof(double), stream);
    kl_elem_kernel<<<grid_for(n), kThreads, 0, stream>>>(ls, lt, n, tmp);
    COHORT_LAUNCH_CHECK();
    row_sum_kernel<double><<<static_cast<unsigned>(N), kThreads, 0, stream>>>(tmp, C, rows.as<double>());
    COHORT_LAUNCH_CHECK();
    finalize_rows(rows.as<double>(), 1, N, static_cast<double>(temperature) * temperature / static_cast<double>(N),
                  nullptr, loss, stream);
  }
  if (grad_s) {
    kl_grad_kernel<<<grid_for(n), kThreads, 0, stream>>>(ls, lt, n, temperature / static_cast<float>(N), grad_loss,
                                                         grad_s);
    COHORT_LAUNCH_CHECK();
  }
}

void cross_entropy_cudnn(const float* z, const int64_t* y, int64_t N, int64_t C, float label_smoothing,
                         int64_t ignore_index, float* loss, float* row_lse, float* valid, float* grad,
                         const float* grad_loss, int* bad_label, cudaStream_t stream) {
  COHORT_CHECK(N > 0 && C > 0, "lab::cross_entropy_cudnn: N={} C={}", N, C);
  const int64_t n = N * C;
  const RowsDesc desc(N, C);
  Scratch buf(static_cast<size_t>(n + N) * sizeof(float) + sizeof(float), stream);
  float* lp = buf.as<float>();
  float* row_sum_lp = lp + n;
  float* count = valid ? valid : row_sum_lp + N;
  log_softmax_cudnn(desc, z, lp, stream);
  if (label_smoothing > 0.f) {
    row_sum_kernel<float><<<static_cast<unsigned>(N), kThreads, 0, stream>>>(lp, C, row_sum_lp);
    COHORT_LAUNCH_CHECK();
  }
  Scratch rows(2 * static_cast<size_t>(N) * sizeof(double), stream);
  double* row_loss = rows.as<double>();
  double* row_valid = row_loss + N;
  nll_kernel<<<grid_for(N), kThreads, 0, stream>>>(z, lp, row_sum_lp, y, N, C, label_smoothing, ignore_index,
                                                   row_loss, row_valid, row_lse, bad_label);
  COHORT_LAUNCH_CHECK();
  finalize_rows(row_valid, 1, N, 1.0, nullptr, count, stream);
  if (loss) finalize_rows(row_loss, 1, N, 1.0, count, loss, stream);
  if (grad) {
    ce_grad_kernel<<<grid_for(n), kThreads, 0, stream>>>(lp, y, N, C, label_smoothing, ignore_index, count,
                                                         grad_loss, grad);
    COHORT_LAUNCH_CHECK();
  }
}

void cohort_kl_pairwise(const float* const* logits, int K, int64_t N, int64_t C, float temperature,
                        DmlMode mode, float* losses, float* const* grads, const float* grad_losses,
                        cudaStream_t stream) {
  COHORT_CHECK(K >= 2 && K <= kMaxCohort, "lab::cohort_kl_pairwise: K={}", K);
  COHORT_CHECK(mode != DmlMode::ensemble, "lab::cohort_kl_pairwise: the ensemble mode is not a sum of pairs");
  const int64_t n = N * C;
  const float w = mode == DmlMode::average ? 1.f / static_cast<float>(K - 1) : 1.f;
  Scratch tmp(static_cast<size_t>(n) * sizeof(float) + static_cast<size_t>(K * K) * sizeof(float), stream);
  float* g_pair = tmp.as<float>();
  float* pair = g_pair + n;  // [K, K] pair losses: pair[k·K + l] = T²/N Σ KL(p_l ‖ p_k)
  for (int k = 0; k < K; ++k) {
    float* gk = grads ? grads[k] : nullptr;
    if (gk) COHORT_CUDA_CHECK(cudaMemsetAsync(gk, 0, static_cast<size_t>(n) * sizeof(float), stream));
    for (int l = 0; l < K; ++l) {
      if (l == k) continue;
      softmax_kl(logits[k], logits[l], N, C, temperature, false, losses ? pair + k * K + l : nullptr,
                 gk ? g_pair : nullptr, nullptr, kBest, stream);
      if (gk) {
        axpy_kernel<<<grid_for(n), kThreads, 0, stream>>>(g_pair, n, w, grad_losses, k, gk);
        COHORT_LAUNCH_CHECK();
      }
    }
  }
  if (losses) {
    combine_pairs_kernel<<<1, 32, 0, stream>>>(pair, K, w, losses);
    COHORT_LAUNCH_CHECK();
  }
}

}  // namespace cohort::cuda::lab
