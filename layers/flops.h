// Counting the multiply-adds of a forward pass (for model summaries).
//
// While a FlopCounter is alive on a thread, Conv2d and Linear add 2 × their multiply-adds to it
// on every forward. Only those layers count: BN, activations, pooling and additions are ignored,
// the usual convention of the papers' FLOP figures.
#pragma once

#include <cstdint>

namespace cohort::nn {

class FlopCounter {
 public:
  FlopCounter();
  ~FlopCounter();
  FlopCounter(const FlopCounter&) = delete;
  FlopCounter& operator=(const FlopCounter&) = delete;
  int64_t flops() const { return flops_; }

  // Called by the counting layers: adds 2·macs to the innermost live counter, if any.
  static void add_macs(int64_t macs);

 private:
  int64_t flops_ = 0;
  FlopCounter* previous_;
};

}  // namespace cohort::nn
