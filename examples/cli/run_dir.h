// Run directories of `cohort train`: what holds a run, claiming a fresh one atomically, clearing
// one for --overwrite, removing the temporary files a killed atomic write left behind, the
// run.json history of starts, and what a resumed run may change in its config.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "distill/run_config.h"

namespace cohort::cli {

// DIR holds a run: a config.yaml, metrics.jsonl or checkpoint.safetensors is there.
bool holds_run(const std::string& dir);
bool has_checkpoint(const std::string& dir);

// runs/<name>, else runs/<name>-2, -3, ...: the first that mkdir creates, so two runs started
// together never share one (mkdir either creates a directory or fails; check-then-create races).
std::string claim_fresh_run_dir(const std::string& name);

// --overwrite: removes everything inside DIR, so the new run starts from an empty directory and
// nothing of the old one (a checkpoint that --resume would continue) survives beside it.
void clear_run_dir(const std::string& dir);

// Removes "<file>.tmp.<pid>" files of DIR whose process no longer runs (a kill during an atomic
// write leaves them); returns how many.
int remove_stale_temp_files(const std::string& dir);

// run.json after one more start: the existing history (a resumed run) with `start` appended to
// "starts"; the first start's fields stay at the top level.
nlohmann::json append_start(const std::string& dir, const nlohmann::json& start);

// A resumed run may change its length (train.epochs, train.iterations), its schedule
// (schedule.*) and its device, nothing else: ValueError naming the first other key that differs
// between the run's config.yaml (`saved`) and the config asked for.
void check_resume_changes(distill::RunConfig saved, distill::RunConfig requested, const std::string& dir);

}  // namespace cohort::cli
