// conv2d on CUDA through cuDNN: forward, backward-data, backward-weight, groups/depthwise.
//
// Each call describes the problem (NCHW tensor, filter and convolution descriptors, RAII) and
// looks up the algorithm for its signature — device, dtype, pass, TF32 policy and every size,
// padding, stride, dilation and the group count — in a process-wide cache. On a miss the
// algorithm is chosen once:
//   - default ("find"): cudnnFind*AlgorithmEx times every algorithm on the call's own buffers
//     (outputs are overwritten anyway) with a workspace of up to kMaxFindWorkspace bytes from the
//     caching allocator, and the fastest that succeeded is kept;
//   - COHORT_CUDNN_BENCHMARK=0: cuDNN's heuristic ranking (cudnnGet*Algorithm_v7), no timing;
//   - COHORT_CUDNN_DETERMINISTIC=1 (either mode): only algorithms cuDNN marks deterministic
//     (no atomics: bit-identical results run to run).
// The chosen math type is written back to the convolution descriptor, as cuDNN requires. With
// allow_tf32_conv() off, f32 convolutions are restricted to CUDNN_FMA_MATH (no TF32).
// The chosen algorithm's workspace comes from context.h's growable per-stream workspace; Find's
// scratch is a block of its own, freed once the choice is made.
// The bias is added with cudnnAddTensor after the convolution.
#include <array>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/nn.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/tensor_util.h"

namespace cohort::cuda {

namespace {

constexpr size_t kMaxFindWorkspace = size_t{512} << 20;

bool env_flag(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return std::strcmp(v, "0") != 0;
}

cudnnDataType_t cudnn_dtype(DType t) {
  switch (t) {
    case DType::f32: return CUDNN_DATA_FLOAT;
    case DType::f64: return CUDNN_DATA_DOUBLE;
    default: COHORT_FAIL("conv2d: dtype {} is not supported on CUDA (f32 or f64)", dtype_name(t));
  }
}

// ---- RAII descriptors ----------------------------------------------------------------------

class TensorDesc {
 public:
  TensorDesc(cudnnDataType_t type, const Dims& s) {
    COHORT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc_));
    COHORT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(
        desc_, CUDNN_TENSOR_NCHW, type, to_int(s[0], "conv2d", "N"), to_int(s[1], "conv2d", "C"),
        to_int(s[2], "conv2d", "H"), to_int(s[3], "conv2d", "W")));
  }
  ~TensorDesc() { cudnnDestroyTensorDescriptor(desc_); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  cudnnTensorDescriptor_t get() const { return desc_; }

 private:
  cudnnTensorDescriptor_t desc_ = nullptr;
};

class FilterDesc {
 public:
  FilterDesc(cudnnDataType_t type, const Dims& s) {
    COHORT_CUDNN_CHECK(cudnnCreateFilterDescriptor(&desc_));
    COHORT_CUDNN_CHECK(cudnnSetFilter4dDescriptor(
        desc_, type, CUDNN_TENSOR_NCHW, to_int(s[0], "conv2d", "K"), to_int(s[1], "conv2d", "C/groups"),
        to_int(s[2], "conv2d", "R"), to_int(s[3], "conv2d", "S")));
  }
  ~FilterDesc() { cudnnDestroyFilterDescriptor(desc_); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
  cudnnFilterDescriptor_t get() const { return desc_; }

 private:
  cudnnFilterDescriptor_t desc_ = nullptr;
};

class ConvDesc {
 public:
  ConvDesc(cudnnDataType_t type, const Conv2dParams& p) {
    COHORT_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&desc_));
    COHORT_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        desc_, to_int(p.pad_h, "conv2d", "pad_h"), to_int(p.pad_w, "conv2d", "pad_w"),
        to_int(p.stride_h, "conv2d", "stride_h"), to_int(p.stride_w, "conv2d", "stride_w"),
        to_int(p.dilation_h, "conv2d", "dilation_h"), to_int(p.dilation_w, "conv2d", "dilation_w"),
        CUDNN_CROSS_CORRELATION, type));
    COHORT_CUDNN_CHECK(cudnnSetConvolutionGroupCount(desc_, to_int(p.groups, "conv2d", "groups")));
  }
  ~ConvDesc() { cudnnDestroyConvolutionDescriptor(desc_); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
  cudnnConvolutionDescriptor_t get() const { return desc_; }
  void set_math(cudnnMathType_t m) { COHORT_CUDNN_CHECK(cudnnSetConvolutionMathType(desc_, m)); }

 private:
  cudnnConvolutionDescriptor_t desc_ = nullptr;
};

