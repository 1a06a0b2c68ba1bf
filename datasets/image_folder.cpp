#include "datasets/image_folder.h"

#include <algorithm>

#include "core/error.h"

namespace cohort::data {

namespace fs = std::filesystem;

ImageFolderDataset::ImageFolderDataset(const fs::path& root, int channels)
    : ImageFileDataset(channels), root_(root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    throw IOError(fmt::format("image folder dataset: '{}' is not a directory", root.string()));
  }
  std::vector<fs::path> class_dirs;
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    if (e.is_directory()) class_dirs.push_back(e.path());
  }
  std::sort(class_dirs.begin(), class_dirs.end());
  if (class_dirs.empty()) {
    throw IOError(fmt::format("image folder dataset: '{}' has no class subfolders", root.string()));
  }
  for (const fs::path& dir : class_dirs) {
    const int64_t label = static_cast<int64_t>(class_names_.size());
    std::vector<fs::path> files = list_images(dir);
    if (files.empty()) {
      throw IOError(fmt::format("image folder dataset: class folder '{}' holds no .jpg/.jpeg/.png "
                                "files", dir.string()));
    }
    for (fs::path& f : files) entries_.push_back(Entry{std::move(f), label, {}, {}});
    class_names_.push_back(dir.filename().string());
  }
}

}  // namespace cohort::data
