#include "datasets/image_files.h"

#include <algorithm>

#include "core/error.h"
#include "datasets/file_io.h"
#include "datasets/image_codec.h"

namespace cohort::data {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

ImageFileDataset::ImageFileDataset(int channels) : channels_(channels) {
  COHORT_CHECK(channels == 1 || channels == 3, "image dataset: channels must be 1 or 3, got {}", channels);
}

std::vector<fs::path> ImageFileDataset::list_images(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IOError(fmt::format("image folder '{}' does not exist", dir.string()));
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && is_image_file(e.path())) {
      files.push_back(e.path());
    } else if (e.is_regular_file()) {
      ++ignored_files_;
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

Example ImageFileDataset::get(int64_t index) const {
  check_index(index);
  const Entry& e = entries_[static_cast<size_t>(index)];
  Example ex;
  ex.image = decode_image(read_file(e.path), channels_, e.path.string());
  ex.label = e.label;
  ex.person_id = e.person_id;
  ex.camera_id = e.camera_id;
  return ex;
}

std::string ImageFileDataset::describe(int64_t index) const {
  return fmt::format("'{}'", path(index).string());
}

const fs::path& ImageFileDataset::path(int64_t index) const {
  check_index(index);
  return entries_[static_cast<size_t>(index)].path;
}

}  // namespace cohort::data
