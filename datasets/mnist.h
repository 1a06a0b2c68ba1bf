// MNIST and Fashion-MNIST from their IDX files (datasets/idx.h), raw or gzip-compressed.
//
// On disk, in `root` or in root/mnist (root/fashion-mnist) or root/MNIST/raw
// (root/FashionMNIST/raw) — torchvision's layout:
//   train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]   (train)
//   t10k-images-idx3-ubyte[.gz],  t10k-labels-idx1-ubyte[.gz]    (test)
// Counts come from the headers (the images and labels files must agree); labels must be < 10.
// Images are 1-channel (28x28 for both datasets; the size is read from the header too).
#pragma once

#include <filesystem>

#include "datasets/dataset.h"

namespace cohort::data {

enum class MnistVariant { mnist, fashion };

struct MnistOptions {
  MnistVariant variant = MnistVariant::mnist;
  bool train = true;
};

class MnistDataset : public Dataset {
 public:
  MnistDataset(const std::filesystem::path& root, MnistOptions options);

  int64_t size() const override { return count_; }
  Example get(int64_t index) const override;
  int64_t num_classes() const override { return 10; }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string describe(int64_t index) const override;
  std::string name() const override;

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }

 private:
  MnistOptions options_;
  std::filesystem::path images_path_, labels_path_;
  int64_t count_ = 0, rows_ = 0, cols_ = 0;
  std::vector<uint8_t> images_;  // count * rows * cols
  std::vector<uint8_t> labels_;
  std::vector<std::string> class_names_;
};

}  // namespace cohort::data
