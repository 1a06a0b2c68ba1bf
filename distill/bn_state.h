// Forward passes that must not touch BatchNorm running statistics.
//
// DML's sequential update (the paper's Algorithm 1) recomputes every network's predictions after
// each network steps. Those extra forward passes run in training mode (batch statistics, as the
// paper's predictions are), but the running statistics must be updated only once per batch per
// network. BufferSnapshot copies a module's buffers and puts them back afterwards.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "layers/module.h"

namespace cohort::distill {

class BufferSnapshot {
 public:
  explicit BufferSnapshot(nn::Module& module);
  // Copies the saved values back into the module's buffers (in place: same handles).
  void restore();

 private:
  NamedTensors live_;
  std::vector<Tensor> saved_;
};

}  // namespace cohort::distill
