#include "datasets/subset.h"

#include <algorithm>

#include "core/error.h"

namespace cohort::data {

PrefixSubset::PrefixSubset(std::shared_ptr<const Dataset> base, int64_t count)
    : base_(std::move(base)), count_(std::clamp<int64_t>(count, 0, base_->size())) {}

Example PrefixSubset::get(int64_t index) const {
  COHORT_CHECK(index >= 0 && index < count_, "{}: index {} out of range [0, {})", name(), index, count_);
  return base_->get(index);
}

std::string PrefixSubset::name() const { return fmt::format("{}[:{}]", base_->name(), count_); }

}  // namespace cohort::data
