#include "distributed/exchange.h"

namespace cohort::dist {

namespace {

// Where the backend wants a tensor on `device` to be exchanged.
Device exchange_device(const Communicator& comm, Device device) {
  return comm.backend() == "nccl" ? device : Device::cpu();
}

}  // namespace

std::vector<Tensor> all_gather_parts(Communicator& comm, const std::vector<Tensor>& mine, const Shape& part_shape,
                                     DType dtype, const std::vector<int>& parts_per_rank, Device device) {
  COHORT_CHECK(static_cast<int>(parts_per_rank.size()) == comm.size(), "all_gather_parts: {} part counts for {} ranks",
               parts_per_rank.size(), comm.size());
  COHORT_CHECK(static_cast<int>(mine.size()) == parts_per_rank[static_cast<size_t>(comm.rank())],
               "all_gather_parts: rank {} passes {} parts, the counts say {}", comm.rank(), mine.size(),
               parts_per_rank[static_cast<size_t>(comm.rank())]);
  const int64_t part_numel = shape_numel(part_shape);
  const Device via = exchange_device(comm, device);
  Shape local_shape{static_cast<int64_t>(mine.size())};
  local_shape.insert(local_shape.end(), part_shape.begin(), part_shape.end());
  Tensor local = Tensor::empty(local_shape, dtype, via);
  for (size_t i = 0; i < mine.size(); ++i) {
    COHORT_CHECK(mine[i].shape() == part_shape && mine[i].dtype() == dtype,
                 "all_gather_parts: part {} is {}, expected shape {} of the common dtype", i, mine[i].str(),
                 shape_str(part_shape));
    local[static_cast<int64_t>(i)].copy_(mine[i]);
  }
  std::vector<int64_t> counts;
  int64_t total = 0;
  for (int n : parts_per_rank) counts.push_back(n * part_numel), total += n;
  Shape all_shape{total};
  all_shape.insert(all_shape.end(), part_shape.begin(), part_shape.end());
  Tensor all = Tensor::empty(all_shape, dtype, via);
  comm.all_gather(local, all, counts);
  if (via != device) all = all.to(device);
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < total; ++i) parts.push_back(all[i]);
  return parts;
}

Tensor all_gather_flat(Communicator& comm, const Tensor& local, const std::vector<int64_t>& counts, Device device) {
  const Device via = exchange_device(comm, device);
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  Tensor send = local.device() == via ? local : local.to(via);
  Tensor all = Tensor::empty({total}, local.dtype(), via);
  comm.all_gather(send, all, counts);
  return via == device ? all : all.to(device);
}

void broadcast_tensor(Communicator& comm, Tensor& t, int root) {
  const Device via = exchange_device(comm, t.device());
  if (via == t.device()) return comm.broadcast(t, root);
  Tensor host = t.to(via);
  comm.broadcast(host, root);
  t.copy_(host);
}

void all_reduce_tensor(Communicator& comm, Tensor& t) {
  const Device via = exchange_device(comm, t.device());
  if (via == t.device()) return comm.all_reduce_sum(t);
  Tensor host = t.to(via);
  comm.all_reduce_sum(host);
  t.copy_(host);
}

}  // namespace cohort::dist
