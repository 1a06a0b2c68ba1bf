#include "datasets/factory.h"

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "datasets/cifar.h"
#include "datasets/image_folder.h"
#include "datasets/market1501.h"
#include "datasets/mnist.h"
#include "datasets/synthetic.h"

namespace cohort::data {

namespace fs = std::filesystem;

namespace {

bool train_split(const std::string& name, const std::string& split) {
  if (split == "train") return true;
  if (split == "test") return false;
  throw ValueError(fmt::format("make_dataset({}): unknown split '{}' (expected train or test)", name, split));
}

NormStats imagenet_stats(int64_t channels) {
  if (channels == 1) return {{0.449}, {0.226}};
  return {{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names{"cifar10",     "cifar100",   "mnist",    "fashion-mnist",
                                              "imagefolder", "market1501", "synthetic"};
  return names;
}

std::shared_ptr<Dataset> make_dataset(const std::string& name, const std::string& root,
                                      const std::string& split, const DatasetOptions& options) {
  if (name == "cifar10" || name == "cifar100") {
    CifarOptions o;
    o.variant = name == "cifar10" ? CifarVariant::cifar10 : CifarVariant::cifar100;
    o.train = train_split(name, split);
    o.labels = options.coarse_labels ? CifarLabels::coarse : CifarLabels::fine;
    return std::make_shared<CifarDataset>(root, o);
  }
  if (name == "mnist" || name == "fashion-mnist") {
    MnistOptions o;
    o.variant = name == "mnist" ? MnistVariant::mnist : MnistVariant::fashion;
    o.train = train_split(name, split);
    return std::make_shared<MnistDataset>(root, o);
  }
  if (name == "imagefolder") {
    std::error_code ec;
    if (split == "all") return std::make_shared<ImageFolderDataset>(root, options.channels);
    fs::path dir = fs::path(root) / split;
    if (!fs::is_directory(dir, ec)) {
      throw IOError(fmt::format("make_dataset(imagefolder): split folder '{}' not found (use split "
                                "'all' for a root that holds the class folders directly)",
                                dir.string()));
    }
    return std::make_shared<ImageFolderDataset>(dir, options.channels);
  }
  if (name == "market1501") return std::make_shared<Market1501Dataset>(root, split, options.channels);
  if (name == "synthetic") {
    SyntheticOptions o;
    o.train = train_split(name, split);
    o.size = options.synthetic_size > 0 ? options.synthetic_size : (o.train ? 50000 : 10000);
    o.num_classes = options.synthetic_classes;
    o.side = options.synthetic_side;
    o.seed = options.seed;
    return std::make_shared<SyntheticDataset>(o);
  }
  std::string known;
  for (const std::string& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
  throw ValueError(fmt::format("make_dataset: unknown dataset '{}' (known: {})", name, known));
}

NormStats normalization_for(const std::string& name, int64_t channels) {
  if (name == "cifar10") return cifar10_stats();
  if (name == "cifar100") return cifar100_stats();
  if (name == "mnist") return mnist_stats();
  if (name == "fashion-mnist") return fashion_mnist_stats();
  if (name == "synthetic") return synthetic_stats();
  if (name == "imagefolder" || name == "market1501") return imagenet_stats(channels);
  throw ValueError(fmt::format("normalization_for: unknown dataset '{}'", name));
}

std::shared_ptr<Compose> cifar_augmentation(PadMode mode) {
  auto t = std::make_shared<Compose>();
  t->add(std::make_shared<RandomCrop>(32, 32, 4, mode));
  t->add(std::make_shared<RandomHorizontalFlip>(0.5));
  return t;
}

std::string data_root() {
  const char* v = std::getenv("COHORT_DATA");
  return v ? v : "";
}

}  // namespace cohort::data