// ---- the per-signature algorithm cache ------------------------------------------------------

enum class Pass : int { forward, backward_data, backward_weight };

struct ConvKey {
  std::array<int64_t, 21> v{};
  bool operator==(const ConvKey& o) const { return v == o.v; }
};

struct ConvKeyHash {
  size_t operator()(const ConvKey& k) const {
    size_t h = 1469598103934665603ull;
    for (int64_t x : k.v) h = (h ^ std::hash<int64_t>()(x)) * 1099511628211ull;
    return h;
  }
};

struct AlgoChoice {
  int algo = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  size_t workspace = 0;
};

std::mutex g_cache_mu;
std::unordered_map<ConvKey, AlgoChoice, ConvKeyHash>& algo_cache() {
  static auto* cache = new std::unordered_map<ConvKey, AlgoChoice, ConvKeyHash>();
  return *cache;
}

// Everything one cuDNN call needs, built from x's, w's and y's shapes (x/y are the input and
// output of the forward convolution whatever the pass).
struct ConvProblem {
  int device;
  DType dtype;
  bool tf32;
  Dims x_shape, w_shape, y_shape;
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
  cudnnHandle_t handle;
  ConvKey key;

  ConvProblem(int dev, DType t, const Dims& xs, const Dims& ws, const Dims& ys,
              const Conv2dParams& p, Pass pass)
      : device(dev), dtype(t), tf32(t == DType::f32 && allow_tf32_conv()), x_shape(xs),
        w_shape(ws), y_shape(ys), x(cudnn_dtype(t), xs), y(cudnn_dtype(t), ys),
        w(cudnn_dtype(t), ws), conv(cudnn_dtype(t), p), handle(cudnn_handle(dev)) {
    // f32 without TF32: plain FMA math only. Otherwise let cuDNN use tensor cores.
    conv.set_math(t == DType::f32 && !tf32 ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH);
    key.v = {dev, static_cast<int64_t>(t), static_cast<int64_t>(pass), tf32 ? 1 : 0,
             xs[0], xs[1], xs[2], xs[3], ws[0], ws[1], ws[2], ws[3], ys[2], ys[3],
             p.pad_h, p.pad_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.groups};
  }
};

// The first usable entry of a cuDNN list (Find: fastest first; heuristics: best guess first),
// honouring the determinism request and the workspace limit.
template <typename Perf>
bool pick(const Perf* perfs, int count, size_t limit, bool deterministic, AlgoChoice* out) {
  for (int i = 0; i < count; ++i) {
    const Perf& r = perfs[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > limit) continue;
    if (deterministic && r.determinism != CUDNN_DETERMINISTIC) continue;
    out->algo = static_cast<int>(r.algo);
    out->math = r.mathType;
    out->workspace = r.memory;
    return true;
  }
  return false;
}

// Looks up or chooses the algorithm of `prob` for one pass. `heuristic(perfs, max, &n)` asks
// cuDNN's ranking; `find(perfs, max, &n, ws, ws_bytes)` times the algorithms on real buffers.
// Device memory held for the duration of one cudnnFind call.
struct FindScratch {
  void* ptr = nullptr;
  int device = 0;
  void allocate(size_t nbytes, int dev) {
    device = dev;
    if (nbytes > 0) ptr = device_alloc(nbytes, dev);
  }
  FindScratch() = default;
  FindScratch(const FindScratch&) = delete;
  FindScratch& operator=(const FindScratch&) = delete;
  ~FindScratch() {
    if (ptr) device_free(ptr, device);
  }
};

