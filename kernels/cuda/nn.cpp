// View-facing wrappers of the hand-written NCHW kernels (nn_batch_norm.cu, nn_pool.cu,
// nn_pad.cu, nn_softmax.cu) and the channel copies (cudaMemcpy2DAsync). conv2d is in
// nn_conv.cpp.
#include "kernels/nn.h"

#include "kernels/cuda/nn_kernels.cuh"
#include "kernels/cuda/tensor_util.h"

namespace cohort::cuda {

namespace {

// const T* for a ConstView, T* for a View.
template <typename T, bool Writable>
auto ptr_or_null(BasicView<Writable> t) -> decltype(t.template data<T>()) {
  return t.defined() ? t.template data<T>() : nullptr;
}

kern::BnGeom bn_geom(ConstView x) {
  const int64_t N = x.size(0), C = x.size(1);
  return {N, C, N * C > 0 ? x.numel() / (N * C) : 0};
}

kern::PoolGeom pool_geom(ConstView x, ConstView y, const Pool2dParams& p) {
  return {x.size(0) * x.size(1), x.size(2), x.size(3), y.size(2), y.size(3),
          p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w};
}

kern::PadGeom pad_geom(ConstView x, ConstView y, const Pad2dParams& p) {
  const int64_t H = x.size(-2), W = x.size(-1);
  return {H * W > 0 ? x.numel() / (H * W) : 0, H, W, y.size(-2), y.size(-1), p.top, p.left};
}

// [N, C, inner...]: inner = product of the dims after C.
int64_t inner_size(ConstView t) {
  int64_t inner = 1;
  for (int64_t d = 2; d < t.dim(); ++d) inner *= t.size(d);
  return inner;
}

// N rows of `width` bytes from src (pitch src_pitch) to dst (pitch dst_pitch), one 2-D copy.
void copy_rows(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t width,
               int64_t rows, cudaStream_t stream) {
  if (width == 0 || rows == 0) return;
  COHORT_CUDA_CHECK(cudaMemcpy2DAsync(dst, dst_pitch, src, src_pitch, width,
                                      static_cast<size_t>(rows), cudaMemcpyDeviceToDevice, stream));
}

}  // namespace

// ---- batch norm ------------------------------------------------------------------------------

namespace {
// The front-end never sends NHWC activations to the GPU (ops::batch_norm2d checks the device).
void reject_channels_last(bool channels_last) {
  COHORT_CHECK(!channels_last, "batch_norm2d: channels_last (NHWC) is supported on the CPU only");
}
}  // namespace

void batch_norm_forward_train(ConstView x, ConstView weight, ConstView bias,
                              View running_mean, View running_var, double momentum,
                              double eps, bool fuse_relu, bool channels_last, View y,
                              View save_mean, View save_invstd) {
  reject_channels_last(channels_last);
  OpScope scope(x);
  const kern::BnGeom g = bn_geom(x);
  const int sms = multiprocessor_count(scope.device());
  void* ws = workspace(kern::batch_norm_workspace_bytes(g, sms, dtype_size(x.dtype())), scope.device());
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d", [&] {
    kern::batch_norm_forward_train(x.data<scalar_t>(), ptr_or_null<scalar_t>(weight),
                                   ptr_or_null<scalar_t>(bias), ptr_or_null<scalar_t>(running_mean),
                                   ptr_or_null<scalar_t>(running_var), momentum, eps, fuse_relu,
                                   y.data<scalar_t>(), save_mean.data<scalar_t>(),
                                   save_invstd.data<scalar_t>(), g, sms, ws, scope.stream());
  });
}

void batch_norm_forward_eval(ConstView x, ConstView weight, ConstView bias,
                             ConstView running_mean, ConstView running_var, double eps,
                             bool fuse_relu, bool channels_last, View y) {
  reject_channels_last(channels_last);
  OpScope scope(x);
  const kern::BnGeom g = bn_geom(x);
  void* ws = workspace(2 * static_cast<size_t>(g.C) * dtype_size(x.dtype()), scope.device());
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d", [&] {
    kern::batch_norm_forward_eval(x.data<scalar_t>(), ptr_or_null<scalar_t>(weight),
                                  ptr_or_null<scalar_t>(bias), running_mean.data<scalar_t>(),
                                  running_var.data<scalar_t>(), eps, fuse_relu, y.data<scalar_t>(), g, ws,
                                  scope.stream());
  });
}

void batch_norm_backward(ConstView grad_y, ConstView x, ConstView weight,
                         ConstView save_mean, ConstView save_invstd, ConstView relu_y,
                         bool channels_last, View grad_x, View grad_weight, View grad_bias) {
  reject_channels_last(channels_last);
  OpScope scope(x);
  const kern::BnGeom g = bn_geom(x);
  const int sms = multiprocessor_count(scope.device());
  void* ws = workspace(kern::batch_norm_workspace_bytes(g, sms, dtype_size(x.dtype())), scope.device());
  COHORT_DISPATCH_FLOATING(x.dtype(), "batch_norm2d_backward", [&] {
    kern::batch_norm_backward(grad_y.data<scalar_t>(), ptr_or_null<scalar_t>(relu_y), x.data<scalar_t>(),
                              ptr_or_null<scalar_t>(weight), save_mean.data<scalar_t>(),
                              save_invstd.data<scalar_t>(), grad_x.data<scalar_t>(),
                              ptr_or_null<scalar_t>(grad_weight), ptr_or_null<scalar_t>(grad_bias),
                              g, sms, ws, scope.stream());
  });
}

