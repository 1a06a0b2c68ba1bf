#include "optim/optimizer.h"

#include <set>

#include "core/error.h"
#include "optim/validate.h"

namespace cohort::optim {

Optimizer::Optimizer(std::vector<ParamGroup> groups, std::string_view who) {
  std::set<const TensorImpl*> seen;
  offsets_.push_back(0);
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t k = 0; k < groups[g].params.size(); ++k) {
      const Tensor& p = groups[g].params[k];
      COHORT_CHECK(p.defined(), "{}: parameter {} of group {} is undefined", who, k, g);
      COHORT_CHECK(is_floating(p.dtype()), "{}: parameter {} of group {} has dtype {} (f32 or f64 "
                   "expected)", who, k, g, dtype_name(p.dtype()));
      COHORT_CHECK(p.is_leaf(), "{}: parameter {} of group {} (shape {}) is not a leaf tensor; "
                   "optimisers update leaves", who, k, g, shape_str(p.shape()));
      COHORT_CHECK(seen.insert(&p.impl()).second,
                   "{}: parameter {} of group {} (shape {}) appears more than once in the "
                   "parameter groups", who, k, g, shape_str(p.shape()));
    }
    offsets_.push_back(offsets_.back() + groups[g].params.size());
    groups_.push_back(std::move(groups[g].params));
    overrides_.push_back(groups[g].options);
  }
  COHORT_CHECK(offsets_.back() > 0, "{}: got an empty parameter list", who);
}

const std::vector<Tensor>& Optimizer::params(size_t group) const {
  COHORT_CHECK(group < groups_.size(), "{}: parameter group {} out of range ({} groups)", name(),
               group, groups_.size());
  return groups_[group];
}

std::vector<Tensor> Optimizer::all_params() const {
  std::vector<Tensor> all;
  for (const auto& g : groups_) all.insert(all.end(), g.begin(), g.end());
  return all;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : groups_)
    for (Tensor& p : group) p.zero_grad(set_to_none);
}

void Optimizer::set_lr(size_t group, double lr) {
  COHORT_CHECK(group < groups_.size(), "{}: parameter group {} out of range ({} groups)", name(),
               group, groups_.size());
  detail::check_non_negative(name(), "lr", lr);
  set_lr_unchecked(group, lr);
}

std::vector<Optimizer::Stepping> Optimizer::params_with_grad(size_t group) const {
  std::vector<Stepping> buckets;
  std::vector<std::pair<Device, DType>> keys;  // of each bucket; normally just one
  const std::vector<Tensor>& params = groups_[group];
  for (size_t k = 0; k < params.size(); ++k) {
    const Tensor& p = params[k];
    Tensor g = p.grad();
    if (!g.defined()) continue;
    const size_t index = offsets_[group] + k;
    COHORT_CHECK(g.shape() == p.shape() && g.dtype() == p.dtype() && g.device() == p.device(),
                 "{}.step: gradient of parameter {} is {} {} on {}, but the parameter is {} {} on {}",
                 name(), index, shape_str(g.shape()), dtype_name(g.dtype()), g.device().str(),
                 shape_str(p.shape()), dtype_name(p.dtype()), p.device().str());
    const std::pair<Device, DType> key{p.device(), p.dtype()};
    size_t b = 0;
    while (b < keys.size() && keys[b] != key) ++b;
    if (b == keys.size()) {
      keys.push_back(key);
      buckets.emplace_back();
    }
    buckets[b].params.push_back(p);
    buckets[b].grads.push_back(g);
    buckets[b].indices.push_back(index);
  }
  return buckets;
}

