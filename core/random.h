// Generator: a counter-based Philox 4x32-10 stream with an explicit seed (docs/architecture.md).
//
// A Generator is just (seed, offset). Every draw takes numbers at the current offset and
// advances it, so the same seed yields the same numbers on every machine and on CPU and CUDA.
// There is no global generator: pass one explicitly (tests stay order-independent).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace cohort {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed; offset_ = offset; }
  // Reserves the blocks for a draw of n values and returns the offset the draw starts at.
  uint64_t reserve(uint64_t n, DType dtype, bool normal_draw);
  // Single host-side draws (data augmentation, shuffling).
  double uniform();                      // [0, 1), f64 stream
  uint64_t randint(uint64_t high);       // [0, high)

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// In-place fills (not recorded by autograd). Floating tensors only.
Tensor& uniform_(Tensor& t, Generator& gen, double low = 0.0, double high = 1.0);
Tensor& normal_(Tensor& t, Generator& gen, double mean = 0.0, double std = 1.0);
// 1 with probability p, else 0, in t's dtype.
Tensor bernoulli(const Shape& shape, double p, Generator& gen, DType dtype = DType::f32,
                 Device device = Device::cpu());

}  // namespace cohort
