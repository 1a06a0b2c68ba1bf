#include "optim/sgd.h"

#include "core/backend.h"
#include "core/kernel_views.h"
#include "kernels/optim.h"
#include "optim/validate.h"

namespace cohort::optim {

namespace {

void validate(const SGDOptions& o, const std::string& who) {
  detail::check_non_negative(who, "lr", o.lr);
  detail::check_non_negative(who, "momentum", o.momentum);
  detail::check_non_negative(who, "weight_decay", o.weight_decay);
  COHORT_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
               "{}: nesterov requires momentum > 0 and dampening = 0 (got momentum = {}, "
               "dampening = {})", who, o.momentum, o.dampening);
}

SGDOptions resolve(const SGDOptions& defaults, const OptionOverrides& o, size_t group) {
  const std::string who = fmt::format("SGD (parameter group {})", group);
  COHORT_CHECK(!o.beta1 && !o.beta2 && !o.eps && !o.amsgrad,
               "{}: sets an Adam option (beta1/beta2/eps/amsgrad), which SGD does not have", who);
  SGDOptions r = defaults;
  if (o.lr) r.lr = *o.lr;
  if (o.weight_decay) r.weight_decay = *o.weight_decay;
  if (o.momentum) r.momentum = *o.momentum;
  if (o.dampening) r.dampening = *o.dampening;
  if (o.nesterov) r.nesterov = *o.nesterov;
  validate(r, who);
  return r;
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, const SGDOptions& options)
    : SGD(std::vector<ParamGroup>{ParamGroup{std::move(params), {}}}, options) {}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& defaults)
    : Optimizer(std::move(groups), "SGD") {
  validate(defaults, "SGD");
  for (size_t g = 0; g < num_param_groups(); ++g)
    options_.push_back(resolve(defaults, overrides(g), g));
  momentum_buffers_.resize(num_params());
}

const SGDOptions& SGD::options(size_t group) const {
  COHORT_CHECK(group < options_.size(), "SGD: parameter group {} out of range ({} groups)", group,
               options_.size());
  return options_[group];
}

Tensor SGD::momentum_buffer(size_t index) const {
  COHORT_CHECK(index < momentum_buffers_.size(), "SGD: parameter index {} out of range ({})",
               index, momentum_buffers_.size());
  return momentum_buffers_[index];
}

void SGD::step() {
  run_before_step();
  for (size_t g = 0; g < num_param_groups(); ++g) {
    const SGDOptions& o = options_[g];
    SgdHyper hyper{o.lr, o.momentum, o.dampening, o.weight_decay, o.nesterov, false};
    for (const Stepping& s : params_with_grad(g)) {
      // Buffers that exist and buffers created by this step go to separate calls: a new buffer
      // starts as the step's direction d (PyTorch's torch.clone(d_p)).
      std::vector<Tensor> params[2], grads[2], bufs[2];  // [0]: existing, [1]: new
      for (size_t m = 0; m < s.params.size(); ++m) {
        const Tensor& p = s.params[m];
        Tensor& buf = momentum_buffers_[s.indices[m]];
        const int fresh = o.momentum != 0 && !buf.defined();
        if (fresh) buf = Tensor::empty(p.shape(), p.dtype(), p.device());
        params[fresh].push_back(p);
        grads[fresh].push_back(s.grads[m]);
        if (o.momentum != 0) bufs[fresh].push_back(buf);
      }
      for (int fresh = 0; fresh < 2; ++fresh) {
        if (params[fresh].empty()) continue;
        hyper.init_buffers = fresh == 1;
        COHORT_DISPATCH(params[fresh][0].device(), sgd_update, mutable_views_of(params[fresh]),
                        views_of(grads[fresh]), mutable_views_of(bufs[fresh]), hyper);
      }
    }
  }
}

nlohmann::json SGD::group_options_json(size_t group) const {
  const SGDOptions& o = options_[group];
  return {{"lr", o.lr},
          {"momentum", o.momentum},
          {"dampening", o.dampening},
          {"nesterov", o.nesterov},
          {"weight_decay", o.weight_decay}};
}

void SGD::load_group_options_json(size_t group, const nlohmann::json& j) {
  SGDOptions o;
  o.lr = j.at("lr").get<double>();
  o.momentum = j.at("momentum").get<double>();
  o.dampening = j.at("dampening").get<double>();
  o.nesterov = j.at("nesterov").get<bool>();
  o.weight_decay = j.at("weight_decay").get<double>();
  validate(o, fmt::format("SGD.load_state_dict (parameter group {})", group));
  options_[group] = o;
}

void SGD::save_param_state(size_t index, std::map<std::string, Tensor>& buffers,
                           nlohmann::json&) const {
  if (momentum_buffers_[index].defined()) buffers["momentum_buffer"] = momentum_buffers_[index];
}

void SGD::load_param_state(size_t index, std::map<std::string, Tensor> buffers,
                           const nlohmann::json&) {
  auto it = buffers.find("momentum_buffer");
  momentum_buffers_[index] = it == buffers.end() ? Tensor() : it->second;
  if (it != buffers.end()) buffers.erase(it);
  COHORT_CHECK(buffers.empty(), "SGD.load_state_dict: unknown buffer '{}' for parameter {}",
               buffers.empty() ? "" : buffers.begin()->first, index);
}

}  // namespace cohort::optim
