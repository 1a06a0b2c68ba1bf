// ConfigError: a bad value in a run config. It names the dotted key ("optimizer.lr") so the
// loader can say where the value came from (the file and line, or the --set override), and it
// carries no source location: it is the user's error, not the code's.
#pragma once

#include <fmt/format.h>
#include <string>
#include <utility>

#include "core/error.h"

namespace cohort::distill {

class ConfigError : public ValueError {
 public:
  ConfigError(std::string key, const std::string& message) : ValueError(message), key_(std::move(key)) {}
  // The key at fault; "" when the error concerns the config as a whole.
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

template <typename... Args>
[[noreturn]] void config_fail(const std::string& key, fmt::format_string<Args...> format, Args&&... args) {
  throw ConfigError(key, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace cohort::distill
