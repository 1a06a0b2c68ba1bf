// cohort plot RUN_DIR... [--out FILE.png]: accuracy and loss curves per epoch from each run's
// metrics.jsonl, drawn by scripts/plot_runs.py (matplotlib from Debian's python3-matplotlib).
#include <cstdlib>

#include "core/error.h"
#include "examples/cli/commands.h"

namespace cohort::cli {

Command add_plot(CLI::App& app) {
  auto runs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>("curves.png");
  app.add_option("runs", *runs, "run directories (each with metrics.jsonl)")->required()->check(CLI::ExistingDirectory);
  app.add_option("--out", *out, "PNG file to write");
  return [runs, out] {
    std::string cmd = fmt::format("/usr/bin/python3 '{}/scripts/plot_runs.py' --out '{}'", COHORT_SOURCE_DIR, *out);
    for (const std::string& r : *runs) cmd += fmt::format(" '{}'", r);
    int rc = std::system(cmd.c_str());
    if (rc != 0) throw Error(fmt::format("plot: '{}' failed (exit {})", cmd, rc));
    std::printf("wrote %s\n", out->c_str());
    return 0;
  };
}

}  // namespace cohort::cli
