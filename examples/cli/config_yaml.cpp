#include "examples/cli/config_yaml.h"

#include <yaml-cpp/yaml.h>

#include "core/error.h"
#include "distill/config_fields.h"

namespace cohort::cli {

namespace {

// Walks the YAML tree and sets every scalar leaf by its dotted key.
void apply_node(distill::RunConfig& cfg, const YAML::Node& node, const std::string& key) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      for (const auto& kv : node)
        apply_node(cfg, kv.second, key.empty() ? kv.first.as<std::string>()
                                               : key + "." + kv.first.as<std::string>());
      return;
    case YAML::NodeType::Sequence: {
      if (key == "networks") {
        for (size_t i = 0; i < node.size(); ++i) {
          // `- resnet32` is short for `- {model: resnet32}`.
          if (node[i].IsScalar()) distill::set_config_value(cfg, fmt::format("networks.{}.model", i),
                                                            node[i].as<std::string>());
          else apply_node(cfg, node[i], fmt::format("networks.{}", i));
        }
        return;
      }
      std::vector<std::string> items;
      for (const auto& item : node) {
        COHORT_CHECK(item.IsScalar(), "config: '{}' must be a list of scalars", key);
        items.push_back(item.as<std::string>());
      }
      distill::set_config_value(cfg, key, fmt::format("{}", fmt::join(items, ",")));
      return;
    }
    case YAML::NodeType::Scalar:
      distill::set_config_value(cfg, key, node.as<std::string>());
      return;
    case YAML::NodeType::Null:
      COHORT_FAIL("config: '{}' has no value", key.empty() ? "<document>" : key);
    default:
      COHORT_FAIL("config: '{}' has an unsupported YAML node", key);
  }
}

}  // namespace

void apply_overrides(distill::RunConfig& cfg, const std::vector<std::string>& overrides) {
  for (const std::string& o : overrides) {
    size_t eq = o.find('=');
    COHORT_CHECK(eq != std::string::npos && eq > 0, "--set '{}': expected key=value", o);
    std::string value = o.substr(eq + 1);
    // Allow YAML list syntax on the command line: --set schedule.milestones=[60,120]
    distill::set_config_value(cfg, o.substr(0, eq), value);
  }
}

distill::RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  distill::RunConfig cfg;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw IOError(fmt::format("config file '{}' cannot be read", path));
  } catch (const YAML::Exception& e) {
    throw ValueError(fmt::format("config file '{}': YAML error at line {}, column {}: {}", path,
                                 e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  try {
    if (!root.IsNull()) {
      COHORT_CHECK(root.IsMap(), "config: the document must be a mapping of keys");
      apply_node(cfg, root, "");
    }
    apply_overrides(cfg, overrides);
    for (size_t i = 0; i < cfg.networks.size(); ++i)
      if (cfg.networks[i].name.empty())
        cfg.networks[i].name = fmt::format("{}_{}", cfg.networks[i].model, i);
    cfg.validate();
  } catch (const ValueError& e) {
    throw ValueError(fmt::format("{}: {}", path, e.what()));
  }
  return cfg;
}

std::string dump_config(distill::RunConfig cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  // Emit the flat table as nested maps; keys come grouped by section in table order.
  std::vector<distill::ConfigField> fields = distill::config_fields(cfg);
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

}  // namespace cohort::cli
