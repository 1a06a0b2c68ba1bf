// cohort: train, distil, evaluate and inspect networks from the command line.
//   cohort train --config examples/configs/quick.yaml
//   cohort eval --weights run/student.safetensors --model resnet32 --data cifar100
//   cohort eval --run runs/quick-dml | cohort export runs/quick-dml
//   cohort models | cohort info | cohort plot RUN_DIR... | cohort --version
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>

#include "core/error.h"
#include "examples/cli/build_commit.h"
#include "examples/cli/commands.h"

namespace {

// The library appends " (file.cpp:123)" to the errors of its checks, for developers. A CLI user
// is shown the message alone (COHORT_DEBUG=1 keeps the locations).
std::string user_message(const std::string& what) {
  const char* debug = std::getenv("COHORT_DEBUG");
  if (debug && std::string(debug) == "1") return what;
  static const std::regex location(R"( \([A-Za-z0-9_.+-]+\.(cpp|cu|h):[0-9]+\))");
  return std::regex_replace(what, location, "");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort — knowledge-distillation research framework"};
  app.set_version_flag("--version", fmt::format("cohort {} (commit {})", COHORT_VERSION, cohort::cli::build_commit()));
  app.require_subcommand(1);
  std::map<CLI::App*, cohort::cli::Command> commands;
  auto add = [&](const char* name, const char* help, cohort::cli::Command (*fn)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    commands[sub] = fn(*sub);
  };
  add("train", "train networks with a strategy from a YAML config", cohort::cli::add_train);
  add("eval", "evaluate saved weights (or a run's networks) on a dataset", cohort::cli::add_eval);
  add("export", "write each network's weights out of a run's checkpoint", cohort::cli::add_export);
  add("models", "list the models with parameters and FLOPs", cohort::cli::add_models);
  add("info", "build, devices, libraries and data found", cohort::cli::add_info);
  add("plot", "plot accuracy and loss curves of runs (PNG)", cohort::cli::add_plot);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (auto& [sub, run] : commands)
      if (sub->parsed()) return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", user_message(e.what()).c_str());
    return 1;
  }
  return 1;
}
