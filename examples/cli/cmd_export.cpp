// cohort export RUN_DIR [--out DIR] [--overwrite]: each network's weights (and any strategy
// tensors, e.g. a FitNet regressor) out of RUN_DIR/checkpoint.safetensors as <part>.safetensors
// with PyTorch names — the weights of a run that crashed, diverged or was stopped before it wrote
// its final files.
#include <filesystem>

#include "core/safetensors.h"
#include "examples/cli/commands.h"
#include "examples/cli/run_files.h"

namespace cohort::cli {

namespace {

struct ExportArgs {
  std::string run, out;
  bool overwrite = false;
};

int run_export(const ExportArgs& a) {
  const std::string checkpoint = a.run + "/checkpoint.safetensors";
  if (!std::filesystem::exists(checkpoint))
    throw IOError(fmt::format("export: '{}' has no checkpoint.safetensors", a.run));
  const std::string out = a.out.empty() ? a.run : a.out;
  auto parts = checkpoint_parts(checkpoint);
  // Check every target first, so an export never stops half-way.
  for (const auto& [name, tensors] : parts) {
    const std::string path = out + "/" + name + ".safetensors";
    if (std::filesystem::exists(path) && !a.overwrite)
      throw ValueError(fmt::format("export: '{}' exists; pass --overwrite or choose another --out", path));
  }
  std::filesystem::create_directories(out);
  for (const auto& [name, tensors] : parts) {
    const std::string path = out + "/" + name + ".safetensors";
    safetensors::save(path, tensors, {{"format", "pt"}});
    std::printf("wrote %s (%zu tensors)\n", path.c_str(), tensors.size());
  }
  return 0;
}

}  // namespace

Command add_export(CLI::App& app) {
  auto args = std::make_shared<ExportArgs>();
  app.add_option("run", args->run, "run directory holding checkpoint.safetensors")
      ->required()->check(CLI::ExistingDirectory);
  app.add_option("--out", args->out, "directory for the <network>.safetensors files (default: the run directory)");
  app.add_flag("--overwrite", args->overwrite, "replace existing files");
  return [args] { return run_export(*args); };
}

}  // namespace cohort::cli
