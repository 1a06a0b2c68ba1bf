#include "distill/strategy_registry.h"

#include <fmt/format.h>

#include "distill/config_error.h"
#include "distill/strategy_common.h"

namespace cohort::distill {

// Each built-in strategy's .cpp defines its entry.
StrategyEntry independent_strategy_entry();
StrategyEntry dml_strategy_entry();
StrategyEntry kd_strategy_entry();
StrategyEntry fitnet_strategy_entry();
StrategyEntry fsp_strategy_entry();

namespace {

// Registration order is the order of strategy keys in a resolved config.
std::vector<StrategyEntry> builtin_strategies() {
  return {independent_strategy_entry(), dml_strategy_entry(), kd_strategy_entry(), fitnet_strategy_entry(),
          fsp_strategy_entry()};
}

// A function-local static: built on first use, whatever the order of static initialisation.
std::vector<StrategyEntry>& registry() {
  static std::vector<StrategyEntry> entries = builtin_strategies();
  return entries;
}

std::string registered_names() {
  std::string names;
  for (const StrategyEntry& e : registry()) names += (names.empty() ? "" : "|") + e.name;
  return names;
}

}  // namespace

void register_strategy(StrategyEntry entry) {
  if (entry.name.empty() || !entry.make_options || !entry.make)
    throw ValueError(fmt::format("register_strategy: the entry '{}' needs a name, make_options and make",
                                 entry.name));
  for (const StrategyEntry& e : registry())
    if (e.name == entry.name)
      throw ValueError(fmt::format("register_strategy: a strategy named '{}' is already registered", entry.name));
  registry().push_back(std::move(entry));
}

const std::vector<StrategyEntry>& registered_strategies() { return registry(); }

const StrategyEntry& find_strategy(const std::string& name) {
  for (const StrategyEntry& e : registry())
    if (e.name == name) return e;
  config_fail("strategy.name", "'strategy.name' must be one of the registered strategies {}, got '{}'",
              registered_names(), name);
}

Roster build_roster(const RunConfig& cfg, const BuildContext& ctx) {
  const StrategyEntry& entry = find_strategy(cfg.strategy.name);
  Roster roster;
  roster.students = build_networks(cfg, ctx.num_classes, ctx.in_channels, ctx.device);
  if (const TeacherOptions* teacher = cfg.strategy.options_of(entry.name).teacher_options())
    roster.teacher = build_teacher(cfg, *teacher, ctx.num_classes, ctx.in_channels, ctx.device);
  return roster;
}

std::unique_ptr<Strategy> make_strategy(const RunConfig& cfg, Roster roster) {
  return find_strategy(cfg.strategy.name).make(cfg, std::move(roster));
}

std::unique_ptr<Strategy> make_strategy(const RunConfig& cfg, int64_t num_classes, int64_t in_channels,
                                        Device device) {
  return make_strategy(cfg, build_roster(cfg, BuildContext{num_classes, in_channels, device}));
}

}  // namespace cohort::distill
