// Weights from other CIFAR model zoos. A teacher trained elsewhere usually differs from cohort's
// names (cohort follows akamaster's ResNets, xternalz's WRN and kuangliu's MobileNet) only in
// naming; these presets rename the keys of such a file, converted to safetensors, so that it loads
// with the usual strict name and shape checks (nothing is skipped or guessed per tensor):
//
//   cohort          cohort's own names (also what `cohort train` writes)
//   repdistiller    RepDistiller / mdistiller CIFAR ResNets (resnet8 ... resnet110): classifier
//                   `fc.*` -> `linear.*`, option-B shortcuts `downsample.0|1` -> `shortcut.0|1`
//                   (the model is built with 1x1 conv + BN projection shortcuts)
//   wrn-flat        WRNs without the NetworkBlock level: `blockN.M.*` -> `blockN.layer.M.*`,
//                   1x1 shortcut `shortcut.*` / `shortcut.0.*` -> `convShortcut.*`, `linear.*` -> `fc.*`
//   mobilenet-flat  MobileNet (v1, CIFAR) as one flat nn.Sequential `layers`: conv, BN, ReLU of
//                   the stem (0-2), then per block b the depthwise conv, BN, ReLU, pointwise conv,
//                   BN, ReLU (3+6b ... 8+6b); `layers.0` -> `conv1`, `layers.1` -> `bn1`,
//                   `layers.{3,4,6,7}+6b` -> `layers.b.{conv1,bn1,conv2,bn2}`; `fc`/`classifier` -> `linear`
//
// "auto" picks the first preset, in this order, whose renamed keys are exactly the model's (a
// missing BatchNorm num_batches_tracked aside, as in PyTorch).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "layers/models/registry.h"
#include "layers/weights.h"

namespace cohort::nn {

struct ZooFormat {
  std::string name;
  std::string mapping;  // the renaming in words, printed when auto-detection picks this preset
  std::function<bool(const std::string& model)> applies;  // the registry names it is meant for
  bool shortcut_b = false;  // build CIFAR ResNets with option-B shortcuts
  KeyRenamer rename;
};

const std::vector<ZooFormat>& zoo_formats();
std::vector<std::string> zoo_format_names();  // "auto" and the presets

struct PretrainedModel {
  std::shared_ptr<Model> model;
  std::string format;  // the preset used
  LoadReport report;   // conversions, and the mapping when "auto" picked a foreign preset
};

// Builds registry model `name` and loads `path` into it (strict), renaming keys with preset
// `format` ("auto": detected). ValueError lists the presets when `format` is unknown or none
// applies; load errors name the file and the keys. Non-finite values are refused unless
// allow_non_finite (see load_weights).
PretrainedModel load_pretrained(const std::string& name, int64_t num_classes, ModelOptions options,
                                Generator& gen, const std::string& path, const std::string& format = "auto",
                                bool allow_non_finite = false);

}  // namespace cohort::nn
