// The strategy registry: name -> description, options, factory. RunConfig::validate(), the key
// table (distill/config_fields.h) and make_strategy() find strategies here, so a strategy is one
// .cpp that defines its options struct, its Strategy class and its StrategyEntry, plus one line in
// builtin_strategies() (distill/strategy_registry.cpp). A program or test may register more with
// register_strategy() before it loads configs (tests/distill/test_strategy_registry.cpp does).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "distill/strategy.h"
#include "distill/strategy_options.h"

namespace cohort::distill {

// What a factory needs beyond the config: the data decides the classifier width and input
// channels; networks are built on `device`.
struct BuildContext {
  int64_t num_classes = 0;
  int64_t in_channels = 0;
  Device device = Device::cpu();
};

struct StrategyEntry {
  std::string name = {};         // strategy.name
  std::string description = {};  // one line
  std::function<std::unique_ptr<StrategyOptions>()> make_options = nullptr;
  std::function<std::unique_ptr<Strategy>(const RunConfig&, Roster)> make = nullptr;
  // Accepts data.labelled_fraction < 1 (CE on the labelled rows only).
  bool semi_supervised = false;
};

// An entry whose options are `Options` and whose strategy is built as `S(cfg, roster)`.
template <typename S, typename Options>
StrategyEntry strategy_entry(std::string name, std::string description, bool semi_supervised = false) {
  return {std::move(name), std::move(description), [] { return std::make_unique<Options>(); },
          [](const RunConfig& cfg, Roster roster) { return std::make_unique<S>(cfg, std::move(roster)); },
          semi_supervised};
}

// Adds a strategy; a ValueError when the name is taken or the entry is incomplete.
void register_strategy(StrategyEntry entry);
// Every registered strategy, built-ins first, in registration order.
const std::vector<StrategyEntry>& registered_strategies();
// The entry of `name`; a ConfigError on 'strategy.name' listing the registered ones otherwise.
const StrategyEntry& find_strategy(const std::string& name);

// The networks of `cfg` built on ctx.device (distill/strategy_common.h: build_networks), plus the
// teacher when the configured strategy's options name one (StrategyOptions::teacher_options).
Roster build_roster(const RunConfig& cfg, const BuildContext& ctx);
// Builds the strategy of `cfg.strategy.name` around `roster`.
std::unique_ptr<Strategy> make_strategy(const RunConfig& cfg, Roster roster);
// Builds the strategy of `cfg.strategy.name` with freshly built (or loaded) networks.
// `num_classes` and `in_channels` come from the dataset.
std::unique_ptr<Strategy> make_strategy(const RunConfig& cfg, int64_t num_classes, int64_t in_channels,
                                        Device device);

}  // namespace cohort::distill
