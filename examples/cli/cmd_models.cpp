// cohort models [--num-classes N] [--exact]: every registered model with its parameters and FLOPs
// per 32×32 image, from the architectures' formulas (instant); --exact builds each model and
// measures them instead (seconds).
#include "examples/cli/commands.h"
#include "layers/models/registry.h"

namespace cohort::cli {

Command add_models(CLI::App& app) {
  auto classes = std::make_shared<int64_t>(100);
  auto exact = std::make_shared<bool>(false);
  app.add_option("--num-classes", *classes, "classifier width (default 100, CIFAR-100)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  app.add_flag("--exact", *exact, "build each model and measure (slower; the formulas give the same counts)");
  return [classes, exact] {
    std::printf("%-14s %14s %16s\n", "model", "parameters", "FLOPs/image");
    for (const std::string& name : nn::model_names()) {
      nn::ModelSummary s = *exact ? nn::model_summary(name, *classes) : nn::model_summary_from_formulas(name, *classes);
      std::printf("%-14s %13.2fM %15.1fM\n", name.c_str(), static_cast<double>(s.parameters) / 1e6,
                  static_cast<double>(s.flops) / 1e6);
    }
    std::printf("(%s)\n", *exact ? "measured on the built models"
                                 : "from the architectures' formulas; --exact measures the built models");
    return 0;
  };
}

}  // namespace cohort::cli
