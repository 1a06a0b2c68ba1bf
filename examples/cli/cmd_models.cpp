// cohort models: every registered model with its parameters and FLOPs per 32×32 image.
#include "examples/cli/commands.h"
#include "layers/models/registry.h"

namespace cohort::cli {

Command add_models(CLI::App& app) {
  auto classes = std::make_shared<int64_t>(100);
  app.add_option("--num-classes", *classes, "classifier width (default 100, CIFAR-100)");
  return [classes] {
    std::printf("%-14s %14s %16s\n", "model", "parameters", "FLOPs/image");
    for (const std::string& name : nn::model_names()) {
      nn::ModelSummary s = nn::model_summary(name, *classes);
      std::printf("%-14s %13.2fM %15.1fM\n", name.c_str(), static_cast<double>(s.parameters) / 1e6,
                  static_cast<double>(s.flops) / 1e6);
    }
    return 0;
  };
}

}  // namespace cohort::cli
