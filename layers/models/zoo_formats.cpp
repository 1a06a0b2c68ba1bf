#include "layers/models/zoo_formats.h"

#include <regex>
#include <set>

#include "core/safetensors.h"

namespace cohort::nn {

namespace {

bool is_cifar_resnet(const std::string& model) { return std::regex_match(model, std::regex(R"(resnet\d+)")) &&
                                                        model != "resnet18" && model != "resnet34"; }
bool is_wrn(const std::string& model) { return model.rfind("wrn-", 0) == 0; }

// Applies (pattern, replacement) pairs in order, each to the result of the previous one.
KeyRenamer regex_renamer(std::vector<std::pair<std::string, std::string>> rules) {
  std::vector<std::pair<std::regex, std::string>> compiled;
  for (auto& [pattern, replacement] : rules) compiled.emplace_back(std::regex(pattern), replacement);
  return [compiled](const std::string& key) {
    std::string out = key;
    for (const auto& [pattern, replacement] : compiled) out = std::regex_replace(out, pattern, replacement);
    return out;
  };
}

std::string mobilenet_flat_name(const std::string& key) {
  static const std::regex flat(R"(^layers\.(\d+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$)");
  static const std::regex head(R"(^(fc|classifier)\.)");
  std::smatch m;
  if (!std::regex_match(key, m, flat)) return std::regex_replace(key, head, "linear.");
  const int64_t i = std::stoll(m[1].str());
  const std::string leaf = m[2].str();
  if (i == 0) return "conv1." + leaf;
  if (i == 1) return "bn1." + leaf;
  if (i < 3) return key;  // ReLU: no tensors
  const int64_t block = (i - 3) / 6, part = (i - 3) % 6;
  static const char* names[6] = {"conv1", "bn1", nullptr, "conv2", "bn2", nullptr};
  return names[part] ? fmt::format("layers.{}.{}.{}", block, names[part], leaf) : key;
}

std::set<std::string> keys_without_counters(const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (const std::string& n : names)
    if (n.size() < 19 || n.compare(n.size() - 19, 19, "num_batches_tracked") != 0) out.insert(n);
  return out;
}

}  // namespace

const std::vector<ZooFormat>& zoo_formats() {
  static const std::vector<ZooFormat> formats = {
      {"cohort", "cohort's names", [](const std::string&) { return true; }, false,
       [](const std::string& key) { return key; }},
      {"repdistiller", "fc.* -> linear.*, *.downsample.0|1.* -> *.shortcut.0|1.* (option-B shortcuts)",
       is_cifar_resnet, true, regex_renamer({{R"(^fc\.)", "linear."}, {R"(\.downsample\.)", ".shortcut."}})},
      {"wrn-flat", "blockN.M.* -> blockN.layer.M.*, *.shortcut[.0].* -> *.convShortcut.*, linear.* -> fc.*", is_wrn,
       false,
       regex_renamer({{R"(^(block\d+)\.(\d+)\.)", "$1.layer.$2."},
                      {R"(\.shortcut\.(0\.)?)", ".convShortcut."},
                      {R"(^linear\.)", "fc."}})},
      {"mobilenet-flat",
       "layers.0|1 -> conv1|bn1, layers.{3,4,6,7}+6b -> layers.b.{conv1,bn1,conv2,bn2}, fc|classifier -> linear",
       [](const std::string& model) { return model == "mobilenet"; }, false, mobilenet_flat_name},
  };
  return formats;
}

std::vector<std::string> zoo_format_names() {
  std::vector<std::string> names = {"auto"};
  for (const ZooFormat& f : zoo_formats()) names.push_back(f.name);
  return names;
}

PretrainedModel load_pretrained(const std::string& name, int64_t num_classes, ModelOptions options,
                                Generator& gen, const std::string& path, const std::string& format,
                                bool allow_non_finite) {
  auto build = [&](const ZooFormat& f, Generator& g) {
    ModelOptions o = options;
    o.shortcut_b = o.shortcut_b || f.shortcut_b;
    return make_model(name, num_classes, o, g);
  };
  // Only the model that is kept draws from `gen` (e.g. its dropout seeds), as make_model would.
  auto load_as = [&](const ZooFormat& f) {
    PretrainedModel out{build(f, gen), f.name, {}};
    out.report = load_weights(*out.model, path, /*strict=*/true, f.rename, allow_non_finite);
    return out;
  };
  if (format != "auto") {
    for (const ZooFormat& f : zoo_formats()) {
      if (f.name != format) continue;
      if (!f.applies(name))
        throw ValueError(fmt::format("weights format '{}' does not apply to model '{}'", format, name));
      return load_as(f);
    }
    throw ValueError(fmt::format("unknown weights format '{}'; known: {}", format, fmt::join(zoo_format_names(), ", ")));
  }
  std::vector<std::string> stored, tried;
  for (const auto& [key, t] : safetensors::load(path).tensors) stored.push_back(key);
  for (const ZooFormat& f : zoo_formats()) {
    if (!f.applies(name)) continue;
    tried.push_back(f.name);
    std::vector<std::string> own, renamed;
    Generator probe = gen;
    for (const auto& [key, t] : build(f, probe)->state_dict()) own.push_back(key);
    for (const std::string& key : stored) renamed.push_back(f.rename(key));
    if (keys_without_counters(own) != keys_without_counters(renamed)) continue;
    PretrainedModel out = load_as(f);
    if (f.name != "cohort")
      out.report.notes.insert(out.report.notes.begin(),
                              fmt::format("'{}': weights format '{}' detected: {}", path, f.name, f.mapping));
    return out;
  }
  // No preset fits: load with cohort's names, whose error lists the missing and unexpected keys.
  try {
    return load_as(zoo_formats().front());
  } catch (const ValueError& e) {
    throw ValueError(fmt::format("{} (no weights format fits model '{}' either; tried {})", e.what(), name,
                                 fmt::join(tried, ", ")));
  }
}

}  // namespace cohort::nn
