// cohort::Error and the check macros every layer uses.
//
// Library code never calls exit/abort: it throws an Error whose message names the operation,
// the offending shapes/values and the source location, so a caller (or a test) can report it.
#pragma once

#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace cohort {

// Base of every exception cohort throws.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Bad arguments: shapes, dtypes, devices, options.
class ValueError : public Error {
 public:
  using Error::Error;
};

// Files: missing, truncated, corrupt.
class IOError : public Error {
 public:
  using Error::Error;
};

// A backend failure (CUDA/cuDNN/cuBLAS) or a feature absent from this build.
class BackendError : public Error {
 public:
  using Error::Error;
};

namespace detail {
[[noreturn]] void throw_error(const char* file, int line, const std::string& msg);
[[noreturn]] void throw_value_error(const char* file, int line, const std::string& msg);
}  // namespace detail

}  // namespace cohort

// COHORT_CHECK(cond, "fmt {}", args...) throws ValueError with the formatted message.
#define COHORT_CHECK(cond, ...)                                                          \
  do {                                                                                   \
    if (!(cond)) ::cohort::detail::throw_value_error(__FILE__, __LINE__,                 \
                                                     ::fmt::format(__VA_ARGS__));        \
  } while (0)

// COHORT_FAIL("fmt {}", args...) throws Error unconditionally.
#define COHORT_FAIL(...) ::cohort::detail::throw_error(__FILE__, __LINE__, ::fmt::format(__VA_ARGS__))
