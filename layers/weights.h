// Model weights as safetensors files, with PyTorch's state_dict names and layouts, so a file
// written here loads with `model.load_state_dict(safetensors.torch.load_file(path))` and a file
// written from a PyTorch state_dict loads here.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "layers/module.h"

namespace cohort::nn {

// Writes module.state_dict() (parameters and buffers, copied to the host) atomically, with
// metadata {"format": "pt"} as the safetensors Python package writes it.
void save_weights(const Module& module, const std::string& path);

// Maps a file's tensor name to the module's (weights from other zoos, layers/models/zoo_formats.h).
using KeyRenamer = std::function<std::string(const std::string&)>;

// What a load changed on the way, in words for the user ("widened 42 F16 tensors to f32").
struct LoadReport {
  std::vector<std::string> notes;
};

// Reads `path` and copies its tensors into the module in place (Module::load_state_dict; the
// module may live on any device). Floating tensors of another precision (F64, F16, BF16 files for
// an f32 model) are converted to the module's dtype, and the report says so. Errors
// (unreadable/corrupt file, missing, unexpected or mismatched tensors) name the file, the tensor
// and the problem. strict = false tolerates missing and unexpected tensors. `rename`, when given,
// maps each name of the file first. A NaN or infinite value in a floating-point tensor is an
// error naming the tensor, its count and the first index (a NaN weight would otherwise train or
// evaluate silently), unless allow_non_finite (`cohort eval --allow-non-finite`).
LoadReport load_weights(Module& module, const std::string& path, bool strict = true, const KeyRenamer& rename = {},
                        bool allow_non_finite = false);

// Throws ValueError naming the first floating-point tensor of `tensors` (read from `path`) that
// holds a NaN or an infinity, with its count and first index.
void check_finite(const safetensors::TensorMap& tensors, const std::string& path);

}  // namespace cohort::nn
