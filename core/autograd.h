// Reverse-mode autograd: a dynamic graph built as ops run (flashlight/PyTorch style).
//
// An op front-end computes its output and, when grad mode is on and an input requires grad,
// calls record(): the output gets a Node holding the inputs and a backward function written
// right below the forward. Tensor::backward() sorts the nodes reachable from the root
// topologically and sweeps them once in reverse; leaf gradients accumulate (+=) into .grad().
// The graph's saved state is released afterwards unless retain_graph is set; a second sweep
// through a released node is an error.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace cohort::autograd {

// Given the gradient of the node's output, returns one gradient per input, in input order.
// An undefined Tensor means "no gradient flows to this input". Runs with grad mode off.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string name;            // op name, for error messages
  std::vector<Tensor> inputs;  // edges to the inputs (leaves or other nodes' outputs)
  BackwardFn backward;
  bool released = false;       // set once the saved state is freed
};

// Grad mode: thread-local, on by default.
bool grad_enabled();
void set_grad_enabled(bool on);

// True when grad mode is on and any input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Attaches a Node to `output` (which then requires grad). Call only when needs_grad(...) holds.
void record(Tensor& output, std::string name, std::vector<Tensor> inputs, BackwardFn backward);

// The sweep behind Tensor::backward.
void run_backward(const Tensor& root, const Tensor& seed, bool retain_graph);

}  // namespace cohort::autograd

namespace cohort {

// Disables recording in a scope (PyTorch's torch.no_grad()).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(autograd::grad_enabled()) { autograd::set_grad_enabled(false); }
  ~NoGradGuard() { autograd::set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// Sets every tensor's gradient to none (or zero).
void zero_grad(const std::vector<Tensor>& tensors, bool set_to_none = true);

}  // namespace cohort
