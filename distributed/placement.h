// Cohort placement: which ranks train each of a cohort's K networks when P ranks share it.
#pragma once

#include <string>
#include <vector>

namespace cohort::dist {

struct Placement {
  // group[k]: the ranks that train network k, ascending. One rank per network, except with
  // distributed.data_parallel: per_network and more ranks than networks, where each network
  // has a group of ranks that split its batch. The first rank of a group is the network's root:
  // its copy is the one checkpoints take.
  std::vector<std::vector<int>> group;
  std::vector<std::vector<int>> owned;  // owned[r]: the networks rank r trains, ascending
  int root(size_t k) const { return group[k].front(); }
  int ranks() const { return static_cast<int>(owned.size()); }
  // Whether some network is trained by several ranks (its batch is split over them).
  bool split_batches() const;
};

// K networks on P ranks. K >= P: each network on one rank — "block": contiguous runs (K=4, P=2:
// 0 0 1 1; K=3, P=2: 0 0 1); "round_robin": network k on rank k mod P. K < P needs
// `groups` (data_parallel: per_network): each rank trains one network — "block": rank r trains
// network floor(r·K/P) (K=2, P=4: 0 0 1 1; K=2, P=3: 0 0 1); "round_robin": r mod K. Without
// `groups`, K < P throws a ConsistentError (a rank would train nothing) — every rank computes the same.
Placement place_networks(int networks, int ranks, const std::string& scheme, bool groups = false);

}  // namespace cohort::dist
