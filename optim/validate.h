// Option checks shared by the optimisers and schedules. Every message names the optimiser (or
// schedule), the option and the offending value, e.g. "SGD: invalid lr = -0.1 (must be >= 0)".
#pragma once

#include <string_view>

#include "core/error.h"

namespace cohort::optim::detail {

// NaN fails every check (comparisons with NaN are false).
inline void check_non_negative(std::string_view who, std::string_view option, double value) {
  COHORT_CHECK(value >= 0, "{}: invalid {} = {} (must be >= 0)", who, option, value);
}

inline void check_unit_interval(std::string_view who, std::string_view option, double value) {
  COHORT_CHECK(value >= 0 && value < 1, "{}: invalid {} = {} (must be in [0, 1))", who, option,
               value);
}

}  // namespace cohort::optim::detail
