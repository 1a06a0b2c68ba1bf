// Reverse-mode autograd: a dynamic graph built as ops run (flashlight/PyTorch style).
//
// An op front-end computes its output and, when grad mode is on and an input requires grad,
// calls record(): the output gets a Node with an edge per input (where its gradient goes, not
// its data) and a backward function written right below the forward, capturing what it reads. Tensor::backward() sorts the nodes reachable from the root
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

// Where the gradient of one input goes, and what it must look like. An edge holds no input data:
// the values a backward function needs are captured by that function (only those it reads), so
// an intermediate activation dies as soon as no backward needs it — a BatchNorm output that only
// fed a ReLU is freed in the forward pass, not kept until backward (PyTorch's edges likewise).
struct Edge {
  std::shared_ptr<Node> node;        // a non-leaf input: the node that produced it
  std::shared_ptr<TensorImpl> leaf;  // a leaf input requiring grad: its .grad accumulates here
  Shape shape;                       // the input's shape, dtype and device (the check of a gradient)
  DType dtype = DType::f32;
  Device device;
  bool wants_grad() const { return node || leaf; }
};

struct Node {
  std::string name;          // op name, for error messages
  std::vector<Edge> inputs;  // one per input, in the backward function's order
  BackwardFn backward;
  bool released = false;     // set once the saved state is freed
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