template <typename Perf, typename Heuristic, typename Find>
AlgoChoice choose_algo(ConvProblem& prob, int max_count, Heuristic heuristic, Find find) {
  {
    std::lock_guard<std::mutex> lock(g_cache_mu);
    auto it = algo_cache().find(prob.key);
    if (it != algo_cache().end()) {
      prob.conv.set_math(it->second.math);
      return it->second;
    }
  }
  const bool deterministic = env_flag("COHORT_CUDNN_DETERMINISTIC", false);
  const bool benchmark = env_flag("COHORT_CUDNN_BENCHMARK", true);
  std::vector<Perf> perfs(static_cast<size_t>(max_count > 0 ? max_count : 1));
  int returned = 0;
  COHORT_CUDNN_CHECK(heuristic(perfs.data(), max_count, &returned));
  // The largest workspace any candidate wants, capped: Find only tries what fits.
  size_t wanted = 0;
  for (int i = 0; i < returned; ++i)
    if (perfs[static_cast<size_t>(i)].status == CUDNN_STATUS_SUCCESS)
      wanted = std::max(wanted, perfs[static_cast<size_t>(i)].memory);
  size_t limit = std::min(wanted, kMaxFindWorkspace);
  // Find's scratch is its own block, returned to the caching allocator when the choice is made:
  // in the op workspace it would stay held for good (that grows, never shrinks), and the
  // allocator's out-of-memory retry could never release it.
  FindScratch scratch;
  try {
    scratch.allocate(limit, prob.device);
  } catch (const BackendError&) {
    // Memory is short: settle for algorithms that need no workspace rather than fail.
    limit = 0;
  }
  void* ws = scratch.ptr;
  AlgoChoice choice;
  bool found = false;
  if (benchmark) {
    std::vector<Perf> timed(perfs.size());
    int timed_count = 0;
    COHORT_CUDNN_CHECK(find(timed.data(), max_count, &timed_count, limit ? ws : nullptr, limit));
    found = pick(timed.data(), timed_count, limit, deterministic, &choice);
  }
  if (!found) found = pick(perfs.data(), returned, limit, deterministic, &choice);
  COHORT_CHECK(found,
               "conv2d: cuDNN offers no {}algorithm for input {}, weight {}, output {} ({})",
               deterministic ? "deterministic " : "", prob.x_shape.str(),
               prob.w_shape.str(), prob.y_shape.str(), dtype_name(prob.dtype));
  prob.conv.set_math(choice.math);
  std::lock_guard<std::mutex> lock(g_cache_mu);
  algo_cache()[prob.key] = choice;
  return choice;
}

// alpha = 1, beta = 0 (or 1 for the bias add) in the precision cuDNN expects for the dtype.
struct Scalars {
  float f_one = 1.f, f_zero = 0.f;
  double d_one = 1.0, d_zero = 0.0;
  const void* one(DType t) const { return t == DType::f64 ? static_cast<const void*>(&d_one) : &f_one; }
  const void* zero(DType t) const { return t == DType::f64 ? static_cast<const void*>(&d_zero) : &f_zero; }
};

}  // namespace

void conv2d_forward(ConstView x, ConstView w, ConstView bias, View y,
                    const Conv2dParams& p) {
  OpScope scope(y);
  if (y.numel() == 0) return;
  if (x.numel() == 0 || w.numel() == 0) {  // no input channels: the output is the bias
    fill(y, 0.0);
    if (bias.defined()) binary(BinaryOp::add, y, bias.reshape(Dims{bias.numel(), 1, 1}), y);
    return;
  }
  ConvProblem prob(scope.device(), x.dtype(), x.shape(), w.shape(), y.shape(), p, Pass::forward);
  int max_count = 0;
  COHORT_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(prob.handle, &max_count));
  const AlgoChoice choice = choose_algo<cudnnConvolutionFwdAlgoPerf_t>(
      prob, max_count,
      [&](cudnnConvolutionFwdAlgoPerf_t* perfs, int n, int* got) {
        return cudnnGetConvolutionForwardAlgorithm_v7(prob.handle, prob.x.get(), prob.w.get(),
                                                      prob.conv.get(), prob.y.get(), n, got, perfs);
      },
      [&](cudnnConvolutionFwdAlgoPerf_t* perfs, int n, int* got, void* ws, size_t ws_bytes) {
        return cudnnFindConvolutionForwardAlgorithmEx(
            prob.handle, prob.x.get(), x.raw_data(), prob.w.get(), w.raw_data(), prob.conv.get(),
            prob.y.get(), y.raw_data(), n, got, perfs, ws, ws_bytes);
      });
  const Scalars s;
  void* ws = workspace(choice.workspace, scope.device());
  COHORT_CUDNN_CHECK(cudnnConvolutionForward(
      prob.handle, s.one(x.dtype()), prob.x.get(), x.raw_data(), prob.w.get(), w.raw_data(),
      prob.conv.get(), static_cast<cudnnConvolutionFwdAlgo_t>(choice.algo), ws, choice.workspace,
      s.zero(x.dtype()), prob.y.get(), y.raw_data()));
  if (bias.defined()) {
    TensorDesc bias_desc(cudnn_dtype(x.dtype()), {1, bias.numel(), 1, 1});
    COHORT_CUDNN_CHECK(cudnnAddTensor(prob.handle, s.one(x.dtype()), bias_desc.get(),
                                      bias.raw_data(), s.one(x.dtype()), prob.y.get(), y.raw_data()));
  }
}

