// Model weights as safetensors files, with PyTorch's state_dict names and layouts, so a file
// written here loads with `model.load_state_dict(safetensors.torch.load_file(path))` and a file
// written from a PyTorch state_dict loads here.
#pragma once

#include <string>

#include "layers/module.h"

namespace cohort::nn {

// Writes module.state_dict() (parameters and buffers, copied to the host) atomically, with
// metadata {"format": "pt"} as the safetensors Python package writes it.
void save_weights(const Module& module, const std::string& path);

// Reads `path` and copies its tensors into the module in place (Module::load_state_dict; the
// module may live on any device). Errors (unreadable/corrupt file, missing, unexpected or
// mismatched tensors) name the file, the tensor and the problem. strict = false tolerates
// missing and unexpected tensors. A NaN or infinite value in a floating-point tensor is an
// error naming the tensor, its count and the first index (a NaN weight would otherwise train or
// evaluate silently), unless allow_non_finite (`cohort eval --allow-non-finite`).
void load_weights(Module& module, const std::string& path, bool strict = true,
                  bool allow_non_finite = false);

}  // namespace cohort::nn
