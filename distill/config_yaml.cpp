#include "distill/config_yaml.h"

#include <yaml-cpp/yaml.h>

#include <map>

#include "core/error.h"
#include "distill/config_error.h"
#include "distill/config_fields.h"

namespace cohort::distill {

namespace {

// Where each key's value came from ("cfg.yaml:12" or "--set optimizer.lr=inf"), so an error about
// a key points at the line or the override that set it.
class Origins {
 public:
  void note(const std::string& key, std::string where) { where_[key] = std::move(where); }
  // The origin of `key` or of its nearest parent ("networks.1" for a defaulted networks.1.name);
  // `fallback` (the file) when none was given.
  std::string of(std::string key, const std::string& fallback) const {
    while (!key.empty()) {
      if (auto it = where_.find(key); it != where_.end()) return it->second;
      size_t dot = key.rfind('.');
      key = dot == std::string::npos ? "" : key.substr(0, dot);
    }
    return fallback;
  }

 private:
  std::map<std::string, std::string> where_;
};

// Walks the YAML tree and sets every leaf by its dotted key, strictly: a list where one value is
// expected, a key given twice and an empty value are errors.
class YamlApplier {
 public:
  YamlApplier(RunConfig& cfg, const std::string& path, Origins& origins)
      : cfg_(cfg), path_(path), origins_(origins) {}

  void apply(const YAML::Node& node, const std::string& key) {
    if (!key.empty()) origins_.note(key, fmt::format("{}:{}", path_, node.Mark().line + 1));
    switch (node.Type()) {
      case YAML::NodeType::Map: {
        std::map<std::string, int> seen;  // key -> line, to catch a key given twice
        for (const auto& kv : node) {
          const std::string name = kv.first.as<std::string>();
          const std::string child = key.empty() ? name : key + "." + name;
          const int line = kv.first.Mark().line + 1;
          if (auto [it, fresh] = seen.emplace(name, line); !fresh) {
            origins_.note(child, fmt::format("{}:{}", path_, line));
            config_fail(child, "'{}' is given twice (first on line {}); keep one", child, it->second);
          }
          apply(kv.second, child);
        }
        return;
      }
      case YAML::NodeType::Sequence:
        if (key == "networks") return apply_networks(node);
        return apply_list(node, key);
      case YAML::NodeType::Scalar:
        set_config_value(cfg_, key, node.as<std::string>());
        return;
      case YAML::NodeType::Null:
        config_fail(key, "'{}' has no value", key.empty() ? "<document>" : key);
      default:
        config_fail(key, "'{}' has an unsupported YAML node", key);
    }
  }

 private:
  void apply_networks(const YAML::Node& node) {
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string key = fmt::format("networks.{}", i);
      origins_.note(key, fmt::format("{}:{}", path_, node[i].Mark().line + 1));
      // `- resnet32` is short for `- {model: resnet32}`.
      if (node[i].IsScalar()) set_config_value(cfg_, key + ".model", node[i].as<std::string>());
      else if (node[i].IsMap()) apply(node[i], key);
      else config_fail(key, "'{}' must be a model name or a mapping (model, name, weights)", key);
    }
  }

  void apply_list(const YAML::Node& node, const std::string& key) {
    std::vector<std::string> items;
    for (const auto& item : node) {
      if (!item.IsScalar()) config_fail(key, "'{}' must be a list of scalars", key);
      items.push_back(item.as<std::string>());
    }
    set_config_list(cfg_, key, items);
  }

  RunConfig& cfg_;
  const std::string& path_;
  Origins& origins_;
};

void apply_overrides(RunConfig& cfg, const std::vector<std::string>& overrides, Origins& origins) {
  for (const std::string& o : overrides) {
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0)
      throw ValueError(fmt::format("--set '{}': expected key=value, e.g. --set optimizer.lr=0.05", o));
    const std::string key = o.substr(0, eq);
    origins.note(key, "--set " + o);
    // YAML list syntax works on the command line too: --set schedule.milestones=[60,120]
    set_config_value(cfg, key, o.substr(eq + 1));
  }
}

}  // namespace

void finish_config(RunConfig& cfg) {
  for (size_t i = 0; i < cfg.networks.size(); ++i)
    if (cfg.networks[i].name.empty()) cfg.networks[i].name = fmt::format("{}_{}", cfg.networks[i].model, i);
  cfg.validate();
}

void apply_overrides(RunConfig& cfg, const std::vector<std::string>& overrides) {
  Origins origins;
  try {
    apply_overrides(cfg, overrides, origins);
  } catch (const ConfigError& e) {
    throw ValueError(fmt::format("{}: {}", origins.of(e.key(), "--set"), e.what()));
  }
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  RunConfig cfg;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw IOError(fmt::format("config file '{}' cannot be read", path));
  } catch (const YAML::Exception& e) {
    throw ValueError(fmt::format("config file '{}': YAML error at line {}, column {}: {}", path,
                                 e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  Origins origins;
  try {
    if (!root.IsNull()) {
      if (!root.IsMap()) throw ValueError(fmt::format("{}: the document must be a mapping of keys", path));
      YamlApplier(cfg, path, origins).apply(root, "");
    }
    apply_overrides(cfg, overrides, origins);
    finish_config(cfg);
  } catch (const ConfigError& e) {
    throw ValueError(fmt::format("{}: {}", origins.of(e.key(), path), e.what()));
  }
  return cfg;
}

std::string dump_config(RunConfig cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  // Emit the flat table as nested maps; keys come grouped by section in table order.
  std::vector<ConfigField> fields = config_fields(cfg);
  std::string open_section;
  int open_network = -1;
  auto close_network = [&] {
    if (open_network >= 0) out << YAML::EndMap;
    open_network = -1;
  };
  auto close_section = [&] {
    if (open_section == "networks") {
      close_network();
      out << YAML::EndSeq;
    } else if (!open_section.empty()) {
      out << YAML::EndMap;
    }
    open_section.clear();
  };
  for (const auto& f : fields) {
    size_t dot = f.key.find('.');
    if (dot == std::string::npos) {
      close_section();
      out << YAML::Key << f.key << YAML::Value << f.get();
      continue;
    }
    std::string section = f.key.substr(0, dot);
    std::string rest = f.key.substr(dot + 1);
    if (section != open_section) {
      close_section();
      out << YAML::Key << section << YAML::Value;
      if (section == "networks") out << YAML::BeginSeq;
      else out << YAML::BeginMap;
      open_section = section;
    }
    if (section == "networks") {
      size_t dot2 = rest.find('.');
      int index = std::stoi(rest.substr(0, dot2));
      if (index != open_network) {
        close_network();
        out << YAML::BeginMap;
        open_network = index;
      }
      out << YAML::Key << rest.substr(dot2 + 1) << YAML::Value << f.get();
    } else {
      out << YAML::Key << rest << YAML::Value << f.get();
    }
  }
  close_section();
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace cohort::distill
