// Stochastic gradient descent with PyTorch's semantics (torch.optim.SGD, libtorch's
// torch::optim::SGD): momentum, dampening, Nesterov momentum and L2 weight decay.
//
//   d = g + weight_decay·p
//   buf = d (first step) | momentum·buf + (1 − dampening)·d (later steps)
//   d = d + momentum·buf (nesterov) | buf (momentum > 0)
//   p = p − lr·d
//
// State per parameter: its momentum buffer (once it has had a gradient and momentum > 0).
#pragma once

#include <limits>

#include "optim/optimizer.h"

namespace cohort::optim {

struct SGDOptions {
  // Required (like PyTorch): the NaN default makes forgetting it a ValueError naming lr.
  double lr = std::numeric_limits<double>::quiet_NaN();
  double momentum = 0;
  double dampening = 0;
  bool nesterov = false;
  double weight_decay = 0;
};

class SGD : public Optimizer {
 public:
  // Throws ValueError naming the option and value for: lr < 0 (or unset), momentum < 0,
  // weight_decay < 0, nesterov with momentum == 0 or dampening != 0 (dampening is otherwise
  // free, as in PyTorch).
  // Group overrides are validated the same way.
  SGD(std::vector<Tensor> params, const SGDOptions& options);
  SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults);

  std::string_view name() const override { return "SGD"; }
  void step() override;
  double lr(size_t group) const override { return options(group).lr; }
  const SGDOptions& options(size_t group) const;
  // The momentum buffer of flattened parameter `index` (undefined before its first update).
  Tensor momentum_buffer(size_t index) const;

 protected:
  void set_lr_unchecked(size_t group, double lr) override { options_[group].lr = lr; }
  nlohmann::json group_options_json(size_t group) const override;
  void load_group_options_json(size_t group, const nlohmann::json& options) override;
  void save_param_state(size_t index, std::map<std::string, Tensor>& buffers,
                        nlohmann::json& scalars) const override;
  void load_param_state(size_t index, std::map<std::string, Tensor> buffers,
                        const nlohmann::json& scalars) override;

 private:
  std::vector<SGDOptions> options_;           // per group
  std::vector<Tensor> momentum_buffers_;      // per parameter; undefined = none yet
};

}  // namespace cohort::optim
