// Training checkpoints: model tensors and optimiser state in ONE safetensors file (written
// atomically by core/safetensors), scalar state as JSON in the file's metadata.
//
// Tensor names (k: position of the model/optimiser in the lists below; i: flattened parameter
// index of the optimiser, see optim/optimizer.h):
//   model.<k>.<name>              e.g. model.0.layer1.0.bn1.weight, model.1.fc.bias
//   optim.<k>.state.<i>.<buffer>  e.g. optim.0.state.3.momentum_buffer, optim.1.state.0.exp_avg
// Metadata: one entry "cohort.checkpoint" holding a JSON document
//   {"format": 2,
//    "models": [<number of tensors of model k>, ...],
//    "optimizers": [<Optimizer::state_dict().meta of optimiser k>, ...],
//    "schedulers": [<LrScheduler::state_dict() of scheduler k>, ...],
//    "extra": <the caller's JSON: epoch, iteration, generator offsets, ...>,
//    "checksum": "xormul64:<16 hex digits>" over every tensor's name and bytes, verified on load
//                (format 1 files, written before checksums, load without one)}
// Several models/optimisers (a DML cohort) share one file; stripping "model.<k>." gives names
// PyTorch's load_state_dict accepts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "optim/optimizer.h"
#include "optim/scheduler.h"

namespace cohort::optim {

// What a checkpoint holds. The tensors in `models` are live handles (a module's parameters and
// buffers, e.g. its state_dict()); pointers must stay valid during the call.
struct CheckpointParts {
  std::vector<NamedTensors> models;
  std::vector<Optimizer*> optimizers;
  std::vector<LrScheduler*> schedulers;
};

// Writes everything (tensors copied to the host) plus `extra` to `path`, atomically.
void save_checkpoint(const std::string& path, const CheckpointParts& parts,
                     const nlohmann::json& extra = nlohmann::json::object());

// Restores a checkpoint into `parts`, which must have the saved structure: the same numbers of
// models/optimisers/schedulers, every model tensor present with its shape and dtype (copied
// into the given tensors in place, on their devices), no unknown tensors. Returns `extra`.
// Throws IOError for unreadable, malformed or corrupt (checksum mismatch) files, ValueError naming
// the file and the mismatch otherwise.
nlohmann::json load_checkpoint(const std::string& path, const CheckpointParts& parts);

}  // namespace cohort::optim
