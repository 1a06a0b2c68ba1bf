// Optimizer: the base of SGD, Adam and AdamW (libtorch-like API, PyTorch semantics).
//
// An optimiser owns parameter groups (each a list of parameter handles plus its own resolved
// options) and per-parameter state (momentum buffers, Adam moments, step counts). step() updates
// every parameter that has a gradient — parameters whose grad() is undefined are skipped, as in
// PyTorch — through the device's fused update kernels (kernels/{cpu,cuda}/optim.h): one call per
// (group, device, dtype), which on CUDA is a handful of multi-tensor launches.
//
// Parameters are identified by their index in the flattened group order (group 0's params, then
// group 1's, ...), as in PyTorch's state_dict; see docs/optim.md for the state layout.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace cohort::optim {

// Per-group overrides of an optimiser's default options; unset fields keep the default.
// (Every member has a default initialiser so `{.lr = 0.01}` compiles without
// -Wmissing-field-initializers warnings.)
// Setting an option the optimiser does not have (e.g. momentum for Adam) is a ValueError.
struct OptionOverrides {
  std::optional<double> lr = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  // SGD
  std::optional<double> momentum = std::nullopt;
  std::optional<double> dampening = std::nullopt;
  std::optional<bool> nesterov = std::nullopt;
  // Adam / AdamW
  std::optional<double> beta1 = std::nullopt;
  std::optional<double> beta2 = std::nullopt;
  std::optional<double> eps = std::nullopt;
  std::optional<bool> amsgrad = std::nullopt;
};

// A parameter group: `ParamGroup{params, {.lr = 0.01, .weight_decay = 0.0}}`.
struct ParamGroup {
  std::vector<Tensor> params;
  OptionOverrides options;
};

// What state_dict() returns and load_state_dict() takes: the tensors (named
// "state.<param index>.<buffer>", e.g. "state.3.momentum_buffer") and the scalars as JSON
// ({"optimizer", "param_groups": [{options..., "params": [indices]}], "state": {"<i>": {...}}}).
struct OptimizerState {
  std::map<std::string, Tensor> tensors;
  nlohmann::json meta;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // "SGD", "Adam" or "AdamW".
  virtual std::string_view name() const = 0;

  // One update of every parameter with a gradient. Does not record autograd history.
  // Implementations call run_before_step() first.
  virtual void step() = 0;

  // Called at the start of every step(), before any parameter changes, with this optimiser:
  // data parallelism (distributed/) averages the gradients over ranks there. Empty: none.
  void set_before_step(std::function<void(Optimizer&)> hook) { before_step_ = std::move(hook); }

  // Drops every parameter's gradient (set_to_none, PyTorch 2's default) or zeroes it in place.
  void zero_grad(bool set_to_none = true);

  size_t num_param_groups() const { return groups_.size(); }
  const std::vector<Tensor>& params(size_t group) const;
  // All parameters in the flattened order that state indices refer to.
  std::vector<Tensor> all_params() const;

  // The learning rate of a group (what schedules set); set_lr rejects negative values.
  virtual double lr(size_t group) const = 0;
  void set_lr(size_t group, double lr);

  // Everything needed to resume bit-exactly: per-parameter buffers (copied, on their device)
  // and the scalars (group options including lr, step counts).
  OptimizerState state_dict() const;
  // Restores a state_dict() of the same optimiser type with the same group sizes and parameter
  // shapes. Buffers are copied to each parameter's device; group options (incl. lr) are
  // replaced by the saved ones. Throws ValueError naming the mismatch.
  void load_state_dict(const OptimizerState& state);

 protected:
  // Takes the groups (validated: non-empty overall, floating leaf tensors, no parameter in
  // two groups). Derived classes resolve and validate each group's options.
  Optimizer(std::vector<ParamGroup> groups, std::string_view who);

  // Flattened index of the first parameter of `group`.
  size_t group_offset(size_t group) const { return offsets_[group]; }
  size_t num_params() const { return offsets_.back(); }
  const OptionOverrides& overrides(size_t group) const { return overrides_[group]; }

  // Derived hooks for state_dict / load_state_dict.
  virtual void set_lr_unchecked(size_t group, double lr) = 0;
  virtual nlohmann::json group_options_json(size_t group) const = 0;
  virtual void load_group_options_json(size_t group, const nlohmann::json& options) = 0;
  // The named buffers and the scalars of parameter `index` (nothing for a parameter never
  // stepped). Buffers are returned as handles; state_dict copies them.
  virtual void save_param_state(size_t index, std::map<std::string, Tensor>& buffers,
                                nlohmann::json& scalars) const = 0;
  // `buffers` are already on the parameter's device with its shape and dtype. An empty map and
  // null scalars mean "no state yet".
  virtual void load_param_state(size_t index, std::map<std::string, Tensor> buffers,
                                const nlohmann::json& scalars) = 0;

  // The parameters of `group` that have a gradient (checked against it: shape, dtype, device)
  // with their flattened indices, split by (device, dtype) — each kernel call takes one of
  // each. Input order is kept within a bucket.
  struct Stepping {
    std::vector<Tensor> params, grads;
    std::vector<size_t> indices;
  };
  std::vector<Stepping> params_with_grad(size_t group) const;
  void run_before_step() {
    if (before_step_) before_step_(*this);
  }

 private:
  void load_state_dict_checked(const OptimizerState& state);

  std::vector<std::vector<Tensor>> groups_;
  std::vector<OptionOverrides> overrides_;
  std::vector<size_t> offsets_;  // groups_.size() + 1 prefix sums
  std::function<void(Optimizer&)> before_step_;
};

}  // namespace cohort::optim
