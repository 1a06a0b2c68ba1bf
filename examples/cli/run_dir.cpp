#include "examples/cli/run_dir.h"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "core/error.h"
#include "distill/config_fields.h"

namespace cohort::cli {

namespace fs = std::filesystem;

bool holds_run(const std::string& dir) {
  for (const char* f : {"config.yaml", "metrics.jsonl", "checkpoint.safetensors"})
    if (fs::exists(dir + "/" + f)) return true;
  return false;
}

bool has_checkpoint(const std::string& dir) { return fs::exists(dir + "/checkpoint.safetensors"); }

std::string claim_fresh_run_dir(const std::string& name) {
  fs::create_directories("runs");
  for (int i = 1;; ++i) {
    const std::string dir = i == 1 ? "runs/" + name : fmt::format("runs/{}-{}", name, i);
    std::error_code ec;
    if (fs::create_directory(dir, ec)) return dir;  // created by us: ours alone
    if (ec) throw IOError(fmt::format("cannot create run directory '{}': {}", dir, ec.message()));
  }
}

void clear_run_dir(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) fs::remove_all(entry.path());
}

int remove_stale_temp_files(const std::string& dir) {
  if (!fs::is_directory(dir)) return 0;
  static const std::regex temp_name(R"(.+\.tmp\.(\d+))");
  int removed = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || !std::regex_match(file, m, temp_name)) continue;
    const long pid = std::stol(m[1].str());
    // kill(pid, 0) probes without signalling: ESRCH means no such process.
    const bool running = pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
    if (running) continue;
    fs::remove(entry.path());
    ++removed;
  }
  return removed;
}

nlohmann::json append_start(const std::string& dir, const nlohmann::json& start) {
  nlohmann::json run = nlohmann::json::object();
  std::ifstream in(dir + "/run.json");
  if (in) {
    try {
      run = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      throw IOError(fmt::format("'{}/run.json' is not valid JSON ({}); move it away to continue", dir, e.what()));
    }
  }
  if (!run.is_object() || run.empty()) run = start;
  if (!run.contains("starts")) run["starts"] = nlohmann::json::array();
  run["starts"].push_back(start);
  return run;
}

void check_resume_changes(distill::RunConfig saved, distill::RunConfig requested, const std::string& dir) {
  auto flat = [](distill::RunConfig& cfg) {
    std::map<std::string, std::string> out;
    for (const auto& f : distill::config_fields(cfg)) out[f.key] = f.get();
    return out;
  };
  auto resumable = [](const std::string& key) {
    // distributed.*: how the run is spread over ranks does not change its results (docs/distributed.md).
    return key == "train.epochs" || key == "train.iterations" || key == "device" || key.rfind("schedule.", 0) == 0 ||
           key.rfind("distributed.", 0) == 0;
  };
  const auto before = flat(saved), after = flat(requested);
  std::map<std::string, std::string> keys = before;
  keys.insert(after.begin(), after.end());
  for (const auto& [key, unused] : keys) {
    auto a = before.find(key), b = after.find(key);
    const std::string was = a == before.end() ? "(absent)" : a->second;
    const std::string now = b == after.end() ? "(absent)" : b->second;
    if (was == now || resumable(key)) continue;
    throw ValueError(fmt::format(
        "--resume {}: '{}' is {} in the run's config.yaml but {} was asked for; a resumed run may change "
        "only its length (train.epochs, train.iterations), its schedule (schedule.*), its device and its "
        "distribution (distributed.*). "
        "Start a new run to change '{}'", dir, key, was, now, key));
  }
}

}  // namespace cohort::cli
