// Base of the readers whose examples are individual JPEG/PNG files (image folders, Market-1501).
//
// The file list is built (and checked) when the dataset is constructed; images are read and
// decoded on demand in get(), so a worker thread does the decoding. A file that fails to decode
// throws IOError naming it. Files are ordered by path, so indices are stable across machines.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace cohort::data {

// True for the extensions the image readers pick up: .jpg, .jpeg, .png (any case).
bool is_image_file(const std::filesystem::path& path);

class ImageFileDataset : public Dataset {
 public:
  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }
  Example get(int64_t index) const override;
  std::string describe(int64_t index) const override;

  const std::filesystem::path& path(int64_t index) const;
  // Files in the scanned folders that are not images (.txt, Thumbs.db, ...): not examples, and
  // counted here so that a caller can report them.
  int64_t ignored_files() const { return ignored_files_; }

 protected:
  explicit ImageFileDataset(int channels);

  struct Entry {
    std::filesystem::path path;
    int64_t label = 0;
    std::optional<int64_t> person_id, camera_id;
  };
  // Regular files of `dir` (not recursive) that is_image_file accepts, sorted; counts the rest.
  std::vector<std::filesystem::path> list_images(const std::filesystem::path& dir);

  int channels_;
  std::vector<Entry> entries_;
  int64_t ignored_files_ = 0;
};

}  // namespace cohort::data
