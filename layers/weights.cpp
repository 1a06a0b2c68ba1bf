#include "layers/weights.h"

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/safetensors.h"

namespace cohort::nn {

void save_weights(const Module& module, const std::string& path) {
  safetensors::TensorMap tensors;
  for (const auto& [name, t] : module.state_dict()) tensors.emplace(name, t.detach());
  safetensors::save(path, tensors, {{"format", "pt"}});
}

namespace {

// Throws naming the first tensor of `contents` that holds a NaN or an infinity.
void check_finite(const safetensors::Contents& contents, const std::string& path) {
  for (const auto& [name, t] : contents.tensors) {
    if (t.dtype() != DType::f32 && t.dtype() != DType::f64) continue;
    const std::vector<double> v = t.to_vector<double>();
    int64_t bad = 0, first = -1;
    for (size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) first = first < 0 ? static_cast<int64_t>(i) : first, ++bad;
    if (bad > 0)
      throw ValueError(fmt::format("load_weights '{}': tensor '{}' {} holds {} non-finite value(s), the first "
                                   "({}) at flat index {} (load them anyway with allow_non_finite, in the CLI "
                                   "`cohort eval --allow-non-finite`)", path, name,
                                   shape_str(t.shape()), bad, v[static_cast<size_t>(first)], first));
  }
}

}  // namespace

void load_weights(Module& module, const std::string& path, bool strict, bool allow_non_finite) {
  safetensors::Contents contents = safetensors::load(path);  // its errors name the file
  if (!allow_non_finite) check_finite(contents, path);
  NamedTensors state(contents.tensors.begin(), contents.tensors.end());
  try {
    module.load_state_dict(state, strict);
  } catch (const ValueError& e) {
    throw ValueError(fmt::format("load_weights '{}': {}", path, e.what()));
  }
}

}  // namespace cohort::nn
