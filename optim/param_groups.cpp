#include "optim/param_groups.h"

#include "optim/validate.h"

namespace cohort::optim {

bool is_no_decay(const std::string& name, const Tensor& param) {
  const std::string suffix = ".bias";
  const bool bias_name =
      name == "bias" || (name.size() > suffix.size() &&
                         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0);
  return param.dim() <= 1 || bias_name;
}

std::vector<ParamGroup> split_weight_decay(const NamedTensors& named_params, double weight_decay) {
  detail::check_non_negative("split_weight_decay", "weight_decay", weight_decay);
  std::vector<ParamGroup> groups(2);
  groups[0].options.weight_decay = weight_decay;
  groups[1].options.weight_decay = 0.0;
  for (const auto& [name, p] : named_params) {
    COHORT_CHECK(p.defined(), "split_weight_decay: parameter '{}' is undefined", name);
    groups[is_no_decay(name, p) ? 1 : 0].params.push_back(p);
  }
  return groups;
}

}  // namespace cohort::optim
