// YAML configs -> RunConfig, through the key table of distill/config_fields.h: what the CLI, the
// Python package and programs load run configs with.
#pragma once

#include <string>
#include <vector>

#include "distill/run_config.h"

namespace cohort::distill {

// Loads `path`, applies `overrides` ("key=value", later wins), validates. Errors name the key
// and where its value came from: "cfg.yaml:12: ..." or "--set optimizer.lr=inf: ...". YAML is read
// strictly: a list for a single value, a key given twice or an empty value is an error.
RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides);
// Names the unnamed networks "<model>_<index>" and validates: every config, whatever its source
// (a file, overrides, Python settings), goes through this before a run.
void finish_config(RunConfig& cfg);
// Applies overrides to an already loaded config (no file).
void apply_overrides(RunConfig& cfg, const std::vector<std::string>& overrides);
// The fully resolved config as YAML (written into each run directory).
std::string dump_config(RunConfig cfg);

}  // namespace cohort::distill
