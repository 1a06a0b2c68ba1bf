#include "layers/weights.h"

#include <cmath>
#include <map>
#include <vector>

#include "core/error.h"
#include "core/safetensors.h"

namespace cohort::nn {

void save_weights(const Module& module, const std::string& path) {
  safetensors::TensorMap tensors;
  for (const auto& [name, t] : module.state_dict()) tensors.emplace(name, t.detach());
  safetensors::save(path, tensors, {{"format", "pt"}});
}

void check_finite(const safetensors::TensorMap& tensors, const std::string& path) {
  for (const auto& [name, t] : tensors) {
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

LoadReport load_weights(Module& module, const std::string& path, bool strict, const KeyRenamer& rename,
                        bool allow_non_finite) {
  safetensors::Contents contents = safetensors::load(path);  // its errors name the file
  if (!allow_non_finite) check_finite(contents.tensors, path);
  LoadReport report;
  std::map<std::string, int> widened;  // stored dtype -> count
  for (const auto& [name, tag] : contents.widened) ++widened[tag];
  for (const auto& [tag, n] : widened)
    report.notes.push_back(fmt::format("'{}': widened {} {} tensor(s) to f32", path, n, tag));

  std::map<std::string, DType> own;
  for (const auto& [name, t] : module.state_dict()) own.emplace(name, t.dtype());
  NamedTensors state;
  std::map<std::string, std::string> renamed_from;
  std::map<std::string, int> converted;  // "F64 to f32" -> count
  for (const auto& [stored, t] : contents.tensors) {
    const std::string name = rename ? rename(stored) : stored;
    if (auto [it, fresh] = renamed_from.emplace(name, stored); !fresh)
      throw ValueError(fmt::format("load_weights '{}': tensors '{}' and '{}' both map to '{}'", path, it->second,
                                   stored, name));
    Tensor value = t;
    // A precision the module does not compute in: convert, as model.load_state_dict(...) would
    // by copying into the module's tensors.
    auto it = own.find(name);
    if (it != own.end() && is_floating(t.dtype()) && is_floating(it->second) && t.dtype() != it->second) {
      value = t.to(it->second);
      ++converted[fmt::format("{} to {}", dtype_name(t.dtype()), dtype_name(it->second))];
    }
    state.emplace_back(name, value);
  }
  for (const auto& [what, n] : converted)
    report.notes.push_back(fmt::format("'{}': converted {} tensor(s) from {}", path, n, what));
  try {
    module.load_state_dict(state, strict);
  } catch (const ValueError& e) {
    throw ValueError(fmt::format("load_weights '{}': {}", path, e.what()));
  }
  return report;
}

}  // namespace cohort::nn
