#include "layers/weights.h"

#include "core/error.h"
#include "core/safetensors.h"

namespace cohort::nn {

void save_weights(const Module& module, const std::string& path) {
  safetensors::TensorMap tensors;
  for (const auto& [name, t] : module.state_dict()) tensors.emplace(name, t.detach());
  safetensors::save(path, tensors, {{"format", "pt"}});
}

void load_weights(Module& module, const std::string& path, bool strict) {
  safetensors::Contents contents = safetensors::load(path);  // its errors name the file
  NamedTensors state(contents.tensors.begin(), contents.tensors.end());
  try {
    module.load_state_dict(state, strict);
  } catch (const ValueError& e) {
    throw ValueError(fmt::format("load_weights '{}': {}", path, e.what()));
  }
}

}  // namespace cohort::nn
