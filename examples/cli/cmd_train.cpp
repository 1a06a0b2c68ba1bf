// cohort train --config FILE [--set key=value ...] [--out DIR] [--device D] [--resume DIR] [--dry-run]
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "core/cuda_info.h"
#include "core/safetensors.h"
#include "distill/trainer.h"
#include "examples/cli/build_commit.h"
#include "examples/cli/commands.h"
#include "distill/config_yaml.h"
#include "distill/device.h"
#include "examples/cli/run_dir.h"
#include "examples/cli/dry_run.h"
#include "distributed/cohort_strategy.h"
#include "distributed/connect.h"
#include "examples/cli/train_ranks.h"

namespace cohort::cli {

namespace {

struct TrainArgs {
  std::string config, out, device, resume;
  std::vector<std::string> sets;
  bool overwrite = false;
  bool dry_run = false;
};

std::string now_iso() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

int run_train(const TrainArgs& a, std::shared_ptr<dist::Communicator>& comm) {
  std::string out = a.out;
  std::string config_path = a.config;
  const bool resume = !a.resume.empty();
  if (resume) {
    out = a.resume;
    // A resumed run keeps its resolved config unless another is given explicitly.
    if (config_path.empty()) config_path = a.resume + "/config.yaml";
    if (!has_checkpoint(a.resume))
      throw IOError(fmt::format("--resume {}: no checkpoint.safetensors there (the run stopped before its first "
                                "checkpoint, or is not a run); start it again with --config {}/config.yaml --out {} "
                                "--overwrite", a.resume, a.resume, a.resume));
  }
  if (config_path.empty()) throw ValueError("train: --config FILE is required (or --resume DIR)");
  distill::RunConfig cfg = distill::load_config(config_path, a.sets);
  if (resume) check_resume_changes(distill::load_config(a.resume + "/config.yaml", {}), cfg, a.resume);
  if (!a.device.empty()) cfg.device = a.device;
  if (a.dry_run) return print_dry_run(cfg, distill::resolve_device(cfg.device));
  Device device = distill::resolve_device(cfg.device);  // before anything is written
  // Under mpirun/srun: one GPU per rank of a machine, unless the config names one.
  if (dist::launched_by_mpi() && device.is_cuda() && (cfg.device == "auto" || cfg.device == "cuda"))
    device = Device::cuda(dist::local_rank() % std::max(1, cuda_device_count()));
  comm = dist::connect(cfg.distributed.backend, cfg.distributed.timeout_s, device);
  const bool writer = comm->rank() == 0;
  if (comm->size() > 1) {
    check_same_config(*comm, distill::dump_config(cfg));
    dist::check_distributable(cfg, comm->size());
  }

  // The run directory: rank 0 claims or checks and prepares it; the others learn its name, or
  // rank 0's error, which every rank then reports.
  const bool claimed = out.empty();
  out = share_from_rank0(*comm, [&] {
    if (claimed) {
      out = claim_fresh_run_dir(cfg.name);
    } else if (!resume && holds_run(out) && !a.overwrite) {
      // One consistent way on: --resume needs a checkpoint; without one only --overwrite helps.
      if (has_checkpoint(out))
        throw ValueError(fmt::format("train: '{}' already holds a run (metrics.jsonl / checkpoint); continue it "
                                     "with --resume {}, choose another --out, or pass --overwrite", out, out));
      throw ValueError(fmt::format("train: '{}' already holds a run that stopped before its first checkpoint, so "
                                   "it cannot be resumed; start it again with --overwrite or choose another --out",
                                   out));
    }
    std::filesystem::create_directories(out);
    if (a.overwrite && !resume && holds_run(out)) clear_run_dir(out);  // before anything new is written
    if (int n = remove_stale_temp_files(out))
      std::printf("cohort train: removed %d temporary file(s) left by an interrupted write in %s\n", n, out.c_str());
    return out;
  });
  nlohmann::json start = {{"seed", cfg.seed}, {"device", device.str()}, {"config", config_path},
                          {"overrides", a.sets}, {"resumed", resume}, {"started", now_iso()},
                          {"commit", cli::build_commit()}};
  if (writer)
    std::printf("cohort train: %s (%s) on %s -> %s%s\n", cfg.name.c_str(), cfg.strategy.name.c_str(),
                device.str().c_str(), out.c_str(), ranks_note(*comm).c_str());
  std::unique_ptr<distill::Trainer> trainer;
  try {
    trainer = std::make_unique<distill::Trainer>(
        cfg, distill::TrainerOptions{.out_dir = out, .resume = resume, .device = device, .print = {},
                                     .make_strategy = dist::distributed_strategy_factory(comm), .writer = writer});
  } catch (...) {
    std::error_code ignored;
    if (claimed && writer) std::filesystem::remove(out, ignored);  // still empty: give the name back
    throw;
  }
  if (resume && trainer->checkpoint_is_complete()) {
    if (writer)
      std::printf("cohort train: the run in %s is already complete; nothing changed (to train it longer: "
                  "--resume %s --set train.epochs=N)\n", out.c_str(), out.c_str());
    return 0;
  }
  if (writer) {
    if (comm->size() > 1) start["ranks"] = comm->size(), start["backend"] = comm->backend();
    safetensors::write_file_atomically(out + "/config.yaml", distill::dump_config(cfg));
    start["dataset"] = trainer->data().dataset;
    if (!trainer->data().note.empty()) start["note"] = trainer->data().note;
    safetensors::write_file_atomically(out + "/run.json", append_start(out, start).dump(2) + "\n");
  }
  distill::TrainResult result = trainer->run();
  if (result.stopped_on_nan) return 3;
  if (writer)
    std::printf("metrics: %s/metrics.jsonl  checkpoint: %s\n", out.c_str(), trainer->checkpoint_path().c_str());
  return 0;
}

}  // namespace

Command add_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  app.add_option("--config", args->config, "YAML config (examples/configs/*.yaml)")->check(CLI::ExistingFile);
  app.add_option("--set", args->sets, "override a config key: --set optimizer.lr=0.05 (repeatable)");
  app.add_option("--out", args->out, "run directory (default runs/<name>)");
  app.add_option("--device", args->device, "cpu, cuda or cuda:N (default: the config's, auto)");
  app.add_option("--resume", args->resume, "continue the run in this directory from its checkpoint")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--overwrite", args->overwrite, "start afresh in an --out directory that already holds a run");
  app.add_flag("--dry-run", args->dry_run, "print the resolved config, the data and the models' sizes, and exit");
  return [args] {
    std::shared_ptr<dist::Communicator> comm;
    return run_on_ranks(comm, [&] { return run_train(*args, comm); });
  };
}

}  // namespace cohort::cli
