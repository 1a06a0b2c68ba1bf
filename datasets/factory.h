// Datasets by name, for the CLI and configs.
//
//   name            root holds                                    splits
//   cifar10         cifar-10-batches-bin/ (or the files)           train, test
//   cifar100        cifar-100-binary/ (or the files)               train, test (coarse_labels: 20)
//   mnist           mnist/ or MNIST/raw/ (or the files)            train, test
//   fashion-mnist   fashion-mnist/ or FashionMNIST/raw/            train, test
//   imagefolder     <split>/<class>/*.jpg|png, or <class>/... with split "all"
//   market1501      [Market-1501-v15.09.15/]bounding_box_*/, query/  train, query, gallery (= test)
//   synthetic       nothing (root ignored)                         train, test
// `root` is typically data_root(): $COHORT_DATA.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasets/dataset.h"
#include "datasets/transforms.h"

namespace cohort::data {

struct DatasetOptions {
  bool coarse_labels = false;      // cifar100: the 20 superclasses instead of the 100 classes
  int channels = 3;                // imagefolder, market1501: decode to RGB (3) or grey (1)
  int64_t synthetic_size = 0;      // 0: 50,000 for train, 10,000 for test
  int64_t synthetic_classes = 10;
  int64_t synthetic_side = 32;
  uint64_t seed = 0;               // synthetic only
};

// The names make_dataset accepts.
const std::vector<std::string>& dataset_names();

// Builds dataset `name`; throws ValueError for an unknown name or split (listing the valid ones)
// and IOError when the files are missing or bad.
std::shared_ptr<Dataset> make_dataset(const std::string& name, const std::string& root,
                                      const std::string& split, const DatasetOptions& options = {});

// Per-channel statistics to normalise dataset `name` with: the training-set statistics for
// CIFAR-10/100, MNIST and Fashion-MNIST and the synthetic set; ImageNet's for image folders and
// Market-1501 (the usual choice with ImageNet-style backbones). `channels` = 1 for grey folders.
NormStats normalization_for(const std::string& name, int64_t channels = 3);

// The standard CIFAR training augmentation: RandomCrop(32, padding 4, `mode`) then
// RandomHorizontalFlip(0.5). The DML recipe uses reflect padding.
std::shared_ptr<Compose> cifar_augmentation(PadMode mode = PadMode::reflect);

// $COHORT_DATA, or "" when unset.
std::string data_root();

}  // namespace cohort::data
