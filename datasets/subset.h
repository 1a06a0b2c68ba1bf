// A view of some examples of another dataset, e.g. the first N training images for a quick run
// (the configs' train_limit / test_limit) or a held-out split.
#pragma once

#include <memory>
#include <vector>

#include "datasets/dataset.h"

namespace cohort::data {

class SubsetDataset : public Dataset {
 public:
  // Example k of the subset is example indices[k] of `base`; every index must be in range.
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index) const override;
  int64_t num_classes() const override { return base_->num_classes(); }
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  std::string describe(int64_t index) const override;
  std::string name() const override;

  const Dataset& base() const { return *base_; }
  int64_t base_index(int64_t index) const;

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

// The first min(n, size) examples of `ds`; `ds` itself when n <= 0 or n >= size.
std::shared_ptr<const Dataset> first_n(std::shared_ptr<const Dataset> ds, int64_t n);

}  // namespace cohort::data
