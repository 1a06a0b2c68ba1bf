// The first `count` examples of another dataset (quick runs, limits in configs).
#pragma once

#include <memory>

#include "datasets/dataset.h"

namespace cohort::data {

class PrefixSubset : public Dataset {
 public:
  // count is clamped to base->size().
  PrefixSubset(std::shared_ptr<const Dataset> base, int64_t count);
  int64_t size() const override { return count_; }
  Example get(int64_t index) const override;
  int64_t num_classes() const override { return base_->num_classes(); }
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  std::string describe(int64_t index) const override { return base_->describe(index); }
  std::string name() const override;

 private:
  std::shared_ptr<const Dataset> base_;
  int64_t count_;
};

}  // namespace cohort::data
