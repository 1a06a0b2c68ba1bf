// The strategy registry (distill/strategy_registry.h) and typed strategy options
// (distill/strategy_options.h): an unknown strategy lists the registered ones, an option's bad
// value is an error naming its key and the allowed values, and a strategy registered from this
// file is configured, validated, dumped and trained through the same key table as the built-ins.
#include <catch2/catch.hpp>

#include <filesystem>

#include "core/ops/elementwise.h"
#include "core/ops/losses.h"
#include "distill/config_error.h"
#include "distill/config_fields.h"
#include "distill/data_setup.h"
#include "distill/strategy_common.h"
#include "distill/strategy_registry.h"
#include "distill/trainer.h"
#include "tests/support/tiny_run.h"

using namespace cohort;
using namespace cohort::distill;
using Catch::Matchers::Contains;

namespace {

template <typename Fn>
std::pair<std::string, std::string> config_error_of(Fn fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return {e.key(), e.what()};
  }
  FAIL("no ConfigError");
  return {};
}

std::string get(RunConfig& cfg, const std::string& key) {
  for (const ConfigField& f : config_fields(cfg))
    if (f.key == key) return f.get();
  FAIL("no key " << key);
  return {};
}

// A strategy defined here: independent training with the CE scaled by strategy.echo_scale, and a
// choice knob, to show both kinds of option reach the strategy typed.
enum class EchoMode { plain, doubled };

struct EchoOptions : OptionsOf<EchoOptions> {
  double scale = 1.0;
  EchoMode mode = EchoMode::plain;
  void bind(OptionBinder& b) override {
    b.add("echo_scale", scale, Bound::positive);
    b.choice("echo_mode", mode, {{"plain", EchoMode::plain}, {"doubled", EchoMode::doubled}});
  }
};

class EchoStrategy : public Strategy {
 public:
  EchoStrategy(const RunConfig& cfg, Roster roster)
      : Strategy(cfg, std::move(roster)), opts_(cfg.strategy.options<EchoOptions>()) {
    add_stage({.spec = main_stage(cfg_, "echo"), .step = [this](const data::Batch& b) { return echo_step(b); }});
  }

 private:
  StepLosses echo_step(const data::Batch& batch) {
    StepLosses out;
    const double factor = opts_.scale * (opts_.mode == EchoMode::doubled ? 2.0 : 1.0);
    for (Network* n : students()) {
      n->model->train();
      Tensor z = n->model->forward(batch.images);
      Tensor ce = ops::cross_entropy(z, batch.labels);
      Tensor total = ce * factor;
      minimise(*n, total);
      out.add(ce, Tensor(), total, z);
    }
    return out;
  }

  EchoOptions opts_;
};

void register_echo_once() {
  static const bool registered = [] {
    register_strategy(strategy_entry<EchoStrategy, EchoOptions>("test-echo", "CE scaled by echo_scale (a test)"));
    return true;
  }();
  (void)registered;
}

}  // namespace

TEST_CASE("an unknown strategy name is an error listing the registered strategies", "[distill][strategy-registry]") {
  RunConfig c = test::tiny_run_config("dmll");
  auto [key, msg] = config_error_of([&] { c.validate(); });
  CHECK(key == "strategy.name");
  CHECK_THAT(msg, Contains("'dmll'") && Contains("independent|dml|kd|fitnet|fsp"));
}

