// Building models by name (the trainer's and the CLI's entry point).
//
// Names: resnet{8,14,20,26,32,44,56,110} (and any resnetD with D = 6n + 2), wrn-D-K
// (D = 6n + 4, K >= 1), mobilenet, resnet18, resnet34, cnn-small. docs/models.md describes each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "layers/models/model.h"

namespace cohort::nn {

struct ModelOptions {
  int64_t in_channels = 3;
  double width = 1.0;       // mobilenet: width multiplier
  bool shortcut_b = false;  // CIFAR resnets: 1x1 conv + BN projection shortcuts (option B)
  double dropout = 0.0;     // wrn: dropout between the two convolutions of each block
};

// Builds `name` with `num_classes` outputs, parameters initialised from `gen` (f32, CPU).
// Unknown names or invalid options throw ValueError (listing the known names).
std::shared_ptr<Model> make_model(const std::string& name, int64_t num_classes,
                                  const ModelOptions& options, Generator& gen);

// A registry name taken apart (ValueError listing the known names when it is not one).
struct ModelSpec {
  enum class Family { cifar_resnet, imagenet_resnet, wrn, mobilenet, cnn_small } family;
  int64_t depth = 0;  // resnets, wrn
  int64_t widen = 0;  // wrn
};
ModelSpec parse_model_name(const std::string& name);

// The standard names (resnetD and wrn-D-K accept other valid depths/widths too).
std::vector<std::string> model_names();

struct ModelSummary {
  std::string name;
  int64_t parameters = 0;
  // 2 × multiply-adds of the conv and linear layers for one 3×32×32 image, counted by running
  // one forward with a FlopCounter (layers/flops.h); BN, activations and pooling not counted.
  int64_t flops = 0;
};
// Builds the model and runs it once: the measured counts.
ModelSummary model_summary(const std::string& name, int64_t num_classes);
// The same counts from the architectures' formulas, without building anything (`cohort models`);
// tests/layers/test_registry.cpp checks them equal to model_summary for every standard name.
ModelSummary model_summary_from_formulas(const std::string& name, int64_t num_classes);

}  // namespace cohort::nn
