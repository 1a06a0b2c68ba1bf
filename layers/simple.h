// Parameter-free layers: ReLU, MaxPool2d, AvgPool2d, GlobalAvgPool, Dropout, Flatten.
#pragma once

#include "core/random.h"
#include "layers/module.h"

namespace cohort::nn {

class ReLU : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
};

// Square windows; stride defaults to the kernel size (PyTorch's default).
class MaxPool2d : public Layer {
 public:
  explicit MaxPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0);
  Tensor forward(const Tensor& x) override;

 private:
  int64_t kernel_, stride_, padding_;
};

// count_include_pad = true, as PyTorch's default.
class AvgPool2d : public Layer {
 public:
  explicit AvgPool2d(int64_t kernel_size, int64_t stride = 0, int64_t padding = 0);
  Tensor forward(const Tensor& x) override;

 private:
  int64_t kernel_, stride_, padding_;
};

// [N, C, H, W] -> [N, C]: the mean over H and W (PyTorch's AdaptiveAvgPool2d(1) + flatten).
class GlobalAvgPool : public Layer {
 public:
  Tensor forward(const Tensor& x) override;
};

// Inverted dropout with probability p in training mode, identity in eval mode. The layer owns
// its Generator (seeded at construction), so a run's masks are reproducible from that seed.
class Dropout : public Layer {
 public:
  explicit Dropout(double p, uint64_t seed = 0);
  Tensor forward(const Tensor& x) override;
  double p() const { return p_; }
  Generator& generator() { return gen_; }

 private:
  double p_;
  Generator gen_;
};

// Flattens dims [start_dim, end] into one (default: keep the batch dim).
class Flatten : public Layer {
 public:
  explicit Flatten(int64_t start_dim = 1) : start_dim_(start_dim) {}
  Tensor forward(const Tensor& x) override;

 private:
  int64_t start_dim_;
};

}  // namespace cohort::nn
