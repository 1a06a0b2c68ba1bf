#include "distill/config_fields.h"

#include <algorithm>
#include <map>
#include <memory>

#include "distill/config_error.h"
#include "distill/config_parse.h"
#include "distill/strategy_registry.h"

namespace cohort::distill {

namespace {

struct Table {
  std::vector<ConfigField> fields;
  void add(const std::string& key, int64_t& f) {
    fields.push_back({key, "int", [&f, key](const std::string& v) { f = parse_int(key, v); },
                      [&f] { return std::to_string(f); }});
  }
  void add(const std::string& key, uint64_t& f) {
    fields.push_back({key, "int",
                      [&f, key](const std::string& v) {
                        int64_t x = parse_int(key, v);
                        if (x < 0) config_fail(key, "'{}' must be >= 0, got {}", key, x);
                        f = static_cast<uint64_t>(x);
                      },
                      [&f] { return std::to_string(f); }});
  }
  void add(const std::string& key, double& f) {
    fields.push_back({key, "float", [&f, key](const std::string& v) { f = parse_float(key, v); },
                      [&f] { return format_float(f); }});
  }
  void add(const std::string& key, bool& f) {
    fields.push_back({key, "bool", [&f, key](const std::string& v) { f = parse_bool(key, v); },
                      [&f] { return f ? std::string("true") : std::string("false"); }});
  }
  void add(const std::string& key, std::string& f) {
    fields.push_back({key, "string", [&f](const std::string& v) { f = v; }, [&f] { return f; }});
  }
  // false | true | per_network (the two booleans keep the key's first meaning).
  void add(const std::string& key, DataParallel& f) {
    fields.push_back({key, "false|true|per_network",
                      [&f, key](const std::string& v) {
                        if (v == "per_network") {
                          f = DataParallel::per_network;
                          return;
                        }
                        if (v != "true" && v != "false" && v != "True" && v != "False" && v != "yes" && v != "no" &&
                            v != "on" && v != "off")
                          config_fail(key, "'{}' must be one of false|true|per_network, got '{}'", key, v);
                        f = parse_bool(key, v) ? DataParallel::all : DataParallel::off;
                      },
                      [&f] {
                        return std::string(f == DataParallel::off   ? "false"
                                           : f == DataParallel::all ? "true"
                                                                    : "per_network");
                      }});
  }
  void add(const std::string& key, std::vector<int64_t>& f) {
    fields.push_back({key, "int-list", [&f, key](const std::string& v) { f = parse_int_list(key, v); },
                      [&f] { return fmt::format("[{}]", fmt::join(f, ", ")); }});
  }
};

// strategy.*: the keys every registered strategy's options bind, in registration order. Setting a
// key sets it in each strategy binding it; reading it reads the configured strategy's value (the
// first binder's when that strategy has no such key).
void add_strategy_fields(RunConfig& c, std::vector<ConfigField>& fields) {
  struct Binding {
    std::string strategy;
    BoundOption option;
  };
  std::vector<std::pair<std::string, std::vector<Binding>>> keys;
  for (const StrategyEntry& e : registered_strategies()) {
    OptionBinder binder;
    c.strategy.options_of(e.name).bind(binder);
    for (BoundOption& o : binder.options()) {
      auto it = std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.first == o.key; });
      if (it == keys.end()) it = keys.insert(keys.end(), {o.key, {}});
      it->second.push_back({e.name, std::move(o)});
    }
  }
  for (auto& [key, bindings] : keys) {
    const std::string type = bindings.front().option.type;
    auto shared = std::make_shared<std::vector<Binding>>(std::move(bindings));
    fields.push_back({key, type,
                      [shared](const std::string& v) {
                        for (Binding& b : *shared) b.option.set(v);
                      },
                      [shared, &c] {
                        for (Binding& b : *shared)
                          if (b.strategy == c.strategy.name) return b.option.get();
                        return shared->front().option.get();
                      }});
  }
}

}  // namespace

