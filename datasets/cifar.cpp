#include "datasets/cifar.h"

#include <fstream>

#include "core/error.h"
#include "datasets/file_io.h"

namespace cohort::data {

namespace fs = std::filesystem;

namespace {

fs::path resolve_root(const fs::path& root, const char* subdir, const char* probe) {
  std::error_code ec;
  if (fs::exists(root / probe, ec)) return root;
  if (fs::exists(root / subdir / probe, ec)) return root / subdir;
  throw IOError(fmt::format("CIFAR: '{}' not found in '{}' or '{}'", probe, root.string(),
                            (root / subdir).string()));
}

}  // namespace

std::vector<std::string> read_class_names(const fs::path& path, int64_t expected) {
  std::ifstream in(path);
  if (!in) throw IOError(fmt::format("cannot open class-name file '{}'", path.string()));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (static_cast<int64_t>(names.size()) != expected) {
    throw IOError(fmt::format("'{}' lists {} class names, expected {}", path.string(),
                              names.size(), expected));
  }
  return names;
}

CifarDataset::CifarDataset(const fs::path& root, CifarOptions options) : options_(options) {
  std::vector<fs::path> files;
  fs::path names_file;
  if (options.variant == CifarVariant::cifar10) {
    num_classes_ = 10;
    fs::path dir = resolve_root(root, "cifar-10-batches-bin", options.train ? "data_batch_1.bin" : "test_batch.bin");
    if (options.train) {
      for (int i = 1; i <= 5; ++i) files.push_back(dir / fmt::format("data_batch_{}.bin", i));
    } else {
      files.push_back(dir / "test_batch.bin");
    }
    names_file = dir / "batches.meta.txt";
  } else {
    bool fine = options.labels == CifarLabels::fine;
    num_classes_ = fine ? 100 : 20;
    fs::path dir = resolve_root(root, "cifar-100-binary", options.train ? "train.bin" : "test.bin");
    files.push_back(dir / (options.train ? "train.bin" : "test.bin"));
    names_file = dir / (fine ? "fine_label_names.txt" : "coarse_label_names.txt");
  }
  for (const fs::path& f : files) load_file(f);
  std::error_code ec;
  if (fs::exists(names_file, ec)) class_names_ = read_class_names(names_file, num_classes_);
}

void CifarDataset::load_file(const fs::path& path) {
  const bool c100 = options_.variant == CifarVariant::cifar100;
  const int64_t label_bytes = c100 ? 2 : 1;
  const int64_t record = label_bytes + kPixels;
  std::vector<uint8_t> bytes = read_file(path);
  const int64_t size = static_cast<int64_t>(bytes.size());
  if (size == 0 || size % record != 0) {
    throw IOError(fmt::format(
        "CIFAR file '{}' has {} bytes, not a whole number of {}-byte records (record {} at offset "
        "{} is incomplete: truncated or not a CIFAR-{} file)",
        path.string(), size, record, size / record, size / record * record, c100 ? 100 : 10));
  }
  const int64_t n = size / record;
  // CIFAR-100 records hold <coarse><fine>; pick the byte of the requested labelling.
  const int64_t label_at = c100 && options_.labels == CifarLabels::fine ? 1 : 0;
  const int64_t first = this->size();
  files_.push_back(path);
  file_start_.push_back(first);
  labels_.resize(static_cast<size_t>(first + n));
  images_.resize(static_cast<size_t>((first + n) * kPixels));
  constexpr int64_t kPlane = kSide * kSide;
  for (int64_t r = 0; r < n; ++r) {
    const uint8_t* rec = bytes.data() + r * record;
    for (int64_t b = 0; b < label_bytes; ++b) {
      // Both CIFAR-100 label bytes are validated, whichever one is used.
      int64_t limit = c100 ? (b == 0 ? 20 : 100) : 10;
      if (rec[b] >= limit) {
        throw IOError(fmt::format("CIFAR file '{}' record {} (offset {}): {} label {} is out of "
                                  "range [0, {})",
                                  path.string(), r, r * record + b,
                                  c100 ? (b == 0 ? "coarse" : "fine") : "class", int{rec[b]}, limit));
      }
    }
    labels_[static_cast<size_t>(first + r)] = rec[label_at];
    // Planar CHW -> interleaved HWC.
    const uint8_t* src = rec + label_bytes;
    uint8_t* dst = images_.data() + (first + r) * kPixels;
    for (int64_t p = 0; p < kPlane; ++p) {
      dst[3 * p + 0] = src[p];
      dst[3 * p + 1] = src[kPlane + p];
      dst[3 * p + 2] = src[2 * kPlane + p];
    }
  }
}

Example CifarDataset::get(int64_t index) const {
  check_index(index);
  Example ex;
  ex.image = Image(kSide, kSide, kChannels);
  std::copy(pixels(index), pixels(index) + kPixels, ex.image.pixels.begin());
  ex.label = label(index);
  return ex;
}

std::string CifarDataset::describe(int64_t index) const {
  check_index(index);
  size_t f = files_.size() - 1;
  while (file_start_[f] > index) --f;
  int64_t r = index - file_start_[f];
  int64_t record = (options_.variant == CifarVariant::cifar100 ? 2 : 1) + kPixels;
  return fmt::format("'{}' record {} (offset {})", files_[f].string(), r, r * record);
}

std::string CifarDataset::name() const {
  std::string base = options_.variant == CifarVariant::cifar10 ? "cifar10" : "cifar100";
  if (options_.variant == CifarVariant::cifar100 && options_.labels == CifarLabels::coarse) base += "-coarse";
  return base + (options_.train ? "/train" : "/test");
}

}  // namespace cohort::data
