// `cohort train --dry-run`: what a run would be, without running it.
#pragma once

#include "core/device.h"
#include "distill/run_config.h"

namespace cohort::cli {

// Prints the resolved config (as config.yaml would hold it), the data the run would read and
// each network's model and parameter count; touches no run directory. Returns the exit code.
int print_dry_run(const distill::RunConfig& cfg, Device device);

}  // namespace cohort::cli
