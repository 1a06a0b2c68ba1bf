#include "core/error.h"

#include <cstring>

namespace cohort::detail {

static std::string with_location(const char* file, int line, const std::string& msg) {
  // Only the basename: full build paths make messages long and machine-specific.
  const char* slash = std::strrchr(file, '/');
  return fmt::format("{} ({}:{})", msg, slash ? slash + 1 : file, line);
}

void throw_error(const char* file, int line, const std::string& msg) {
  throw Error(with_location(file, line, msg));
}

void throw_value_error(const char* file, int line, const std::string& msg) {
  throw ValueError(with_location(file, line, msg));
}

}  // namespace cohort::detail
