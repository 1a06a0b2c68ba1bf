#include "distill/metrics_rewind.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "core/safetensors.h"

namespace cohort::distill {

int64_t rewind_metrics(const std::string& path, int64_t step) {
  if (!std::filesystem::exists(path)) return 0;
  std::ifstream in(path);
  if (!in) throw IOError(fmt::format("cannot open metrics file '{}'", path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string kept;
  int64_t dropped = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    nlohmann::json rec;
    try {
      rec = nlohmann::json::parse(lines[i]);
    } catch (const nlohmann::json::exception& e) {
      // Only the last line can be torn by a kill; anything else is damage worth reporting.
      if (i + 1 == lines.size()) {
        ++dropped;
        continue;
      }
      throw IOError(fmt::format("metrics file '{}', line {}: {}", path, i + 1, e.what()));
    }
    const bool keep = rec.is_object() && rec.contains("step") && rec["step"].is_number_integer() &&
                      rec["step"].get<int64_t>() <= step && rec.value("type", "") != "summary";
    if (keep) kept += lines[i] + "\n";
    else ++dropped;
  }
  if (dropped > 0) safetensors::write_file_atomically(path, kept);
  return dropped;
}

}  // namespace cohort::distill
