// The one tolerance rule of the test suite: |got - ref| <= atol + rtol * |ref|, element-wise.
// NaN never passes. On failure the message names the worst offender, its index and values.
#pragma once

#include <string>

#include "core/tensor.h"

namespace cohort::test {

// Empty string when every element passes; otherwise a description of the worst offender.
std::string compare(const Tensor& got, const Tensor& ref, double atol, double rtol);

}  // namespace cohort::test

// Catch2 assertion wrapper: prints the worst offender on failure.
#define REQUIRE_CLOSE(got, ref, atol, rtol)                                 \
  do {                                                                      \
    const std::string cohort_close_msg_ = ::cohort::test::compare((got), (ref), (atol), (rtol)); \
    INFO(#got " vs " #ref ": " << cohort_close_msg_);                       \
    REQUIRE(cohort_close_msg_.empty());                                     \
  } while (0)

#define CHECK_CLOSE(got, ref, atol, rtol)                                   \
  do {                                                                      \
    const std::string cohort_close_msg_ = ::cohort::test::compare((got), (ref), (atol), (rtol)); \
    INFO(#got " vs " #ref ": " << cohort_close_msg_);                       \
    CHECK(cohort_close_msg_.empty());                                       \
  } while (0)
