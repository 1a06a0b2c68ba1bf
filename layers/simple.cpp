#include "layers/simple.h"

#include "core/ops/elementwise.h"
#include "core/ops/nn.h"
#include "core/ops/shape.h"
#include "layers/layer_trace.h"

namespace cohort::nn {

namespace {

Pool2dParams square_pool(const char* layer, int64_t kernel, int64_t stride, int64_t padding) {
  COHORT_CHECK(kernel > 0 && stride >= 0 && padding >= 0,
               "{}: invalid kernel_size {} stride {} padding {}", layer, kernel, stride, padding);
  Pool2dParams p;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride > 0 ? stride : kernel;
  p.pad_h = p.pad_w = padding;
  return p;
}

}  // namespace

Tensor ReLU::forward(const Tensor& x) {
  LayerTrace::record(this, x);
  return ops::relu(x);
}

MaxPool2d::MaxPool2d(int64_t kernel_size, int64_t stride, int64_t padding)
    : kernel_(kernel_size), stride_(stride), padding_(padding) {
  square_pool("MaxPool2d", kernel_, stride_, padding_);
}

Tensor MaxPool2d::forward(const Tensor& x) {
  LayerTrace::record(this, x);
  return ops::max_pool2d(x, square_pool("MaxPool2d", kernel_, stride_, padding_));
}

AvgPool2d::AvgPool2d(int64_t kernel_size, int64_t stride, int64_t padding)
    : kernel_(kernel_size), stride_(stride), padding_(padding) {
  square_pool("AvgPool2d", kernel_, stride_, padding_);
}

Tensor AvgPool2d::forward(const Tensor& x) {
  LayerTrace::record(this, x);
  return ops::avg_pool2d(x, square_pool("AvgPool2d", kernel_, stride_, padding_));
}

Tensor GlobalAvgPool::forward(const Tensor& x) {
  LayerTrace::record(this, x);
  return ops::global_avg_pool2d(x);
}

Dropout::Dropout(double p, uint64_t seed) : p_(p), gen_(seed) {
  COHORT_CHECK(p >= 0.0 && p < 1.0, "Dropout: p must be in [0, 1), got {}", p);
}

Tensor Dropout::forward(const Tensor& x) {
  LayerTrace::record(this, x);
  return ops::dropout(x, p_, is_training(), gen_);
}

Tensor Flatten::forward(const Tensor& x) { return ops::flatten(x, start_dim_); }

}  // namespace cohort::nn
