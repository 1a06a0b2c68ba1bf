#include "layers/models/model.h"

namespace cohort::nn {

std::vector<std::pair<size_t, size_t>> stage_fsp_pairs(size_t num_stages) {
  std::vector<std::pair<size_t, size_t>> pairs;
  for (size_t s = 0; s < num_stages; ++s) pairs.emplace_back(2 * s, 2 * s + 1);
  return pairs;
}

}  // namespace cohort::nn
