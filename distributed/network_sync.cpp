#include "distributed/network_sync.h"

#include "distributed/exchange.h"

namespace cohort::dist {

void broadcast_network(Communicator& comm, distill::Network& net, int root) {
  for (auto& [name, t] : net.model->state_dict()) broadcast_tensor(comm, t, root);
  optim::Optimizer* opt = net.optimizer.get();
  if (!opt) return;
  // The root's optimiser state: its layout first (names, shapes, dtypes, scalars), then the
  // buffers one by one; the other ranks load it.
  const bool root_here = comm.rank() == root;
  optim::OptimizerState state;
  std::string header;
  if (root_here) {
    state = opt->state_dict();
    nlohmann::json h = {{"meta", state.meta}, {"tensors", nlohmann::json::array()}};
    for (const auto& [name, t] : state.tensors)
      h["tensors"].push_back({{"name", name}, {"shape", t.shape()}, {"dtype", static_cast<int>(t.dtype())}});
    header = h.dump();
  }
  const nlohmann::json h = nlohmann::json::parse(comm.broadcast_bytes(header, root));
  if (!root_here) {
    state.meta = h.at("meta");
    for (const auto& t : h.at("tensors"))
      state.tensors[t.at("name").get<std::string>()] =
          Tensor::empty(t.at("shape").get<Shape>(), static_cast<DType>(t.at("dtype").get<int>()));
  }
  for (auto& [name, t] : state.tensors) broadcast_tensor(comm, t, root);
  if (!root_here) opt->load_state_dict(state);
}

void broadcast_buffers(Communicator& comm, distill::Network& net, int root) {
  for (auto& [name, t] : net.model->named_buffers()) broadcast_tensor(comm, t, root);
}

}  // namespace cohort::dist
