#include "distributed/placement.h"

#include <algorithm>

#include "distributed/communicator.h"

namespace cohort::dist {

bool Placement::split_batches() const {
  return std::any_of(group.begin(), group.end(), [](const std::vector<int>& g) { return g.size() > 1; });
}

Placement place_networks(int networks, int ranks, const std::string& scheme, bool groups) {
  COHORT_CHECK(ranks >= 1, "placement: {} ranks", ranks);
  COHORT_CHECK(networks >= 1, "placement: {} networks", networks);
  if (networks < ranks && !groups)
    throw ConsistentError(fmt::format(
        "distributed: {} ranks but the cohort has {} network(s): cohort placement gives every rank at least one "
        "network, so start at most {} rank(s) (mpirun -np {}), or set distributed.data_parallel: per_network "
        "(each network on a group of ranks that split its batch) or true (every rank holds every network)",
        ranks, networks, networks, networks));
  COHORT_CHECK(scheme == "block" || scheme == "round_robin",
               "distributed.placement must be block|round_robin, got '{}'", scheme);
  const bool block = scheme == "block";
  Placement p;
  p.group.resize(static_cast<size_t>(networks));
  p.owned.resize(static_cast<size_t>(ranks));
  if (networks >= ranks) {
    for (int k = 0; k < networks; ++k) {
      const int r = block ? static_cast<int>(static_cast<int64_t>(k) * ranks / networks) : k % ranks;
      p.group[static_cast<size_t>(k)].push_back(r);
      p.owned[static_cast<size_t>(r)].push_back(k);
    }
  } else {
    for (int r = 0; r < ranks; ++r) {
      const int k = block ? static_cast<int>(static_cast<int64_t>(r) * networks / ranks) : r % networks;
      p.group[static_cast<size_t>(k)].push_back(r);
      p.owned[static_cast<size_t>(r)].push_back(k);
    }
  }
  return p;
}

}  // namespace cohort::dist
