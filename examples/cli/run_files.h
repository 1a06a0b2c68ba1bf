// Reading a run directory (what `cohort train` leaves, docs/cli.md) for `cohort eval --run` and
// `cohort export`: its resolved config, the dataset it actually used, and each network's weights,
// from the final <network>.safetensors or, for a crashed or stopped run, from the checkpoint.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/safetensors.h"
#include "distill/run_config.h"

namespace cohort::cli {

// DIR/config.yaml, loaded and validated. IOError when DIR holds no run.
distill::RunConfig read_run_config(const std::string& dir);

// The dataset the run trained on: run.json's "dataset" (which records a synthetic fallback),
// else the config's.
std::string run_dataset(const std::string& dir, const distill::RunConfig& cfg);

// Every part of a training checkpoint in saving order: each network's state_dict (PyTorch
// names) and any strategy tensors (e.g. "<student>.regressor"). IOError names the file.
std::vector<std::pair<std::string, safetensors::TensorMap>> checkpoint_parts(const std::string& path);

// The weights of network `name` of the run in DIR, and where they came from.
struct NetworkWeights {
  safetensors::TensorMap tensors;
  std::string source;  // "DIR/name.safetensors" or "DIR/checkpoint.safetensors (epoch 3)"
};
NetworkWeights run_network_weights(const std::string& dir, const std::string& name);

}  // namespace cohort::cli
