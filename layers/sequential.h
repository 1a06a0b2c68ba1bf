// Sequential: layers applied in order; children are named "0", "1", ... as in PyTorch.
#pragma once

#include <memory>
#include <vector>

#include "layers/module.h"

namespace cohort::nn {

class Sequential : public Layer {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Layer>> layers);

  // Appends a layer under the next index and returns it.
  template <typename L>
  std::shared_ptr<L> push_back(std::shared_ptr<L> layer) {
    layers_.push_back(register_module(std::to_string(layers_.size()), layer));
    return layer;
  }
  Tensor forward(const Tensor& x) override;

  size_t size() const { return layers_.size(); }
  bool empty() const { return layers_.empty(); }
  const std::shared_ptr<Layer>& operator[](size_t i) const { return layers_.at(i); }

 private:
  std::vector<std::shared_ptr<Layer>> layers_;
};

}  // namespace cohort::nn
