// A deterministic, class-conditional synthetic image dataset: the default when no real data is
// present (the README's main job trains on it).
//
// Example i is a function of (seed, split, i) only, generated on demand in get() (~30 us for
// 32x32 on one core). Its label is i mod num_classes (balanced classes). The image is a noisy,
// flat-coloured background with two windowed sinusoidal gratings ("Gabor patches"): a strong one
// whose orientation and spatial period encode the class, and a weaker one (30-55 % of its
// contrast) drawn from another, random class. Classes are laid out on a grid of
// n_orient = min(C, 6) orientations (180 deg / n_orient apart) by ceil(C / n_orient) periods
// (4 px * 1.6^k). Everything else is nuisance, drawn per example: orientation and period jitter
// (+-10 %), phase, each window's centre (anywhere in the middle half) and width, the background
// colour, the gratings' colour direction and contrast, and uniform pixel noise (+-16 levels).
// Position, phase and colour vary, so raw pixels are not linearly separable (the class lives in
// local orientation/frequency energy, weighed against the distractor), while a small convnet
// learns it within one epoch. Measured with scripts/synthetic_learnability.py (20,000 train /
// 5,000 test, 10 classes): linear classifier on pixels 12.9 % after 5 epochs; a 3-layer convnet
// 94.3 % after one epoch.
//
// Horizontal flips change a grating's orientation (theta -> 180 deg - theta), i.e. its class:
// do not flip-augment this dataset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace cohort::data {

struct SyntheticOptions {
  int64_t size = 50000;      // number of examples
  int64_t num_classes = 10;
  int64_t side = 32;         // images are side x side x 3
  uint64_t seed = 0;
  bool train = true;         // train and test draw disjoint streams from the same seed
};

// Channel statistics of the synthetic training set (mean 0.50, std 0.187 in every channel;
// measured by scripts/synthetic_learnability.py and checked in tests/data/test_synthetic.cpp).
struct NormStats;
NormStats synthetic_stats();

class SyntheticDataset : public Dataset {
 public:
  explicit SyntheticDataset(SyntheticOptions options);

  int64_t size() const override { return options_.size; }
  Example get(int64_t index) const override;
  int64_t num_classes() const override { return options_.num_classes; }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string describe(int64_t index) const override;
  std::string name() const override { return options_.train ? "synthetic/train" : "synthetic/test"; }

 private:
  SyntheticOptions options_;
  uint64_t stream_seed_;
  int64_t n_orient_;
  std::vector<std::string> class_names_;
};

}  // namespace cohort::data
