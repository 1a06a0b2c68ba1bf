// cpu::conv2d_*: picks oneDNN or the im2col reference for each call (kernels/cpu/nn_conv_paths.h).
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "kernels/linalg.h"
#include "kernels/nn.h"
#include "kernels/cpu/nn_conv_paths.h"

namespace cohort::cpu {

namespace {

std::atomic<int64_t> onednn_calls{0}, reference_calls{0};

// The setting is checked first so that an invalid value fails every conv2d, f64 ones included.
bool use_onednn(ConstView t) { return cpu_conv_impl() == CpuConvImpl::onednn && t.dtype() == DType::f32; }

// Runs the oneDNN call when the settings allow it, else (or when it reports failure) the reference.
template <typename OneDnn, typename Reference>
void run_conv(ConstView dtype_from, OneDnn&& onednn, Reference&& reference) {
  if (use_onednn(dtype_from) && onednn()) {
    onednn_calls.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  reference();
  reference_calls.fetch_add(1, std::memory_order_relaxed);
}

// The reference path is written for NCHW. With channels_last it runs on NCHW copies of the
// NHWC activations (a fallback for f64, COHORT_CPU_CONV=reference and shapes oneDNN refuses;
// the copies cost two passes over each activation, nothing next to im2col).
class NchwCopy {
 public:
  // A buffer for the NCHW form of the NHWC view `nhwc`, filled from it when fill is true.
  // NHWC is [N, H*W, C] row-major and NCHW its batched transpose [N, C, H*W].
  NchwCopy(ConstView nhwc, bool fill)
      : n_(nhwc.size(0)), h_(nhwc.size(1)), w_(nhwc.size(2)), c_(nhwc.size(3)), dtype_(nhwc.dtype()),
        data_(std::make_unique<std::byte[]>(static_cast<size_t>(nhwc.numel()) * dtype_size(dtype_))) {
    if (fill) transpose2d(ConstView(nhwc.raw_data(), dtype_, Device::cpu(), Dims{n_, h_ * w_, c_}), nchw_matrices());
  }
  View view() const { return View(data_.get(), dtype_, Device::cpu(), Dims{n_, c_, h_, w_}); }
  void copy_to(View nhwc) const {
    transpose2d(nchw_matrices(), View(nhwc.raw_data(), dtype_, Device::cpu(), Dims{n_, h_ * w_, c_}));
  }

 private:
  // The NCHW buffer as N matrices of C rows by H*W columns.
  View nchw_matrices() const { return View(data_.get(), dtype_, Device::cpu(), Dims{n_, c_, h_ * w_}); }
  int64_t n_, h_, w_, c_;
  DType dtype_;
  std::unique_ptr<std::byte[]> data_;
};

Conv2dParams nchw_params(Conv2dParams p) {
  p.channels_last = false;
  return p;
}

void reference_forward(ConstView x, ConstView w, ConstView bias, View y, const Conv2dParams& p) {
  if (!p.channels_last) return conv_reference::forward(x, w, bias, y, p);
  const NchwCopy x_nchw(x, true), y_nchw(y, false);
  conv_reference::forward(x_nchw.view(), w, bias, y_nchw.view(), nchw_params(p));
  y_nchw.copy_to(y);
}

void reference_backward_data(ConstView grad_y, ConstView w, View grad_x, const Conv2dParams& p) {
  if (!p.channels_last) return conv_reference::backward_data(grad_y, w, grad_x, p);
  const NchwCopy gy_nchw(grad_y, true), gx_nchw(grad_x, false);
  conv_reference::backward_data(gy_nchw.view(), w, gx_nchw.view(), nchw_params(p));
  gx_nchw.copy_to(grad_x);
}

void reference_backward_weight(ConstView grad_y, ConstView x, View grad_w, const Conv2dParams& p) {
  if (!p.channels_last) return conv_reference::backward_weight(grad_y, x, grad_w, p);
  const NchwCopy gy_nchw(grad_y, true), x_nchw(x, true);
  conv_reference::backward_weight(gy_nchw.view(), x_nchw.view(), grad_w, nchw_params(p));
}

}  // namespace

CpuConvImpl parse_cpu_conv_impl(const char* value) {
  const std::string_view v = value ? value : "";
  if (v.empty()) return conv_onednn::available() ? CpuConvImpl::onednn : CpuConvImpl::reference;
  if (v == "reference") return CpuConvImpl::reference;
  COHORT_CHECK(v != "onednn" || conv_onednn::available(),
               "COHORT_CPU_CONV='onednn', but this build has no oneDNN (configured with COHORT_ONEDNN=OFF); "
               "use 'reference' or leave it unset");
  if (v == "onednn") return CpuConvImpl::onednn;
  COHORT_CHECK(false, "COHORT_CPU_CONV='{}' is not a CPU convolution implementation: use 'onednn' "
                      "(the default) or 'reference' (im2col + Eigen)",
               v);
  return CpuConvImpl::onednn;  // not reached
}

CpuConvImpl cpu_conv_impl() {
  static const CpuConvImpl impl = parse_cpu_conv_impl(std::getenv("COHORT_CPU_CONV"));
  return impl;
}

CpuConvCalls cpu_conv_calls() {
  return {onednn_calls.load(std::memory_order_relaxed), reference_calls.load(std::memory_order_relaxed)};
}

void conv2d_forward(ConstView x, ConstView w, ConstView bias, View y,
                    const Conv2dParams& p) {
  run_conv(x, [&] { return conv_onednn::forward(x, w, bias, y, p); },
           [&] { reference_forward(x, w, bias, y, p); });
}

void conv2d_backward_data(ConstView grad_y, ConstView w, View grad_x,
                          const Conv2dParams& p) {
  run_conv(grad_y, [&] { return conv_onednn::backward_data(grad_y, w, grad_x, p); },
           [&] { reference_backward_data(grad_y, w, grad_x, p); });
}

void conv2d_backward_weight(ConstView grad_y, ConstView x, View grad_w,
                            const Conv2dParams& p) {
  run_conv(grad_y, [&] { return conv_onednn::backward_weight(grad_y, x, grad_w, p); },
           [&] { reference_backward_weight(grad_y, x, grad_w, p); });
}

void conv2d_backward(ConstView grad_y, ConstView x, ConstView w, View grad_x, View grad_w,
                     const Conv2dParams& p) {
  if (!(grad_x.defined() && grad_w.defined() && use_onednn(grad_y))) {
    if (grad_x.defined()) conv2d_backward_data(grad_y, w, grad_x, p);
    if (grad_w.defined()) conv2d_backward_weight(grad_y, x, grad_w, p);
    return;
  }
  const conv_onednn::BackwardDone done = conv_onednn::backward(grad_y, x, w, grad_x, grad_w, p);
  for (bool ok : {done.data, done.weight}) (ok ? onednn_calls : reference_calls).fetch_add(1, std::memory_order_relaxed);
  if (!done.data) reference_backward_data(grad_y, w, grad_x, p);
  if (!done.weight) reference_backward_weight(grad_y, x, grad_w, p);
}

}  // namespace cohort::cpu
