// `cohort eval --dump-logits FILE`: the networks' logits on the evaluated images, for analysis in
// Python. By extension:
//   .safetensors  one F32 tensor [N, C] per network (named after it) and "labels" (I64 [N]);
//                 metadata: dataset, split, networks (in order, comma-separated)
//   .npy          one array: F32 [N, C] for one network, [K, N, C] for K networks in the order
//                 they were given (labels are not in it; use .safetensors for those)
#pragma once

#include <string>
#include <vector>

namespace cohort::cli {

struct Logits {
  std::vector<std::string> networks;
  std::vector<std::vector<float>> values;  // per network, N x C row-major
  std::vector<int64_t> labels;
  int64_t classes = 0;
  std::string dataset, split;
};

// Throws ValueError unless `path` ends in .safetensors or .npy (checked before an evaluation).
void check_logits_path(const std::string& path);
// Throws ValueError for another extension, IOError when the file cannot be written.
void write_logits(const std::string& path, const Logits& logits);

}  // namespace cohort::cli
