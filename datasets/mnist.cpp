#include "datasets/mnist.h"

#include "core/error.h"
#include "datasets/file_io.h"
#include "datasets/idx.h"

namespace cohort::data {

namespace fs = std::filesystem;

namespace {

// The directories a user (or torchvision) is likely to have put the files in.
std::vector<fs::path> candidate_dirs(const fs::path& root, MnistVariant v) {
  if (v == MnistVariant::mnist) return {root, root / "mnist", root / "MNIST" / "raw"};
  return {root, root / "fashion-mnist", root / "FashionMNIST" / "raw"};
}

fs::path find_idx(const fs::path& root, MnistVariant v, const std::string& stem) {
  std::vector<fs::path> candidates;
  for (const fs::path& dir : candidate_dirs(root, v)) {
    candidates.push_back(dir / stem);
    candidates.push_back(dir / (stem + ".gz"));
  }
  return find_first_existing(candidates, fmt::format("{} file '{}'",
                                                     v == MnistVariant::mnist ? "MNIST" : "Fashion-MNIST", stem));
}

}  // namespace

MnistDataset::MnistDataset(const fs::path& root, MnistOptions options) : options_(options) {
  const std::string prefix = options.train ? "train" : "t10k";
  images_path_ = find_idx(root, options.variant, prefix + "-images-idx3-ubyte");
  labels_path_ = find_idx(root, options.variant, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx(images_path_, 3);
  IdxArray labels = read_idx(labels_path_, 1);
  if (images.dims[0] != labels.dims[0]) {
    throw IOError(fmt::format("'{}' holds {} images but '{}' holds {} labels",
                              images_path_.string(), images.dims[0], labels_path_.string(), labels.dims[0]));
  }
  count_ = images.dims[0];
  // An empty split would fail later, far away, as an index out of range.
  if (count_ == 0) throw IOError(fmt::format("'{}' holds no images (its header counts 0)", images_path_.string()));
  rows_ = images.dims[1];
  cols_ = images.dims[2];
  if (rows_ == 0 || cols_ == 0) {
    throw IOError(fmt::format("'{}': images of size {}x{}", images_path_.string(), rows_, cols_));
  }
  constexpr int64_t kLabelHeader = 8;  // magic + one dimension
  for (int64_t i = 0; i < count_; ++i) {
    if (labels.data[static_cast<size_t>(i)] >= 10) {
      throw IOError(fmt::format("'{}' record {} (offset {}): label {} is out of range [0, 10)",
                                labels_path_.string(), i, kLabelHeader + i,
                                int{labels.data[static_cast<size_t>(i)]}));
    }
  }
  images_ = std::move(images.data);
  labels_ = std::move(labels.data);
  if (options.variant == MnistVariant::mnist) {
    for (int d = 0; d < 10; ++d) class_names_.push_back(std::to_string(d));
  } else {
    class_names_ = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  }
}

Example MnistDataset::get(int64_t index) const {
  check_index(index);
  Example ex;
  ex.image = Image(rows_, cols_, 1);
  const uint8_t* src = images_.data() + index * rows_ * cols_;
  std::copy(src, src + rows_ * cols_, ex.image.pixels.begin());
  ex.label = labels_[static_cast<size_t>(index)];
  return ex;
}

std::string MnistDataset::describe(int64_t index) const {
  check_index(index);
  constexpr int64_t kImageHeader = 16;
  return fmt::format("'{}' image {} (offset {})", images_path_.string(), index,
                     kImageHeader + index * rows_ * cols_);
}

std::string MnistDataset::name() const {
  return std::string(options_.variant == MnistVariant::mnist ? "mnist" : "fashion-mnist") +
         (options_.train ? "/train" : "/test");
}

}  // namespace cohort::data
