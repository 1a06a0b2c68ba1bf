#include "datasets/subset.h"

#include "core/error.h"

namespace cohort::data {

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  COHORT_CHECK(base_ != nullptr, "SubsetDataset: null base dataset");
  for (size_t k = 0; k < indices_.size(); ++k) {
    COHORT_CHECK(indices_[k] >= 0 && indices_[k] < base_->size(),
                 "SubsetDataset of {}: index {} (position {}) out of range [0, {})", base_->name(), indices_[k], k,
                 base_->size());
  }
}

int64_t SubsetDataset::base_index(int64_t index) const {
  check_index(index);
  return indices_[static_cast<size_t>(index)];
}

Example SubsetDataset::get(int64_t index) const { return base_->get(base_index(index)); }

std::string SubsetDataset::describe(int64_t index) const { return base_->describe(base_index(index)); }

std::string SubsetDataset::name() const { return fmt::format("{}[{} of {}]", base_->name(), size(), base_->size()); }

std::shared_ptr<const Dataset> first_n(std::shared_ptr<const Dataset> ds, int64_t n) {
  COHORT_CHECK(ds != nullptr, "first_n: null dataset");
  if (n <= 0 || n >= ds->size()) return ds;
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[static_cast<size_t>(i)] = i;
  return std::make_shared<SubsetDataset>(std::move(ds), std::move(idx));
}

}  // namespace cohort::data
