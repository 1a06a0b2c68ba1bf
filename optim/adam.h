// Adam and AdamW with PyTorch's semantics (torch.optim.Adam / AdamW, single-tensor path):
//
//   t = t + 1                                     (per parameter, only when it has a gradient)
//   AdamW: p = p·(1 − lr·weight_decay)            (decoupled decay, Loshchilov & Hutter)
//   Adam:  g = g + weight_decay·p                 (L2 decay folded into the gradient)
//   m = β1·m + (1 − β1)·g
//   v = β2·v + (1 − β2)·g²
//   amsgrad: v_max = max(v_max, v), used instead of v below
//   p = p − lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + eps)
//
// State per parameter: step (an integer), exp_avg, exp_avg_sq and, with amsgrad,
// max_exp_avg_sq — PyTorch's names.
#pragma once

#include <array>

#include "optim/optimizer.h"

namespace cohort::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;  // L2, added to the gradient
  bool amsgrad = false;
};

struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;  // decoupled (PyTorch's AdamW default)
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  // Throws ValueError naming the option and value for: lr < 0, eps < 0, weight_decay < 0,
  // betas[0] or betas[1] outside [0, 1). Group overrides (beta1/beta2/...) likewise.
  Adam(std::vector<Tensor> params, const AdamOptions& options = {});
  Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults = {});

  std::string_view name() const override { return decoupled_ ? "AdamW" : "Adam"; }
  void step() override;
  double lr(size_t group) const override { return options(group).lr; }
  const AdamOptions& options(size_t group) const;
  // Step count of flattened parameter `index` (0 before its first update).
  int64_t step_count(size_t index) const;

 protected:
  Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults, bool decoupled);

  void set_lr_unchecked(size_t group, double lr) override { options_[group].lr = lr; }
  nlohmann::json group_options_json(size_t group) const override;
  void load_group_options_json(size_t group, const nlohmann::json& options) override;
  void save_param_state(size_t index, std::map<std::string, Tensor>& buffers,
                        nlohmann::json& scalars) const override;
  void load_param_state(size_t index, std::map<std::string, Tensor> buffers,
                        const nlohmann::json& scalars) override;

 private:
  struct ParamState {
    int64_t step = 0;
    Tensor exp_avg, exp_avg_sq, max_exp_avg_sq;  // undefined before the first update
  };
  bool decoupled_;
  std::vector<AdamOptions> options_;  // per group
  std::vector<ParamState> state_;     // per parameter
};

// AdamW: Adam with decoupled weight decay (p = p·(1 − lr·wd) before the Adam step).
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, const AdamWOptions& options = {});
  AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults = {});
};

}  // namespace cohort::optim
