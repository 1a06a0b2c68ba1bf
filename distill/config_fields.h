// Every key of a RunConfig by its dotted name ("optimizer.lr", "networks.0.model"), with a
// string setter and getter: the one table behind YAML loading, --set overrides and the resolved
// config written into each run directory. Unknown keys and unparsable values are errors naming
// the key.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "distill/run_config.h"

namespace cohort::distill {

struct ConfigField {
  std::string key;
  std::string type;  // "int", "float", "bool", "string", "int-list" — for messages and docs
  std::function<void(const std::string&)> set;
  std::function<std::string()> get;
};

// The fields of `cfg`, bound to its members (networks.N.* for each existing network).
std::vector<ConfigField> config_fields(RunConfig& cfg);
// Sets one key from its scalar text; `networks.N.*` with N equal to the number of networks adds
// one. Throws ConfigError (distill/config_error.h) naming the key.
void set_config_value(RunConfig& cfg, const std::string& key, const std::string& value);
// Sets a list-valued key ("int-list") from its items; a list for a scalar key is a ConfigError.
void set_config_list(RunConfig& cfg, const std::string& key, const std::vector<std::string>& items);

}  // namespace cohort::distill
