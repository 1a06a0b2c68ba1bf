// Model: a network that maps images to logits and exposes the taps distillation needs.
//
// forward_features(x) returns ModelOutput{logits, features, embedding}:
//   features  — the model's taps (docs/models.md lists them for every model): for the ResNets
//               and WRNs [stage1_in, stage1_out, stage2_in, stage2_out, ...], where a stage's
//               input is the tensor entering its first block; FSP pairs (stage in, stage out)
//               come from fsp_pairs(); FitNet hints use the stage outputs (odd indices).
//   embedding — the pooled vector [N, D] the classifier reads.
// The taps are ordinary tensors of the forward graph: gradients flow through them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "layers/module.h"

namespace cohort::nn {

struct ModelOutput {
  Tensor logits;                // [N, num_classes]
  std::vector<Tensor> features;
  Tensor embedding;             // [N, D]
};

class Model : public Module {
 public:
  Model(int64_t in_channels, int64_t input_size)
      : in_channels_(in_channels), input_size_(input_size) {}

  // x: [N, in_channels(), H, W] (H = W = input_size() is what the model is designed for).
  virtual ModelOutput forward_features(const Tensor& x) = 0;
  // The logits alone; a model overrides it when it can skip work the features need.
  virtual Tensor forward(const Tensor& x) { return forward_features(x).logits; }

  // The registry name that builds this model ("resnet32", "wrn-16-4", ...).
  virtual std::string name() const = 0;
  int64_t in_channels() const { return in_channels_; }
  // The image side the model is designed for (probe batches are built with it).
  int64_t input_size() const { return input_size_; }
  // Index pairs into ModelOutput::features forming FSP (stage input, stage output) pairs;
  // empty for models without them.
  virtual std::vector<std::pair<size_t, size_t>> fsp_pairs() const { return {}; }

 private:
  int64_t in_channels_;
  int64_t input_size_;
};

// FSP pairs of a model whose features are [in_1, out_1, in_2, out_2, ...]: {(0,1), (2,3), ...}.
std::vector<std::pair<size_t, size_t>> stage_fsp_pairs(size_t num_stages);

}  // namespace cohort::nn
