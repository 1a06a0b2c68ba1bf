// CIFAR-10 and CIFAR-100 in their "binary version" (https://www.cs.toronto.edu/~kriz/cifar.html).
//
// On disk (directly in `root`, or in root/cifar-10-batches-bin resp. root/cifar-100-binary):
//   CIFAR-10:  data_batch_1.bin .. data_batch_5.bin (train), test_batch.bin (test),
//              batches.meta.txt (class names, optional). Record: <label byte><3072 pixel bytes>.
//   CIFAR-100: train.bin, test.bin, fine_label_names.txt / coarse_label_names.txt (optional).
//              Record: <coarse label byte><fine label byte><3072 pixel bytes>.
// Pixels are stored channel-planar (1024 R, 1024 G, 1024 B, each row-major 32x32); the reader
// converts them once, at load, to the HWC layout of data::Image. Every file must be a whole number
// of records and every label in range; otherwise the IOError names the file, record and offset.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace cohort::data {

enum class CifarVariant { cifar10, cifar100 };
enum class CifarLabels { fine, coarse };  // CIFAR-100: 100 fine classes or 20 superclasses

struct CifarOptions {
  CifarVariant variant = CifarVariant::cifar10;
  bool train = true;
  CifarLabels labels = CifarLabels::fine;  // ignored for CIFAR-10
};

class CifarDataset : public Dataset {
 public:
  static constexpr int64_t kSide = 32, kChannels = 3, kPixels = kSide * kSide * kChannels;

  CifarDataset(const std::filesystem::path& root, CifarOptions options);

  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  Example get(int64_t index) const override;
  int64_t num_classes() const override { return num_classes_; }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string describe(int64_t index) const override;
  std::string name() const override;

  // Pointer to the HWC pixels of `index` (kPixels bytes), for callers that avoid a copy.
  const uint8_t* pixels(int64_t index) const { return images_.data() + index * kPixels; }
  int64_t label(int64_t index) const { return labels_[static_cast<size_t>(index)]; }

 private:
  void load_file(const std::filesystem::path& path);

  CifarOptions options_;
  int64_t num_classes_ = 0;
  std::vector<std::string> class_names_;
  std::vector<uint8_t> images_;  // N * 32 * 32 * 3, HWC per image
  std::vector<uint8_t> labels_;
  // Provenance for describe(): file of each loaded chunk and the first global index in it.
  std::vector<std::filesystem::path> files_;
  std::vector<int64_t> file_start_;
};

// Reads a class-name file (one name per line; blank lines ignored) and checks it has
// `expected` names.
std::vector<std::string> read_class_names(const std::filesystem::path& path, int64_t expected);

}  // namespace cohort::data
