// Cohort placement: which rank owns (trains) each of a cohort's K networks when P ranks share it.
#pragma once

#include <string>
#include <vector>

namespace cohort::dist {

struct Placement {
  std::vector<int> owner;               // owner[k]: the rank that trains network k
  std::vector<std::vector<int>> owned;  // owned[r]: rank r's networks, ascending
  // Position of network k in an all-gather of every rank's networks (rank order, then ascending).
  std::vector<int> gathered_index;
  int ranks() const { return static_cast<int>(owned.size()); }
};

// "block": contiguous runs (K=4, P=2: 0 0 1 1; K=3, P=2: 0 0 1); "round_robin": k mod P.
// Throws ConsistentError when K < P (a rank would own nothing) — every rank computes the same.
Placement place_networks(int networks, int ranks, const std::string& scheme);

}  // namespace cohort::dist
