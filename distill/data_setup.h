// The data side of a run: datasets (with the synthetic fallback), augmentation and loaders.
#pragma once

#include <memory>
#include <string>

#include "datasets/loader.h"
#include "distill/run_config.h"

namespace cohort::distill {

struct RunData {
  std::string dataset;   // the dataset actually used ("synthetic" after a fallback)
  std::string note;      // e.g. why the fallback happened; "" otherwise
  int64_t num_classes = 0;
  int64_t channels = 0;
  int64_t image_size = 0;  // side of the (square) training images
  std::unique_ptr<data::DataLoader> train;
  std::unique_ptr<data::DataLoader> test;
};

// Builds train and test loaders for `cfg` on `device`. Real data comes from data.root (absolute
// or relative to $COHORT_DATA); when it is missing and data.fallback_to_synthetic is set, the
// built-in synthetic set is used instead and `note` says so; otherwise IOError.
RunData make_run_data(const RunConfig& cfg, Device device);

// One split ("train", "test") of `dataset` as a run of `cfg` reads it: the real data under
// data.root, or the synthetic set with the config's classes, sizes and seed. No fallback and no
// limit: `cohort eval --run` evaluates a run's networks on what it was trained on.
std::shared_ptr<data::Dataset> make_run_split(const RunConfig& cfg, const std::string& dataset,
                                              const std::string& split);

}  // namespace cohort::distill
