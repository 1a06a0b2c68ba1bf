// The Dataset interface every reader implements (docs/architecture.md).
//
// A dataset is a random-access list of examples: an 8-bit image in HWC layout (height, width,
// channels; RGB or grey) with an integer label, and for re-identification data a person and a
// camera id. Readers validate their files when they are built and throw cohort::IOError naming
// the file and the record/offset of anything wrong; get() never returns a silently damaged
// example.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cohort::data {

// An 8-bit image, row-major HWC: pixel (y, x) channel ch is pixels[(y * w + x) * c + ch].
struct Image {
  int64_t h = 0, w = 0, c = 0;
  std::vector<uint8_t> pixels;

  Image() = default;
  Image(int64_t height, int64_t width, int64_t channels)
      : h(height), w(width), c(channels), pixels(static_cast<size_t>(height * width * channels)) {}

  uint8_t& at(int64_t y, int64_t x, int64_t ch) { return pixels[static_cast<size_t>((y * w + x) * c + ch)]; }
  uint8_t at(int64_t y, int64_t x, int64_t ch) const {
    return pixels[static_cast<size_t>((y * w + x) * c + ch)];
  }
  int64_t numel() const { return h * w * c; }
};

struct Example {
  Image image;
  // Class index in [0, num_classes()); -1 only for re-identification images that belong to no
  // identity class (Market-1501 junk and distractors, see datasets/market1501.h).
  int64_t label = 0;
  std::optional<int64_t> person_id;  // re-identification data only (raw id from the file name)
  std::optional<int64_t> camera_id;
};

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // Example `index` in [0, size()). Thread-safe: the loader calls it from several workers.
  // Throws ValueError for an index out of range and IOError naming the file for unreadable data.
  virtual Example get(int64_t index) const = 0;
  virtual int64_t num_classes() const = 0;
  // One name per class when the format has them (CIFAR label files, folder names), else empty.
  virtual const std::vector<std::string>& class_names() const { return no_names_; }
  // Where example `index` comes from ("train.bin record 17 (offset 52258)", a file path, ...),
  // for error messages.
  virtual std::string describe(int64_t index) const = 0;
  // Short name for logs: "cifar100/train", "synthetic/test", ...
  virtual std::string name() const = 0;

 protected:
  void check_index(int64_t index) const;

 private:
  std::vector<std::string> no_names_;
};

}  // namespace cohort::data
