// Trainer: writing and reading the training checkpoint (weights, optimisers, schedules, the
// strategy's state, the position in the run, the best accuracies so far).
#include "core/safetensors.h"
#include "distill/trainer.h"
#include "optim/checkpoint.h"

namespace cohort::distill {

namespace {

// The caller's "extra" JSON of a training checkpoint, from its header alone.
nlohmann::json checkpoint_extra(const std::string& path) {
  safetensors::Metadata meta = safetensors::load_metadata(path);
  auto it = meta.find("cohort.checkpoint");
  if (it == meta.end()) throw IOError(fmt::format("'{}' is not a cohort training checkpoint", path));
  try {
    return nlohmann::json::parse(it->second).at("extra");
  } catch (const nlohmann::json::exception& e) {
    throw IOError(fmt::format("'{}': malformed checkpoint metadata: {}", path, e.what()));
  }
}

// The checkpoint's tensors: every checkpointed part, then the trained networks' optimisers and
// schedules (the current stage decides which those are).
optim::CheckpointParts live_parts(Strategy& strategy, std::vector<std::string>* part_names) {
  optim::CheckpointParts parts;
  for (auto& [name, tensors] : strategy.checkpointed()) {
    if (part_names) part_names->push_back(name);
    parts.models.push_back(tensors);
  }
  for (Network* n : strategy.trained()) {
    parts.optimizers.push_back(n->optimizer.get());
    parts.schedulers.push_back(n->scheduler.get());
  }
  return parts;
}

}  // namespace

void Trainer::save_checkpoint(const Position& pos) {
  strategy_->synchronise();  // distributed runs, every rank: the owners' networks to the writer
  if (!writer()) return;
  std::vector<std::string> part_names;
  optim::CheckpointParts parts = live_parts(*strategy_, &part_names);
  nlohmann::json best = nlohmann::json::array();
  for (const SummaryRow& r : best_)
    best.push_back({{"network", r.network}, {"best_top1", r.best_top1}, {"best_epoch", r.best_epoch}});
  nlohmann::json extra = {{"stage", pos.stage},           {"epoch", pos.epoch},
                          {"batch", pos.batch},           {"stage_step", pos.stage_step},
                          {"loader_epoch", pos.loader_epoch}, {"global_step", pos.global_step},
                          {"parts", part_names},          {"strategy", strategy_->state()},
                          {"best", best},                 {"ensemble_best", ensemble_best_}};
  optim::save_checkpoint(checkpoint_path(), parts, extra);
}

bool Trainer::past_end(const Position& pos) const {
  const std::vector<StageSpec> stages = strategy_->stages();
  if (pos.stage + 1 < stages.size()) return false;
  if (pos.stage >= stages.size()) return true;
  const StageSpec& last = stages.back();
  if (last.iterations) return pos.stage_step >= last.length;
  return pos.epoch >= last.length;
}

// Where a checkpoint's run stands, from its "extra" JSON; a missing or mistyped field is an
// IOError naming the file.
Trainer::Position Trainer::read_position(const nlohmann::json& extra, const std::string& path) {
  Position pos;
  try {
    pos.stage = extra.at("stage").get<size_t>();
    pos.epoch = extra.at("epoch").get<int64_t>();
    pos.batch = extra.at("batch").get<int64_t>();
    pos.stage_step = extra.at("stage_step").get<int64_t>();
    pos.loader_epoch = extra.at("loader_epoch").get<int64_t>();
    pos.global_step = extra.at("global_step").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw IOError(fmt::format("'{}': malformed checkpoint position: {}", path, e.what()));
  }
  return pos;
}

bool Trainer::checkpoint_is_complete() const {
  return past_end(read_position(checkpoint_extra(checkpoint_path()), checkpoint_path()));
}

Trainer::Position Trainer::load_checkpoint() {
  // The stage decides which optimisers exist, so read it before restoring.
  const Position pos = read_position(checkpoint_extra(checkpoint_path()), checkpoint_path());
  COHORT_CHECK(pos.stage < strategy_->stages().size(), "resume: checkpoint stage {} does not exist in strategy {}",
               pos.stage, strategy_->name());
  StageContext ctx{&cfg_, data_.train->num_batches()};
  strategy_->begin_stage(pos.stage, ctx);
  optim::CheckpointParts parts = live_parts(*strategy_, nullptr);
  const nlohmann::json extra = optim::load_checkpoint(checkpoint_path(), parts);  // verifies the checksum
  strategy_->load_state(extra.at("strategy"));
  best_.clear();
  for (const auto& b : extra.at("best"))
    best_.push_back({.network = b.at("network"), .best_top1 = b.at("best_top1"), .best_epoch = b.at("best_epoch")});
  ensemble_best_ = extra.at("ensemble_best");
  return pos;
}

}  // namespace cohort::distill
