// One forward per network per step, in every strategy and stage: a second student forward would
// update the BatchNorm statistics twice and double the cost; a teacher forward per student would
// multiply the teacher's cost by the cohort size. The models are wrapped in a counter.
#include <catch2/catch.hpp>
#include <map>

#include "distill/config_fields.h"
#include "distill/data_setup.h"
#include "distill/strategy_registry.h"
#include "distill/strategy_common.h"
#include "tests/support/tiny_run.h"

using namespace cohort;
using namespace cohort::distill;

namespace {

// A model that counts its forwards and otherwise is the model it wraps.
class CountingModel : public nn::Model {
 public:
  explicit CountingModel(std::shared_ptr<nn::Model> inner)
      : nn::Model(inner->in_channels(), inner->input_size()), inner_(register_module("inner", inner)) {}
  nn::ModelOutput forward_features(const Tensor& x) override {
    ++forwards;
    return inner_->forward_features(x);
  }
  std::string name() const override { return inner_->name(); }
  std::vector<std::pair<size_t, size_t>> fsp_pairs() const override { return inner_->fsp_pairs(); }
  int64_t forwards = 0;

 private:
  std::shared_ptr<nn::Model> inner_;
};

RunConfig config(const std::string& strategy) {
  RunConfig c = test::tiny_run_config(strategy);
  c.data.synthetic_train = 64;
  // FSP pairs and FitNet hint taps need stage taps: the CIFAR ResNets have them.
  for (NetworkConfig& n : c.networks) n.model = "resnet8";
  set_config_value(c, "strategy.teacher_model", "resnet8");
  set_config_value(c, "strategy.teacher_epochs", "1");  // stage 0 trains the teacher: its own stage is counted too
  set_config_value(c, "strategy.stage1_length", "1");
  set_config_value(c, "strategy.stage1_lr", "0.001");
  set_config_value(c, "strategy.hint_index", "1");
  return c;
}

using Counters = std::map<std::string, std::shared_ptr<CountingModel>>;

// Wraps `n`'s model in a counter, remembered under the network's name.
void wrap(Network& n, Counters& counters) {
  auto counting = std::make_shared<CountingModel>(n.model);
  counters[n.name] = counting;
  n.model = counting;
}

// Runs one step of every stage of `cfg`'s strategy; returns, per stage name, each network's
// forwards during that step (network name -> count; the teacher too).
std::map<std::string, std::map<std::string, int64_t>> forwards_per_stage(const RunConfig& cfg) {
  RunData data = make_run_data(cfg, Device::cpu());
  Counters counters;
  Roster roster = build_roster(cfg, {data.num_classes, data.channels, Device::cpu()});
  for (Network& n : roster.students) wrap(n, counters);
  if (roster.teacher) wrap(*roster.teacher, counters);
  std::unique_ptr<Strategy> strategy = make_strategy(cfg, std::move(roster));

  std::map<std::string, std::map<std::string, int64_t>> out;
  const std::vector<StageSpec> stages = strategy->stages();
  for (size_t s = 0; s < stages.size(); ++s) {
    strategy->begin_stage(s, {&cfg, data.train->num_batches()});
    auto it = data.train->epoch(static_cast<int64_t>(s));
    data::Batch batch = *it.next();
    std::map<std::string, int64_t> before;
    for (auto& [net, model] : counters) before[net] = model->forwards;
    strategy->step(batch);
    for (auto& [net, model] : counters) out[stages[s].name][net] = model->forwards - before[net];
  }
  return out;
}

using Counts = std::map<std::string, int64_t>;

}  // namespace

TEST_CASE("every strategy runs one forward per network per step", "[strategies][forwards]") {
  SECTION("independent and dml (sync)") {
    for (const char* name : {"independent", "dml"}) {
      INFO(name);
      auto f = forwards_per_stage(config(name));
      REQUIRE(f.at("train") == Counts{{"net0", 1}, {"net1", 1}});
    }
  }
  SECTION("dml sequential: one training forward each, plus the re-prediction after an update") {
    RunConfig cfg = config("dml");
    set_config_value(cfg, "strategy.update", "sequential");
    // Network 0 is re-predicted after its step for network 1; the last network never is.
    REQUIRE(forwards_per_stage(cfg).at("train") == Counts{{"net0", 2}, {"net1", 1}});
  }
  SECTION("kd: the teacher once per batch, not once per student") {
    auto f = forwards_per_stage(config("kd"));
    REQUIRE(f.at("teacher") == Counts{{"net0", 0}, {"net1", 0}, {"teacher_resnet8", 1}});
    REQUIRE(f.at("kd") == Counts{{"net0", 1}, {"net1", 1}, {"teacher_resnet8", 1}});
  }
  SECTION("fitnet, two stages") {
    auto f = forwards_per_stage(config("fitnet"));
    REQUIRE(f.at("hint") == Counts{{"net0", 1}, {"net1", 1}, {"teacher_resnet8", 1}});
    REQUIRE(f.at("kd") == Counts{{"net0", 1}, {"net1", 1}, {"teacher_resnet8", 1}});
  }
  SECTION("fitnet, single stage CE + hint: logits and hint from the same student forward") {
    RunConfig cfg = config("fitnet");
    set_config_value(cfg, "strategy.hint_weight", "0.5");
    REQUIRE(forwards_per_stage(cfg).at("hint+ce") == Counts{{"net0", 1}, {"net1", 1}, {"teacher_resnet8", 1}});
  }
  SECTION("fsp, both stages") {
    auto f = forwards_per_stage(config("fsp"));
    REQUIRE(f.at("fsp") == Counts{{"net0", 1}, {"net1", 1}, {"teacher_resnet8", 1}});
    REQUIRE(f.at("train") == Counts{{"net0", 1}, {"net1", 1}, {"teacher_resnet8", 0}});
  }
}