OptimizerState Optimizer::state_dict() const {
  OptimizerState out;
  out.meta["optimizer"] = std::string(name());
  nlohmann::json groups = nlohmann::json::array();
  for (size_t g = 0; g < groups_.size(); ++g) {
    nlohmann::json entry = group_options_json(g);
    std::vector<size_t> indices;
    for (size_t k = 0; k < groups_[g].size(); ++k) indices.push_back(offsets_[g] + k);
    entry["params"] = indices;
    groups.push_back(std::move(entry));
  }
  out.meta["param_groups"] = std::move(groups);
  nlohmann::json state = nlohmann::json::object();
  for (size_t i = 0; i < num_params(); ++i) {
    std::map<std::string, Tensor> buffers;
    nlohmann::json scalars;
    save_param_state(i, buffers, scalars);
    if (buffers.empty() && scalars.is_null()) continue;
    // A parameter with state always has a "state" entry, even when it is only buffers.
    state[std::to_string(i)] = scalars.is_null() ? nlohmann::json::object() : scalars;
    for (auto& [buffer, t] : buffers)
      out.tensors[fmt::format("state.{}.{}", i, buffer)] = t.detach().clone();
  }
  out.meta["state"] = std::move(state);
  return out;
}

void Optimizer::load_state_dict(const OptimizerState& in) {
  try {
    load_state_dict_checked(in);
  } catch (const nlohmann::json::exception& e) {
    // A field of the wrong type or missing: report it as the bad argument it is.
    throw ValueError(fmt::format("{}.load_state_dict: malformed state metadata: {}", name(),
                                 e.what()));
  }
}

void Optimizer::load_state_dict_checked(const OptimizerState& in) {
  const nlohmann::json& meta = in.meta;
  COHORT_CHECK(meta.is_object() && meta.contains("optimizer") && meta.contains("param_groups") &&
                   meta.contains("state"),
               "{}.load_state_dict: metadata lacks optimizer/param_groups/state: {}", name(),
               meta.dump());
  const std::string saved = meta.at("optimizer").get<std::string>();
  COHORT_CHECK(saved == name(), "{}.load_state_dict: the state belongs to optimiser type {}", name(),
               saved);
  const nlohmann::json& groups = meta.at("param_groups");
  COHORT_CHECK(groups.size() == groups_.size(),
               "{}.load_state_dict: the state has {} parameter groups, this optimiser {}", name(),
               groups.size(), groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    const size_t saved_params = groups[g].at("params").size();
    COHORT_CHECK(saved_params == groups_[g].size(),
                 "{}.load_state_dict: group {} has {} parameters in the state, {} here", name(), g,
                 saved_params, groups_[g].size());
  }

  // Collect every parameter's buffers ("state.<i>.<buffer>") and check them before changing
  // anything (a bad tensor leaves the optimiser as it was).
  std::vector<std::map<std::string, Tensor>> buffers(num_params());
  const std::vector<Tensor> params = all_params();
  for (const auto& [key, t] : in.tensors) {
    size_t index = 0;
    std::string buffer;
    const size_t dot1 = key.find('.'), dot2 = key.find('.', dot1 + 1);
    bool ok = key.rfind("state.", 0) == 0 && dot2 != std::string::npos;
    if (ok) {
      try {
        index = std::stoul(key.substr(dot1 + 1, dot2 - dot1 - 1));
      } catch (const std::exception&) {
        ok = false;
      }
      buffer = key.substr(dot2 + 1);
    }
    COHORT_CHECK(ok && index < params.size() && !buffer.empty(),
                 "{}.load_state_dict: unexpected tensor '{}' (expected state.<index < {}>.<name>)",
                 name(), key, params.size());
    const Tensor& p = params[index];
    COHORT_CHECK(t.shape() == p.shape() && t.dtype() == p.dtype(),
                 "{}.load_state_dict: '{}' is {} {}, but parameter {} is {} {}", name(), key,
                 shape_str(t.shape()), dtype_name(t.dtype()), index, shape_str(p.shape()),
                 dtype_name(p.dtype()));
    // A fresh copy on the parameter's device: the optimiser must not alias the caller's tensors.
    Tensor copy = Tensor::empty(p.shape(), p.dtype(), p.device());
    copy.copy_(t);
    buffers[index][buffer] = copy;
  }

  for (size_t g = 0; g < groups_.size(); ++g) load_group_options_json(g, groups[g]);
  const nlohmann::json& state = meta.at("state");
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string key = std::to_string(i);
    const nlohmann::json scalars = state.contains(key) ? state.at(key) : nlohmann::json();
    load_param_state(i, std::move(buffers[i]), scalars);
  }
}

}  // namespace cohort::optim