std::vector<ConfigField> config_fields(RunConfig& c) {
  Table t;
  t.add("name", c.name);
  t.add("seed", c.seed);
  t.add("device", c.device);

  DataConfig& d = c.data;
  t.add("data.dataset", d.dataset);
  t.add("data.root", d.root);
  t.add("data.fallback_to_synthetic", d.fallback_to_synthetic);
  t.add("data.batch_size", d.batch_size);
  t.add("data.eval_batch_size", d.eval_batch_size);
  t.add("data.workers", d.workers);
  t.add("data.augment", d.augment);
  t.add("data.crop_padding", d.crop_padding);
  t.add("data.pad_mode", d.pad_mode);
  t.add("data.flip", d.flip);
  t.add("data.labelled_fraction", d.labelled_fraction);
  t.add("data.train_limit", d.train_limit);
  t.add("data.test_limit", d.test_limit);
  t.add("data.synthetic_classes", d.synthetic_classes);
  t.add("data.synthetic_train", d.synthetic_train);
  t.add("data.synthetic_test", d.synthetic_test);

  for (size_t i = 0; i < c.networks.size(); ++i) {
    NetworkConfig& n = c.networks[i];
    std::string p = fmt::format("networks.{}.", i);
    t.add(p + "model", n.model);
    t.add(p + "name", n.name);
    t.add(p + "weights", n.weights);
  }

  OptimizerConfig& o = c.optimizer;
  t.add("optimizer.name", o.name);
  t.add("optimizer.lr", o.lr);
  t.add("optimizer.momentum", o.momentum);
  t.add("optimizer.dampening", o.dampening);
  t.add("optimizer.nesterov", o.nesterov);
  t.add("optimizer.weight_decay", o.weight_decay);
  t.add("optimizer.decay_bn_and_bias", o.decay_bn_and_bias);
  t.add("optimizer.beta1", o.beta1);
  t.add("optimizer.beta2", o.beta2);
  t.add("optimizer.eps", o.eps);
  t.add("optimizer.amsgrad", o.amsgrad);

  ScheduleConfig& s = c.schedule;
  t.add("schedule.name", s.name);
  t.add("schedule.unit", s.unit);
  t.add("schedule.step_size", s.step_size);
  t.add("schedule.milestones", s.milestones);
  t.add("schedule.gamma", s.gamma);
  t.add("schedule.eta_min", s.eta_min);
  t.add("schedule.t_max", s.t_max);
  t.add("schedule.warmup", s.warmup);

  t.add("strategy.name", c.strategy.name);
  add_strategy_fields(c, t.fields);

  TrainConfig& r = c.train;
  t.add("train.epochs", r.epochs);
  t.add("train.iterations", r.iterations);
  t.add("train.log_every", r.log_every);
  t.add("train.eval_every", r.eval_every);
  t.add("train.checkpoint_every", r.checkpoint_every);
  t.add("train.baseline", r.baseline);

  DistributedConfig& x = c.distributed;
  t.add("distributed.backend", x.backend);
  t.add("distributed.placement", x.placement);
  t.add("distributed.timeout_s", x.timeout_s);
  t.add("distributed.data_parallel", x.data_parallel);
  t.add("distributed.bucket_mb", x.bucket_mb);
  return t.fields;
}

namespace {

// The field of `key`; `networks.N.*` with N == the number of networks adds one (a config or
// --set extends the list one network at a time, so a typo in N cannot add several).
ConfigField find_field(RunConfig& cfg, const std::string& key) {
  if (key.rfind("networks.", 0) == 0) {
    size_t dot = key.find('.', 9);
    if (dot == std::string::npos) config_fail(key, "'{}' should look like networks.<index>.<field>", key);
    int64_t index = parse_int(key, key.substr(9, dot - 9));
    const auto count = static_cast<int64_t>(cfg.networks.size());
    if (index < 0 || index > count)
      config_fail(key, "'{}': network index {} is out of range: the config has {} network(s), so "
                  "networks.{}.* may add the next one", key, index, count, count);
    if (index == count) cfg.networks.emplace_back();
  }
  for (ConfigField& f : config_fields(cfg))
    if (f.key == key) return f;
  // Suggest keys sharing the section, so a typo is easy to fix.
  std::string section = key.substr(0, key.find('.'));
  std::vector<std::string> known;
  for (ConfigField& f : config_fields(cfg))
    if (f.key.rfind(section + ".", 0) == 0) known.push_back(f.key);
  if (known.empty())
    config_fail(key, "unknown key '{}' (sections: name, seed, device, data, networks, optimizer, "
                "schedule, strategy, train, distributed)", key);
  config_fail(key, "unknown key '{}'; known keys in '{}': {}", key, section, fmt::join(known, ", "));
}

}  // namespace

void set_config_value(RunConfig& cfg, const std::string& key, const std::string& value) {
  find_field(cfg, key).set(value);
}

void set_config_list(RunConfig& cfg, const std::string& key, const std::vector<std::string>& items) {
  ConfigField field = find_field(cfg, key);
  if (field.type != "int-list")
    config_fail(key, "'{}' expects a single {} value, got a list of {}", key, field.type, items.size());
  field.set(fmt::format("{}", fmt::join(items, ",")));
}

}  // namespace cohort::distill
