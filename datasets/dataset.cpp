#include "datasets/dataset.h"

#include "core/error.h"

namespace cohort::data {

void Dataset::check_index(int64_t index) const {
  COHORT_CHECK(index >= 0 && index < size(), "{}: index {} out of range [0, {})", name(), index,
               size());
}

}  // namespace cohort::data