TEST_CASE("strategy options are parsed once, by type, with errors naming the key", "[distill][strategy-registry]") {
  RunConfig c = test::tiny_run_config("dml");
  auto [key, msg] = config_error_of([&] { set_config_value(c, "strategy.update", "parallel"); });
  CHECK(key == "strategy.update");
  CHECK_THAT(msg, Contains("sync|sequential") && Contains("'parallel'"));
  CHECK_THAT(config_error_of([&] { set_config_value(c, "strategy.fsp_pool", "median"); }).second,
             Contains("max|avg"));
  CHECK_THAT(config_error_of([&] { set_config_value(c, "strategy.temperature", "hot"); }).second,
             Contains("'strategy.temperature' expects a number"));
  CHECK_THAT(config_error_of([&] { set_config_value(c, "strategy.shuffle_fsp", "maybe"); }).second,
             Contains("true or false"));
  CHECK_THAT(config_error_of([&] { set_config_value(c, "strategy.hint_index", "1.5"); }).second,
             Contains("expects an integer"));
  // Ranges are checked by validate(), by key.
  set_config_value(c, "strategy.temperature", "0");
  auto [range_key, range_msg] = config_error_of([&] { c.validate(); });
  CHECK(range_key == "strategy.temperature");
  CHECK_THAT(range_msg, Contains("must be > 0"));
}

TEST_CASE("a key several strategies bind means the same in each of them", "[distill][strategy-registry]") {
  RunConfig c = test::tiny_run_config("dml");
  set_config_value(c, "strategy.temperature", "4");
  set_config_value(c, "strategy.stage1_length", "3");
  for (const char* name : {"dml", "kd", "fitnet"}) {
    c.strategy.name = name;
    CHECK(get(c, "strategy.temperature") == "4");
  }
  c.strategy.name = "fsp";
  CHECK(get(c, "strategy.stage1_length") == "3");
  c.strategy.name = "fitnet";
  CHECK(get(c, "strategy.stage1_length") == "3");
  // A copy of a config carries its own options.
  RunConfig copy = c;
  set_config_value(copy, "strategy.temperature", "2");
  CHECK(get(c, "strategy.temperature") == "4");
  CHECK(get(copy, "strategy.temperature") == "2");
}

TEST_CASE("registering a taken name or an incomplete entry is refused", "[distill][strategy-registry]") {
  CHECK_THROWS_WITH(register_strategy(strategy_entry<EchoStrategy, EchoOptions>("dml", "again")),
                    Contains("already registered"));
  CHECK_THROWS_WITH(register_strategy(StrategyEntry{.name = "half"}), Contains("needs a name, make_options and make"));
}

TEST_CASE("a strategy registered from a test file is configured and trained through the config", "[distill][strategy-registry]") {
  register_echo_once();
  RunConfig c = test::tiny_run_config("test-echo", 1);
  c.train.epochs = 1;
  set_config_value(c, "strategy.echo_scale", "0.5");
  set_config_value(c, "strategy.echo_mode", "doubled");
  REQUIRE_NOTHROW(c.validate());
  CHECK(get(c, "strategy.echo_scale") == "0.5");
  CHECK(get(c, "strategy.echo_mode") == "doubled");
  CHECK_THAT(config_error_of([&] { set_config_value(c, "strategy.echo_mode", "tripled"); }).second,
             Contains("plain|doubled"));
  // A misspelt key lists the strategy keys, the new ones included.
  CHECK_THAT(config_error_of([&] { set_config_value(c, "strategy.echo_scal", "1"); }).second,
             Contains("strategy.echo_scale"));

  // One step: the total is the CE times echo_scale · 2 (doubled), as the typed options say.
  RunData data = make_run_data(c, Device::cpu());
  auto strategy = make_strategy(c, data.num_classes, data.channels, Device::cpu());
  REQUIRE(strategy->name() == "test-echo");
  strategy->begin_stage(0, {&c, data.train->num_batches()});
  auto it = data.train->epoch(0);
  StepLosses l = strategy->step(*it.next());
  CHECK(l.total[0].item() == Approx(l.ce[0].item() * 1.0).epsilon(1e-6));

  // The trainer runs it end to end.
  const std::string dir = std::filesystem::temp_directory_path().string() + "/cohort-test-registry-echo";
  std::filesystem::remove_all(dir);
  Trainer t(c, {.out_dir = dir, .device = Device::cpu(), .print = [](const std::string&) {}});
  TrainResult r = t.run();
  REQUIRE(r.summary.size() == 1);
  CHECK(std::filesystem::exists(dir + "/checkpoint.safetensors"));
  std::filesystem::remove_all(dir);
}