void conv2d_backward_data(ConstView grad_y, ConstView w, View grad_x,
                          const Conv2dParams& p) {
  OpScope scope(grad_x);
  if (grad_x.numel() == 0) return;
  if (grad_y.numel() == 0 || w.numel() == 0) {
    fill(grad_x, 0.0);
    return;
  }
  ConvProblem prob(scope.device(), grad_y.dtype(), grad_x.shape(), w.shape(), grad_y.shape(), p,
                   Pass::backward_data);
  int max_count = 0;
  COHORT_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(prob.handle, &max_count));
  const AlgoChoice choice = choose_algo<cudnnConvolutionBwdDataAlgoPerf_t>(
      prob, max_count,
      [&](cudnnConvolutionBwdDataAlgoPerf_t* perfs, int n, int* got) {
        return cudnnGetConvolutionBackwardDataAlgorithm_v7(prob.handle, prob.w.get(), prob.y.get(),
                                                           prob.conv.get(), prob.x.get(), n, got, perfs);
      },
      [&](cudnnConvolutionBwdDataAlgoPerf_t* perfs, int n, int* got, void* ws, size_t ws_bytes) {
        return cudnnFindConvolutionBackwardDataAlgorithmEx(
            prob.handle, prob.w.get(), w.raw_data(), prob.y.get(), grad_y.raw_data(),
            prob.conv.get(), prob.x.get(), grad_x.raw_data(), n, got, perfs, ws, ws_bytes);
      });
  const Scalars s;
  void* ws = workspace(choice.workspace, scope.device());
  COHORT_CUDNN_CHECK(cudnnConvolutionBackwardData(
      prob.handle, s.one(grad_y.dtype()), prob.w.get(), w.raw_data(), prob.y.get(),
      grad_y.raw_data(), prob.conv.get(), static_cast<cudnnConvolutionBwdDataAlgo_t>(choice.algo),
      ws, choice.workspace, s.zero(grad_y.dtype()), prob.x.get(), grad_x.raw_data()));
}

void conv2d_backward_weight(ConstView grad_y, ConstView x, View grad_w,
                            const Conv2dParams& p) {
  OpScope scope(grad_w);
  if (grad_w.numel() == 0) return;
  if (grad_y.numel() == 0 || x.numel() == 0) {  // an empty batch contributes nothing
    fill(grad_w, 0.0);
    return;
  }
  ConvProblem prob(scope.device(), grad_y.dtype(), x.shape(), grad_w.shape(), grad_y.shape(), p,
                   Pass::backward_weight);
  int max_count = 0;
  COHORT_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(prob.handle, &max_count));
  const AlgoChoice choice = choose_algo<cudnnConvolutionBwdFilterAlgoPerf_t>(
      prob, max_count,
      [&](cudnnConvolutionBwdFilterAlgoPerf_t* perfs, int n, int* got) {
        return cudnnGetConvolutionBackwardFilterAlgorithm_v7(prob.handle, prob.x.get(), prob.y.get(),
                                                             prob.conv.get(), prob.w.get(), n, got, perfs);
      },
      [&](cudnnConvolutionBwdFilterAlgoPerf_t* perfs, int n, int* got, void* ws, size_t ws_bytes) {
        return cudnnFindConvolutionBackwardFilterAlgorithmEx(
            prob.handle, prob.x.get(), x.raw_data(), prob.y.get(), grad_y.raw_data(),
            prob.conv.get(), prob.w.get(), grad_w.raw_data(), n, got, perfs, ws, ws_bytes);
      });
  const Scalars s;
  void* ws = workspace(choice.workspace, scope.device());
  COHORT_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
      prob.handle, s.one(x.dtype()), prob.x.get(), x.raw_data(), prob.y.get(), grad_y.raw_data(),
      prob.conv.get(), static_cast<cudnnConvolutionBwdFilterAlgo_t>(choice.algo), ws,
      choice.workspace, s.zero(x.dtype()), prob.w.get(), grad_w.raw_data()));
}

// cuDNN takes grad_y as it is for both directions: nothing to share, so the two calls.
void conv2d_backward(ConstView grad_y, ConstView x, ConstView w, View grad_x, View grad_w,
                     const Conv2dParams& p) {
  if (grad_x.defined()) conv2d_backward_data(grad_y, w, grad_x, p);
  if (grad_w.defined()) conv2d_backward_weight(grad_y, x, grad_w, p);
}

}  // namespace cohort::cuda
