#include "layers/module.h"

#include <map>

#include "core/autograd.h"
#include "core/error.h"

namespace cohort::nn {

namespace {

// Points the existing handle `t` at `replacement`'s data, so every copy of the handle follows
// (PyTorch's param.data = ...). The gradient is dropped: it belongs to the old data.
void replace_data(const Tensor& t, const Tensor& replacement) {
  TensorImpl& impl = t.impl();
  impl.storage = replacement.impl().storage;
  impl.shape = replacement.shape();
  impl.dtype = replacement.dtype();
  impl.offset = replacement.impl().offset;
  impl.grad.reset();
}

// BatchNorm's step counter: PyTorch's strict load_state_dict accepts a file without it (older
// PyTorch versions and several zoos never saved it) and keeps the module's own value.
bool is_batch_counter(const std::string& name) {
  const std::string leaf = "num_batches_tracked";
  return name == leaf || (name.size() > leaf.size() && name.compare(name.size() - leaf.size() - 1, std::string::npos,
                                                                    "." + leaf) == 0);
}

}  // namespace

void Module::check_new_name(const std::string& name) const {
  COHORT_CHECK(!name.empty() && name.find('.') == std::string::npos,
               "Module: invalid name '{}' (must be non-empty and contain no '.')", name);
  auto taken = [&](const auto& list) {
    for (const auto& [n, v] : list)
      if (n == name) return true;
    return false;
  };
  COHORT_CHECK(!taken(parameters_) && !taken(buffers_) && !taken(children_),
               "Module: name '{}' is already registered", name);
}

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  check_new_name(name);
  COHORT_CHECK(value.defined(), "Module: parameter '{}' is undefined", name);
  COHORT_CHECK(is_floating(value.dtype()), "Module: parameter '{}' has non-floating dtype {}",
               name, dtype_name(value.dtype()));
  value.requires_grad_(true);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_new_name(name);
  COHORT_CHECK(value.defined(), "Module: buffer '{}' is undefined", name);
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_new_name(name);
  COHORT_CHECK(module != nullptr, "Module: child '{}' is null", name);
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, bool params, bool buffers,
                     NamedTensors& out) const {
  if (params)
    for (const auto& [n, t] : parameters_) out.emplace_back(prefix + n, t);
  if (buffers)
    for (const auto& [n, t] : buffers_) out.emplace_back(prefix + n, t);
  for (const auto& [n, child] : children_) child->collect(prefix + n + ".", params, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, false, out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, true, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", true, true, out);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) given[name] = &t;

  const NamedTensors own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  std::map<std::string, bool> known;
  for (const auto& [name, t] : own) {
    known[name] = true;
    auto it = given.find(name);
    if (it == given.end()) {
      if (!is_batch_counter(name)) missing.push_back(name);
      continue;
    }
    const Tensor& src = *it->second;
    if (!src.defined() || src.shape() != t.shape() || src.dtype() != t.dtype())
      mismatched.push_back(fmt::format(
          "{} (expected {} {}, got {})", name, shape_str(t.shape()), dtype_name(t.dtype()),
          src.defined() ? fmt::format("{} {}", shape_str(src.shape()), dtype_name(src.dtype())) : "undefined"));
  }
  for (const auto& [name, t] : state)
    if (!known.count(name)) unexpected.push_back(name);

  const bool fail = !mismatched.empty() || (strict && (!missing.empty() || !unexpected.empty()));
  if (fail) {
    std::string msg = "load_state_dict:";
    auto list = [&](const char* what, const std::vector<std::string>& names) {
      if (names.empty()) return;
      msg += fmt::format(" {} {} key(s): {};", names.size(), what, fmt::join(names, ", "));
    };
    if (strict) list("missing", missing);
    if (strict) list("unexpected", unexpected);
    list("mismatched", mismatched);
    msg.pop_back();
    throw ValueError(msg);
  }

  NoGradGuard no_grad;
  for (const auto& [name, t] : own) {
    auto it = given.find(name);
    if (it == given.end()) continue;
    Tensor dst = t;
    dst.copy_(*it->second);
  }
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, child] : children_) child->train(on);
}

void Module::to(Device device) {
  NoGradGuard no_grad;
  for (const auto& [name, t] : state_dict())
    if (t.device() != device) replace_data(t, t.detach().to(device));
  for (const auto& [name, t] : named_parameters()) t.impl().grad.reset();
}

void Module::to(DType dtype) {
  COHORT_CHECK(is_floating(dtype), "Module::to: target dtype must be floating, got {}",
               dtype_name(dtype));
  NoGradGuard no_grad;
  for (const auto& [name, t] : state_dict())
    if (is_floating(t.dtype()) && t.dtype() != dtype) replace_data(t, t.detach().to(dtype));
  for (const auto& [name, t] : named_parameters()) t.impl().grad.reset();
}

void Module::zero_grad(bool set_to_none) {
  for (auto& [name, t] : named_parameters()) t.zero_grad(set_to_none);
}

}  // namespace cohort::nn
