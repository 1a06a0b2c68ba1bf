// cohort: train, distil, evaluate and inspect networks from the command line.
//   cohort train --config examples/configs/quick.yaml
//   cohort eval --weights run/student.safetensors --model resnet32 --data cifar100
//   cohort models | cohort info | cohort plot RUN_DIR...
#include <cstdio>
#include <map>

#include "core/error.h"
#include "examples/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"cohort — knowledge-distillation research framework"};
  app.require_subcommand(1);
  std::map<CLI::App*, cohort::cli::Command> commands;
  auto add = [&](const char* name, const char* help, cohort::cli::Command (*fn)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    commands[sub] = fn(*sub);
  };
  add("train", "train networks with a strategy from a YAML config", cohort::cli::add_train);
  add("eval", "evaluate saved weights on a dataset", cohort::cli::add_eval);
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
  } catch (const cohort::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 1;
}
