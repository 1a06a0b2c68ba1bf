#include "optim/adam.h"

#include <map>

#include "core/backend.h"
#include "core/kernel_views.h"
#include "kernels/optim.h"
#include "optim/validate.h"

namespace cohort::optim {

namespace {

void validate(const AdamOptions& o, const std::string& who) {
  detail::check_non_negative(who, "lr", o.lr);
  detail::check_non_negative(who, "eps", o.eps);
  detail::check_unit_interval(who, "betas[0]", o.betas[0]);
  detail::check_unit_interval(who, "betas[1]", o.betas[1]);
  detail::check_non_negative(who, "weight_decay", o.weight_decay);
}

AdamOptions resolve(const AdamOptions& defaults, const OptionOverrides& o, std::string_view name,
                    size_t group) {
  const std::string who = fmt::format("{} (parameter group {})", name, group);
  COHORT_CHECK(!o.momentum && !o.dampening && !o.nesterov,
               "{}: sets an SGD option (momentum/dampening/nesterov), which {} does not have", who,
               name);
  AdamOptions r = defaults;
  if (o.lr) r.lr = *o.lr;
  if (o.weight_decay) r.weight_decay = *o.weight_decay;
  if (o.beta1) r.betas[0] = *o.beta1;
  if (o.beta2) r.betas[1] = *o.beta2;
  if (o.eps) r.eps = *o.eps;
  if (o.amsgrad) r.amsgrad = *o.amsgrad;
  validate(r, who);
  return r;
}

AdamOptions from_adamw(const AdamWOptions& o) {
  return {o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad};
}

Tensor zeros_like(const Tensor& p) { return Tensor::zeros(p.shape(), p.dtype(), p.device()); }

}  // namespace

Adam::Adam(std::vector<Tensor> params, const AdamOptions& options)
    : Adam(std::vector<ParamGroup>{ParamGroup{std::move(params), {}}}, options, false) {}

Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults)
    : Adam(std::move(groups), defaults, false) {}

Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& defaults, bool decoupled)
    : Optimizer(std::move(groups), decoupled ? "AdamW" : "Adam"), decoupled_(decoupled) {
  validate(defaults, std::string(name()));
  for (size_t g = 0; g < num_param_groups(); ++g)
    options_.push_back(resolve(defaults, overrides(g), name(), g));
  state_.resize(num_params());
}

AdamW::AdamW(std::vector<Tensor> params, const AdamWOptions& options)
    : Adam(std::vector<ParamGroup>{ParamGroup{std::move(params), {}}}, from_adamw(options), true) {}

AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& defaults)
    : Adam(std::move(groups), from_adamw(defaults), true) {}

const AdamOptions& Adam::options(size_t group) const {
  COHORT_CHECK(group < options_.size(), "{}: parameter group {} out of range ({} groups)", name(),
               group, options_.size());
  return options_[group];
}

int64_t Adam::step_count(size_t index) const {
  COHORT_CHECK(index < state_.size(), "{}: parameter index {} out of range ({})", name(), index,
               state_.size());
  return state_[index].step;
}

void Adam::step() {
  run_before_step();
  for (size_t g = 0; g < num_param_groups(); ++g) {
    const AdamOptions& o = options_[g];
    for (const Stepping& s : params_with_grad(g)) {
      // Bias corrections depend on each parameter's own step count (a parameter that missed
      // gradients lags behind), so one kernel call per distinct count — normally exactly one.
      struct Lists {
        std::vector<Tensor> params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs;
      };
      std::map<int64_t, Lists> by_step;
      for (size_t m = 0; m < s.params.size(); ++m) {
        const Tensor& p = s.params[m];
        ParamState& st = state_[s.indices[m]];
        if (st.step == 0) {
          st.exp_avg = zeros_like(p);
          st.exp_avg_sq = zeros_like(p);
        }
        if (o.amsgrad && !st.max_exp_avg_sq.defined()) st.max_exp_avg_sq = zeros_like(p);
        ++st.step;
        Lists& l = by_step[st.step];
        l.params.push_back(p);
        l.grads.push_back(s.grads[m]);
        l.exp_avgs.push_back(st.exp_avg);
        l.exp_avg_sqs.push_back(st.exp_avg_sq);
        if (o.amsgrad) l.max_exp_avg_sqs.push_back(st.max_exp_avg_sq);
      }
      for (auto& [step, l] : by_step) {
        const AdamHyper hyper{o.lr,           o.betas[0], o.betas[1], o.eps,
                              o.weight_decay, o.amsgrad,  decoupled_, step};
        COHORT_DISPATCH(l.params[0].device(), adam_update, mutable_views_of(l.params), views_of(l.grads),
                        mutable_views_of(l.exp_avgs), mutable_views_of(l.exp_avg_sqs),
                        mutable_views_of(l.max_exp_avg_sqs), hyper);
      }
    }
  }
}

nlohmann::json Adam::group_options_json(size_t group) const {
  const AdamOptions& o = options_[group];
  return {{"lr", o.lr},
          {"betas", o.betas},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"amsgrad", o.amsgrad}};
}

void Adam::load_group_options_json(size_t group, const nlohmann::json& j) {
  AdamOptions o;
  o.lr = j.at("lr").get<double>();
  o.betas = j.at("betas").get<std::array<double, 2>>();
  o.eps = j.at("eps").get<double>();
  o.weight_decay = j.at("weight_decay").get<double>();
  o.amsgrad = j.at("amsgrad").get<bool>();
  validate(o, fmt::format("{}.load_state_dict (parameter group {})", name(), group));
  options_[group] = o;
}

void Adam::save_param_state(size_t index, std::map<std::string, Tensor>& buffers,
                            nlohmann::json& scalars) const {
  const ParamState& st = state_[index];
  if (st.step == 0) return;
  scalars["step"] = st.step;
  buffers["exp_avg"] = st.exp_avg;
  buffers["exp_avg_sq"] = st.exp_avg_sq;
  if (st.max_exp_avg_sq.defined()) buffers["max_exp_avg_sq"] = st.max_exp_avg_sq;
}

void Adam::load_param_state(size_t index, std::map<std::string, Tensor> buffers,
                            const nlohmann::json& scalars) {
  ParamState st;
  if (scalars.is_object() && scalars.contains("step")) st.step = scalars.at("step").get<int64_t>();
  auto take = [&](const char* key) {
    auto it = buffers.find(key);
    if (it == buffers.end()) return Tensor();
    Tensor t = it->second;
    buffers.erase(it);
    return t;
  };
  st.exp_avg = take("exp_avg");
  st.exp_avg_sq = take("exp_avg_sq");
  st.max_exp_avg_sq = take("max_exp_avg_sq");
  COHORT_CHECK(buffers.empty(), "{}.load_state_dict: unknown buffer '{}' for parameter {}", name(),
               buffers.empty() ? "" : buffers.begin()->first, index);
  COHORT_CHECK(st.step >= 0 && (st.step == 0) == !st.exp_avg.defined() &&
                   st.exp_avg.defined() == st.exp_avg_sq.defined(),
               "{}.load_state_dict: parameter {} has step {} but {} of exp_avg/exp_avg_sq",
               name(), index, st.step, st.exp_avg.defined() ? "not both" : "neither");
  state_[index] = st;
}

}  // namespace cohort::optim