// ---- pooling ---------------------------------------------------------------------------------

void max_pool2d_forward(ConstView x, View y, View indices, const Pool2dParams& p) {
  OpScope scope(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    kern::max_pool2d_forward(x.data<scalar_t>(), y.data<scalar_t>(), indices.data<int64_t>(),
                             pool_geom(x, y, p), scope.stream());
  });
}

void max_pool2d_backward(ConstView grad_y, ConstView indices, View grad_x,
                         const Pool2dParams& p) {
  OpScope scope(grad_x);
  COHORT_DISPATCH_FLOATING(grad_y.dtype(), "max_pool2d_backward", [&] {
    kern::max_pool2d_backward(grad_y.data<scalar_t>(), indices.data<int64_t>(),
                              grad_x.data<scalar_t>(), pool_geom(grad_x, grad_y, p), scope.stream());
  });
}

void avg_pool2d_forward(ConstView x, View y, const Pool2dParams& p) {
  OpScope scope(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "avg_pool2d", [&] {
    kern::avg_pool2d_forward(x.data<scalar_t>(), y.data<scalar_t>(), pool_geom(x, y, p),
                             p.count_include_pad, scope.stream());
  });
}

void avg_pool2d_backward(ConstView grad_y, View grad_x, const Pool2dParams& p) {
  OpScope scope(grad_x);
  COHORT_DISPATCH_FLOATING(grad_y.dtype(), "avg_pool2d_backward", [&] {
    kern::avg_pool2d_backward(grad_y.data<scalar_t>(), grad_x.data<scalar_t>(),
                              pool_geom(grad_x, grad_y, p), p.count_include_pad, scope.stream());
  });
}

// ---- padding ---------------------------------------------------------------------------------

void pad2d_forward(ConstView x, View y, const Pad2dParams& p) {
  OpScope scope(x);
  COHORT_DISPATCH_FLOATING(x.dtype(), "pad2d", [&] {
    kern::pad2d_forward(x.data<scalar_t>(), y.data<scalar_t>(), pad_geom(x, y, p), p.mode,
                        scope.stream());
  });
}

void pad2d_backward(ConstView grad_y, View grad_x, const Pad2dParams& p) {
  OpScope scope(grad_x);
  COHORT_DISPATCH_FLOATING(grad_y.dtype(), "pad2d_backward", [&] {
    kern::pad2d_backward(grad_y.data<scalar_t>(), grad_x.data<scalar_t>(),
                         pad_geom(grad_x, grad_y, p), p.mode, scope.stream());
  });
}

// ---- softmax ---------------------------------------------------------------------------------

void softmax_forward(ConstView x, View y, bool log) {
  OpScope scope(x);
  const int64_t cols = x.size(-1), rows = cols > 0 ? x.numel() / cols : 0;
  COHORT_DISPATCH_FLOATING(x.dtype(), log ? "log_softmax" : "softmax", [&] {
    kern::softmax_forward(x.data<scalar_t>(), y.data<scalar_t>(), rows, cols, log, scope.stream());
  });
}

void softmax_backward(ConstView y, ConstView grad_y, View grad_x, bool log) {
  OpScope scope(y);
  const int64_t cols = y.size(-1), rows = cols > 0 ? y.numel() / cols : 0;
  COHORT_DISPATCH_FLOATING(y.dtype(), log ? "log_softmax_backward" : "softmax_backward", [&] {
    kern::softmax_backward(y.data<scalar_t>(), grad_y.data<scalar_t>(), grad_x.data<scalar_t>(),
                           rows, cols, log, scope.stream());
  });
}

// ---- channel copies --------------------------------------------------------------------------
// Image n's channel block is one contiguous run, so a concat (or its backward) is a single 2-D
// copy: N rows of C_src·inner elements with the two tensors' image sizes as pitches.

void copy_channels(ConstView src, View dst, int64_t channel_offset) {
  OpScope scope(dst);
  const size_t elem = dtype_size(src.dtype());
  const size_t inner = static_cast<size_t>(inner_size(src));
  const size_t src_image = static_cast<size_t>(src.size(1)) * inner * elem;
  const size_t dst_image = static_cast<size_t>(dst.size(1)) * inner * elem;
  char* d = static_cast<char*>(dst.raw_data()) + static_cast<size_t>(channel_offset) * inner * elem;
  copy_rows(d, dst_image, src.raw_data(), src_image, src_image, src.size(0), scope.stream());
}

void slice_channels(ConstView src, View dst, int64_t channel_offset) {
  OpScope scope(dst);
  const size_t elem = dtype_size(src.dtype());
  const size_t inner = static_cast<size_t>(inner_size(src));
  const size_t src_image = static_cast<size_t>(src.size(1)) * inner * elem;
  const size_t dst_image = static_cast<size_t>(dst.size(1)) * inner * elem;
  const char* s = static_cast<const char*>(src.raw_data()) + static_cast<size_t>(channel_offset) * inner * elem;
  copy_rows(dst.raw_data(), dst_image, s, src_image, dst_image, dst.size(0), scope.stream());
}

}  // namespace cohort::cuda
