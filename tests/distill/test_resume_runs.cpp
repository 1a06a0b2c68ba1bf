// Resuming runs: a complete run resumes to "nothing to do" and changes no file; a run killed in
// the middle of an epoch has metrics.jsonl rewound to its checkpoint, so no record repeats.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "distill/metrics_rewind.h"
#include "distill/run_log.h"
#include "distill/trainer.h"
#include "tests/support/tiny_run.h"
#include "tests/support/torch_refs.h"

using namespace cohort;
using namespace cohort::distill;
using Catch::Contains;

namespace {

RunConfig tiny_dml() {
  RunConfig c = test::tiny_run_config("dml");
  c.data.synthetic_train = 128;  // 4 steps per epoch
  return c;
}

std::string fresh_dir(const std::string& name) {
  std::string d = test::temp_dir() + "/resume-runs-" + name;
  std::filesystem::remove_all(d);
  return d;
}

TrainResult run(const RunConfig& cfg, const std::string& dir, bool resume, int64_t stop_after = 0) {
  Trainer t(cfg, {.out_dir = dir, .resume = resume, .device = Device::cpu(), .print = [](const std::string&) {},
                  .stop_after_epochs = stop_after});
  return t.run();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("resuming a complete run says so and changes nothing", "[trainer][resume]") {
  const RunConfig cfg = tiny_dml();
  const std::string dir = fresh_dir("complete");
  REQUIRE_FALSE(run(cfg, dir, false).already_complete);
  const std::string metrics = read_all(dir + "/metrics.jsonl"), ckpt = read_all(dir + "/checkpoint.safetensors");
  {
    Trainer t(cfg, {.out_dir = dir, .resume = true, .device = Device::cpu(), .print = [](const std::string&) {}});
    REQUIRE(t.checkpoint_is_complete());
    TrainResult r = t.run();
    REQUIRE(r.already_complete);
    REQUIRE_THAT(r.message, Contains("already complete") && Contains("2 epochs"));
    REQUIRE(r.summary.empty());
  }
  REQUIRE(read_all(dir + "/metrics.jsonl") == metrics);
  REQUIRE(read_all(dir + "/checkpoint.safetensors") == ckpt);

  // A longer run from the same checkpoint is not complete: it continues to the new length.
  RunConfig longer = cfg;
  longer.train.epochs = 3;
  TrainResult r = run(longer, dir, true);
  REQUIRE_FALSE(r.already_complete);
  std::vector<int64_t> eval_epochs;
  int64_t summaries = 0;
  for (const auto& rec : read_metrics(dir + "/metrics.jsonl")) {
    if (rec["type"] == "eval") eval_epochs.push_back(rec["epoch"]);
    summaries += rec["type"] == "summary";
  }
  REQUIRE(eval_epochs == std::vector<int64_t>{1, 2, 3});
  REQUIRE(summaries == 1);  // the 2-epoch summary went with the rewind
}

TEST_CASE("a resumed run rewinds metrics.jsonl to its checkpoint: no record repeats", "[trainer][resume]") {
  const RunConfig cfg = tiny_dml();
  const std::string dir = fresh_dir("killed");
  REQUIRE(run(cfg, dir, false, /*stop_after=*/1).interrupted);
  // What a kill in the middle of epoch 2 leaves: its first records, then a torn line.
  int64_t last_step = 0;
  for (const auto& rec : read_metrics(dir + "/metrics.jsonl")) last_step = std::max<int64_t>(last_step, rec["step"]);
  {
    std::ofstream out(dir + "/metrics.jsonl", std::ios::app);
    out << nlohmann::json{{"type", "train"}, {"epoch", 2}, {"step", last_step + 1}}.dump() << "\n"
        << nlohmann::json{{"type", "train"}, {"epoch", 2}, {"step", last_step + 2}}.dump() << "\n"
        << "{\"type\": \"train\", \"ep";
  }
  run(cfg, dir, true);
  std::vector<int64_t> train_steps, eval_epochs;
  for (const auto& rec : read_metrics(dir + "/metrics.jsonl")) {
    if (rec["type"] == "train") train_steps.push_back(rec["step"]);
    if (rec["type"] == "eval") eval_epochs.push_back(rec["epoch"]);
  }
  REQUIRE(eval_epochs == std::vector<int64_t>{1, 2});
  REQUIRE(train_steps.size() == 8);  // 2 epochs of 4 batches, each step once
  for (size_t i = 0; i < train_steps.size(); ++i) REQUIRE(train_steps[i] == static_cast<int64_t>(i + 1));
}

TEST_CASE("rewind_metrics keeps records up to a step and drops a torn last line", "[trainer][resume]") {
  const std::string path = fresh_dir("rewind") + ".jsonl";
  {
    std::ofstream out(path);
    out << R"({"type": "train", "step": 1})" << "\n"
        << R"({"type": "eval", "step": 2, "epoch": 1})" << "\n"
        << R"({"type": "summary", "step": 2})" << "\n"
        << R"({"type": "error", "message": "no step"})" << "\n"
        << R"({"type": "train", "step": 3})" << "\n"
        << R"({"type": "tra)";
  }
  REQUIRE(rewind_metrics(path, 2) == 4);
  REQUIRE(read_all(path) == "{\"type\": \"train\", \"step\": 1}\n{\"type\": \"eval\", \"step\": 2, \"epoch\": 1}\n");
  // A damaged line that is not the last is an error naming the file and the line.
  {
    std::ofstream out(path);
    out << "{oops\n" << R"({"type": "train", "step": 1})" << "\n";
  }
  REQUIRE_THROWS_WITH(rewind_metrics(path, 2), Contains(path) && Contains("line 1"));
}
