#include "examples/cli/run_files.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "distill/config_yaml.h"

namespace cohort::cli {

namespace fs = std::filesystem;

distill::RunConfig read_run_config(const std::string& dir) {
  const std::string path = dir + "/config.yaml";
  if (!fs::exists(path))
    throw IOError(fmt::format("'{}' is not a run directory: it has no config.yaml", dir));
  return distill::load_config(path, {});
}

std::string run_dataset(const std::string& dir, const distill::RunConfig& cfg) {
  std::ifstream in(dir + "/run.json");
  if (!in) return cfg.data.dataset;
  try {
    nlohmann::json run = nlohmann::json::parse(in);
    if (run.contains("dataset") && run["dataset"].is_string()) return run["dataset"].get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw IOError(fmt::format("'{}/run.json' is not valid JSON: {}", dir, e.what()));
  }
  return cfg.data.dataset;
}

std::vector<std::pair<std::string, safetensors::TensorMap>> checkpoint_parts(const std::string& path) {
  safetensors::Contents contents = safetensors::load(path);
  auto meta = contents.metadata.find("cohort.checkpoint");
  if (meta == contents.metadata.end())
    throw IOError(fmt::format("'{}' is not a cohort training checkpoint (no cohort.checkpoint metadata)", path));
  std::vector<std::string> names;
  try {
    names = nlohmann::json::parse(meta->second).at("extra").at("parts").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw IOError(fmt::format("'{}': the checkpoint metadata names no parts: {}", path, e.what()));
  }
  std::vector<std::pair<std::string, safetensors::TensorMap>> parts;
  for (size_t k = 0; k < names.size(); ++k) {
    // optim/checkpoint.h: model k's tensors are "model.<k>.<name>".
    const std::string prefix = fmt::format("model.{}.", k);
    safetensors::TensorMap tensors;
    for (const auto& [key, t] : contents.tensors)
      if (key.rfind(prefix, 0) == 0) tensors.emplace(key.substr(prefix.size()), t);
    if (tensors.empty()) throw IOError(fmt::format("'{}': part '{}' (model.{}.*) holds no tensors", path, names[k], k));
    parts.emplace_back(names[k], std::move(tensors));
  }
  return parts;
}

NetworkWeights run_network_weights(const std::string& dir, const std::string& name) {
  const std::string final_path = dir + "/" + name + ".safetensors";
  if (fs::exists(final_path)) return {safetensors::load(final_path).tensors, final_path};
  const std::string checkpoint = dir + "/checkpoint.safetensors";
  if (!fs::exists(checkpoint))
    throw IOError(fmt::format("run '{}' has neither {}.safetensors nor checkpoint.safetensors: nothing to "
                              "evaluate for network '{}'", dir, name, name));
  for (auto& [part, tensors] : checkpoint_parts(checkpoint))
    if (part == name) return {std::move(tensors), checkpoint};
  throw IOError(fmt::format("'{}' holds no network '{}'", checkpoint, name));
}

}  // namespace cohort::cli
