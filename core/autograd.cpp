#include "core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "core/ops/elementwise.h"

namespace cohort::autograd {

namespace {
thread_local bool g_grad_enabled = true;
}

bool grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool on) { g_grad_enabled = on; }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(Tensor& output, std::string name, std::vector<Tensor> inputs, BackwardFn backward) {
  auto node = std::make_shared<Node>();
  node->name = std::move(name);
  node->inputs.reserve(inputs.size());
  for (const Tensor& in : inputs) {
    Edge e;
    if (in.defined()) {
      if (in.grad_fn()) e.node = in.grad_fn();
      else if (in.requires_grad()) e.leaf = in.impl_ptr();
      e.shape = in.shape();
      e.dtype = in.dtype();
      e.device = in.device();
    }
    node->inputs.push_back(std::move(e));
  }
  node->backward = std::move(backward);
  output.impl().grad_fn = std::move(node);
  output.impl().requires_grad = true;
}

namespace {

// Post-order DFS from the root's node; iterative so deep nets (ResNet-110) cannot overflow
// the stack. Reversing the result gives an order where every node precedes its inputs.
// The order holds owning pointers: releasing a node during the sweep drops its input edges,
// which may be the only owners of the nodes further down; they must stay alive until visited.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> visited;
  std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{root, 0}};
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next_input] = stack.back();
    if (next_input < node->inputs.size()) {
      const std::shared_ptr<Node>& child = node->inputs[next_input++].node;
      if (child && visited.insert(child.get()).second) stack.push_back({child, 0});
    } else {
      order.push_back(std::move(node));
      stack.pop_back();
    }
  }
  return order;
}

void check_gradient(const Node& node, size_t i, const Edge& input, const Tensor& grad) {
  COHORT_CHECK(grad.shape() == input.shape && grad.dtype() == input.dtype && grad.device() == input.device,
               "autograd: backward of '{}' returned gradient {} {} {} for input {} of shape {} {} {}",
               node.name, shape_str(grad.shape()), dtype_name(grad.dtype()), grad.device().str(), i,
               shape_str(input.shape), dtype_name(input.dtype), input.device.str());
}

void accumulate_into_leaf(TensorImpl& impl, const Tensor& grad) {
  if (!impl.grad) {
    // A private copy: the incoming gradient may be shared with other graph values.
    impl.grad = grad.clone().impl_ptr();
  } else {
    Tensor acc(impl.grad);
    ops::add_(acc, grad);
  }
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& seed, bool retain_graph) {
  COHORT_CHECK(root.requires_grad(), "backward: tensor of shape {} does not require grad",
               shape_str(root.shape()));
  Tensor root_grad = seed;
  if (!root_grad.defined()) {
    COHORT_CHECK(root.numel() == 1,
                 "backward: grad can be implicit only for one-element outputs, got shape {}",
                 shape_str(root.shape()));
    root_grad = Tensor::ones(root.shape(), root.dtype(), root.device());
  }
  COHORT_CHECK(root_grad.shape() == root.shape() && root_grad.dtype() == root.dtype(),
               "backward: seed gradient {} {} does not match output {} {}",
               shape_str(root_grad.shape()), dtype_name(root_grad.dtype()),
               shape_str(root.shape()), dtype_name(root.dtype()));

  NoGradGuard no_grad;  // backward functions compute values, not new graphs
  if (root.is_leaf()) {
    accumulate_into_leaf(root.impl(), root_grad);
    return;
  }

  std::vector<std::shared_ptr<Node>> order = topological_order(root.grad_fn());
  std::unordered_map<Node*, Tensor> pending;  // summed output gradient of each node
  pending[root.grad_fn().get()] = root_grad;

  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = it->get();
    auto found = pending.find(node);
    if (found == pending.end()) continue;  // no gradient reached this node
    Tensor grad_output = std::move(found->second);
    pending.erase(found);
    if (node->released)
      COHORT_FAIL("backward: trying to backward through the graph a second time (node '{}'); "
                  "its saved values were freed — pass retain_graph=true to the first backward",
                  node->name);
    std::vector<Tensor> grads = node->backward(grad_output);
    COHORT_CHECK(grads.size() == node->inputs.size(),
                 "autograd: backward of '{}' returned {} gradients for {} inputs", node->name,
                 grads.size(), node->inputs.size());
    for (size_t i = 0; i < grads.size(); ++i) {
      const Edge& input = node->inputs[i];
      const Tensor& g = grads[i];
      if (!input.wants_grad() || !g.defined()) continue;
      check_gradient(*node, i, input, g);
      if (input.leaf) {
        accumulate_into_leaf(*input.leaf, g);
      } else {
        Node* child = input.node.get();
        auto slot = pending.find(child);
        if (slot == pending.end()) pending.emplace(child, g);
        else slot->second = ops::add(slot->second, g);
      }
    }
    if (!retain_graph) {
      // Free the saved tensors and the edges, so activations die with the sweep; the flag
      // keeps a second sweep from silently producing nothing.
      node->backward = nullptr;
      node->inputs.clear();
      node->released = true;
    }
  }
}

}  // namespace cohort::autograd

namespace cohort {

void zero_grad(const std::vector<Tensor>& tensors, bool set_to_none) {
  for (const Tensor& t : tensors) {
    Tensor tt = t;
    tt.zero_grad(set_to_none);
  }
}

}  // namespace cohort
