// The `cohort` CLI's subcommands. Each registers its options on a CLI11 subcommand and returns a
// function that runs it (exit code: 0 ok, 1 error, 3 training stopped on a non-finite loss).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "core/device.h"

namespace cohort::cli {

using Command = std::function<int()>;

Command add_train(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_export(CLI::App& app);
Command add_models(CLI::App& app);
Command add_info(CLI::App& app);
Command add_plot(CLI::App& app);

}  // namespace cohort::cli
