// Module: the container of named parameters, buffers and child modules (docs/architecture.md),
// with PyTorch's naming and semantics so weights move to and from PyTorch without renaming.
//
// Names are dotted paths in registration order: a module's own parameters come first, then its
// children's in the order they were registered ("conv1.weight", "layer1.0.bn1.running_mean").
// state_dict() lists, per module in pre-order, its parameters then its buffers — PyTorch's order.
//
// Handles: the Tensors returned by named_parameters()/named_buffers()/state_dict() ARE the
// module's tensors (same TensorImpl), not copies: writing into them (copy_, an optimiser step)
// changes the module. to(Device)/to(DType) keep those handles and swap the data underneath
// (PyTorch's `param.data = param.data.to(...)`), so every handle stays valid; but state that
// an optimiser allocated for the old device/dtype does not follow — build optimisers after to().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/tensor.h"

namespace cohort::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  // A module owns the identity of its tensors; copying one would silently share or split them.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // ---- introspection (recursive, dotted names) --------------------------------------------
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  // Parameters and buffers, per module in pre-order: own parameters, own buffers, children.
  NamedTensors state_dict() const;
  // Direct children in registration order.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const {
    return children_;
  }
  // Total number of parameter elements.
  int64_t num_parameters() const;

  // Copies `state` into this module's tensors IN PLACE (Tensor::copy_, any devices), so handles
  // held elsewhere (optimisers) see the new values. Everything is validated before anything is
  // copied: keys of this module absent from `state` (missing), keys of `state` unknown here
  // (unexpected) and entries whose shape or dtype differ are listed together in one ValueError.
  // strict = false tolerates missing and unexpected keys (not shape/dtype mismatches). A missing
  // BatchNorm "num_batches_tracked" is never an error (as in PyTorch): the module keeps its value.
  void load_state_dict(const NamedTensors& state, bool strict = true);

  // ---- modes and placement -----------------------------------------------------------------
  // Sets training mode on this module and every descendant.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Moves every parameter and buffer to `device`, keeping the handles (see the header comment).
  // Gradients are dropped. Build optimisers after calling this.
  void to(Device device);
  // Converts every floating parameter and buffer (f32 <-> f64); integer buffers
  // (num_batches_tracked) keep their dtype. Used for f64 gradient checks and parity tests.
  void to(DType dtype);

  // Drops (or zeroes) the gradient of every parameter.
  void zero_grad(bool set_to_none = true);

 protected:
  // Registers a parameter (marked requires_grad) / buffer / child under `name` and returns it.
  // Names must be unique within this module and must not contain '.'.
  Tensor register_parameter(const std::string& name, Tensor value);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

 private:
  void check_new_name(const std::string& name) const;
  void add_child(const std::string& name, std::shared_ptr<Module> module);
  void collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const;
  void collect_state(const std::string& prefix, NamedTensors& out) const;

  NamedTensors parameters_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// A module with one input and one output: every layer, and the unit Sequential chains.
class Layer : public Module {
 public:
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
};

}  // namespace cohort::nn
