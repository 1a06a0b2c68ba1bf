#include "distributed/placement.h"

#include "distributed/communicator.h"

namespace cohort::dist {

Placement place_networks(int networks, int ranks, const std::string& scheme) {
  COHORT_CHECK(ranks >= 1, "placement: {} ranks", ranks);
  if (networks < ranks)
    throw ConsistentError(fmt::format(
        "distributed: {} ranks but the cohort has {} network(s): cohort placement gives every rank at least one "
        "network, so start at most {} rank(s) (mpirun -np {}), or set distributed.data_parallel: true to split "
        "each batch over the ranks instead", ranks, networks, networks, networks));
  COHORT_CHECK(scheme == "block" || scheme == "round_robin",
               "distributed.placement must be block|round_robin, got '{}'", scheme);
  Placement p;
  p.owned.resize(static_cast<size_t>(ranks));
  for (int k = 0; k < networks; ++k) {
    const int r = scheme == "block" ? static_cast<int>(static_cast<int64_t>(k) * ranks / networks) : k % ranks;
    p.owner.push_back(r);
    p.owned[static_cast<size_t>(r)].push_back(k);
  }
  p.gathered_index.resize(static_cast<size_t>(networks));
  int i = 0;
  for (const auto& mine : p.owned)
    for (int k : mine) p.gathered_index[static_cast<size_t>(k)] = i++;
  return p;
}

}  // namespace cohort::dist
