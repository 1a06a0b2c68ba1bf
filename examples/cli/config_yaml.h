// YAML configs -> distill::RunConfig, through the key table of distill/config_fields.h.
#pragma once

#include <string>
#include <vector>

#include "distill/run_config.h"

namespace cohort::cli {

// Loads `path`, applies `overrides` ("key=value", later wins), validates. Errors name the key
// and where its value came from: "cfg.yaml:12: ..." or "--set optimizer.lr=inf: ...". YAML is read
// strictly: a list for a single value, a key given twice or an empty value is an error.
distill::RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides);
// Applies overrides to an already loaded config (no file).
void apply_overrides(distill::RunConfig& cfg, const std::vector<std::string>& overrides);
// The fully resolved config as YAML (written into each run directory).
std::string dump_config(distill::RunConfig cfg);

}  // namespace cohort::cli
