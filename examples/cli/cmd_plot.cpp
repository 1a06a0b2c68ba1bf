// cohort plot RUN_DIR... [--out FILE.png]: accuracy and loss curves per epoch from each run's
// metrics.jsonl, drawn by scripts/plot_runs.py (matplotlib from Debian's python3-matplotlib).
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "distill/run_log.h"
#include "examples/cli/commands.h"

namespace cohort::cli {

namespace {

// Every run must have a readable metrics.jsonl with at least one evaluation: a bad or truncated
// line is an error naming the file and line (read_metrics), an empty run says so — before
// anything is drawn.
void check_plottable(const std::string& run) {
  const std::string path = run + "/metrics.jsonl";
  if (!std::filesystem::exists(path))
    throw IOError(fmt::format("plot: '{}' has no metrics.jsonl (not a run directory?)", run));
  std::vector<nlohmann::json> records = distill::read_metrics(path);
  for (const nlohmann::json& r : records)
    if (r.is_object() && r.value("type", "") == "eval") return;
  throw ValueError(fmt::format("plot: run '{}' has no evaluation yet ({} has {} record(s), none of type "
                               "\"eval\"): nothing to plot", run, path, records.size()));
}

}  // namespace

Command add_plot(CLI::App& app) {
  auto runs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>("curves.png");
  app.add_option("runs", *runs, "run directories (each with metrics.jsonl)")->required()->check(CLI::ExistingDirectory);
  app.add_option("--out", *out, "PNG file to write");
  return [runs, out] {
    for (const std::string& r : *runs) check_plottable(r);
    std::string cmd = fmt::format("/usr/bin/python3 '{}/scripts/plot_runs.py' --out '{}'", COHORT_SOURCE_DIR, *out);
    for (const std::string& r : *runs) cmd += fmt::format(" '{}'", r);
    int rc = std::system(cmd.c_str());
    if (rc != 0) throw Error(fmt::format("plot: '{}' failed (exit {})", cmd, rc));
    std::printf("wrote %s\n", out->c_str());
    return 0;
  };
}

}  // namespace cohort::cli
