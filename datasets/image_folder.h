// Class-per-subfolder image datasets (torchvision's ImageFolder; CUB-200's images/ folder):
//
//   root/<class name>/<image>.jpg|.jpeg|.png
//
// Classes are the subfolders of `root` in sorted order (label = position); every class folder
// must hold at least one image (an empty one is an error, not a class with no examples). Images
// may differ in size: a Resize transform makes them batchable.
#pragma once

#include <filesystem>

#include "datasets/image_files.h"

namespace cohort::data {

class ImageFolderDataset : public ImageFileDataset {
 public:
  // `channels`: 3 decodes to RGB, 1 to grey.
  explicit ImageFolderDataset(const std::filesystem::path& root, int channels = 3);

  int64_t num_classes() const override { return static_cast<int64_t>(class_names_.size()); }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string name() const override { return "imagefolder:" + root_.string(); }

 private:
  std::filesystem::path root_;
  std::vector<std::string> class_names_;
};

}  // namespace cohort::data
