// The typed description of a training run: what the YAML configs (examples/configs/) and the
// CLI's --set overrides resolve to. Plain data with defaults that follow the DML paper's CIFAR
// recipe; validate() checks ranges and combinations and names the offending key.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "distill/strategy_options.h"

namespace cohort::distill {

struct NetworkConfig {
  std::string model = "resnet32";  // registry name (layers/models)
  std::string name;                 // label in logs/summary; defaults to "<model>_<index>"
  std::string weights;              // optional safetensors file to start from
};

struct DataConfig {
  std::string dataset = "synthetic";  // cifar10|cifar100|mnist|fashion-mnist|imagefolder|market1501|synthetic
  std::string root;                   // absolute, or relative to $COHORT_DATA; "" = default folder
  bool fallback_to_synthetic = true;  // when the real data is absent (the README main job)
  int64_t batch_size = 64;
  int64_t eval_batch_size = 256;
  int64_t workers = 2;
  bool augment = true;                // random crop + horizontal flip
  int64_t crop_padding = 4;
  std::string pad_mode = "reflect";   // reflect (DML recipe) | zero
  bool flip = true;
  double labelled_fraction = 1.0;     // < 1: semi-supervised (DML: mimicry on all samples)
  int64_t train_limit = 0;            // > 0: use only the first N training samples
  int64_t test_limit = 0;             // > 0: evaluate on the first N test samples
  int64_t synthetic_classes = 10;
  int64_t synthetic_train = 5000;
  int64_t synthetic_test = 1000;
};

struct OptimizerConfig {
  std::string name = "sgd";  // sgd | adam | adamw
  double lr = 0.1;
  double momentum = 0.9;
  double dampening = 0.0;
  bool nesterov = true;
  double weight_decay = 5e-4;
  bool decay_bn_and_bias = true;  // false: no weight decay on BN parameters and biases
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool amsgrad = false;
};

struct ScheduleConfig {
  std::string name = "step";   // constant | step | multistep | cosine
  std::string unit = "epoch";  // epoch | iteration: what one schedule step is
  int64_t step_size = 60;      // step: multiply by gamma every step_size units
  std::vector<int64_t> milestones;  // multistep
  double gamma = 0.1;
  double eta_min = 0.0;        // cosine
  int64_t t_max = 0;           // cosine; 0 = the run's length in `unit`
  int64_t warmup = 0;          // linear warm-up length in `unit` (composes with the others)
};

// The strategy section: `name`, a strategy of the registry (distill/strategy_registry.h), and the
// typed options of every registered strategy (distill/strategy_options.h), each bound to its keys
// under strategy.*. A key several strategies bind (temperature, teacher_model, ...) is set in
// each, so a config means the same when only strategy.name changes (scripts/reproduce.sh runs
// the FSP preset as its independent baseline that way).
class StrategyConfig {
 public:
  std::string name = "dml";

  StrategyConfig() = default;
  StrategyConfig(const StrategyConfig& other);
  StrategyConfig& operator=(const StrategyConfig& other);
  StrategyConfig(StrategyConfig&&) noexcept = default;
  StrategyConfig& operator=(StrategyConfig&&) noexcept = default;
  ~StrategyConfig();

  // The options of registered strategy `strategy` (its defaults until keys are set).
  StrategyOptions& options_of(const std::string& strategy) const;
  // The options of the strategy `name` names, as its own type (the strategy's constructor reads
  // them once). A ValueError when they are not a T.
  template <typename T>
  const T& options() const {
    const T* typed = dynamic_cast<const T*>(&options_of(name));
    if (!typed) throw ValueError(fmt::format("strategy '{}': its options are not of the type asked for", name));
    return *typed;
  }

 private:
  // Created on first use: a strategy registered after this config was made still gets options.
  mutable std::map<std::string, std::unique_ptr<StrategyOptions>> options_;
};

struct TrainConfig {
  int64_t epochs = 200;
  int64_t iterations = 0;      // > 0: iteration-based run (overrides epochs)
  int64_t log_every = 50;      // progress line every N steps
  int64_t eval_every = 1;      // epochs
  int64_t checkpoint_every = 1;  // epochs
  std::string baseline;        // optional metrics.jsonl of an independent run (gain column)
};

// distributed.data_parallel: how the ranks share a run's networks (docs/distributed.md).
enum class DataParallel {
  off,          // `false`: cohort placement, each network trained by one rank
  all,          // `true`: every rank holds every network and takes a share of each batch
  per_network,  // each network trained by its own group of ranks, which share the batch
};

// Several processes (mpirun / srun): docs/distributed.md. Without a launcher these change nothing.
struct DistributedConfig {
  std::string backend = "auto";     // auto | mpi | nccl | none (none: one process even under mpirun)
  std::string placement = "block";  // block | round_robin: how the cohort's networks spread over ranks
  double timeout_s = 300.0;         // a collective waiting longer for a peer fails the run
  DataParallel data_parallel = DataParallel::off;  // false | true | per_network
  double bucket_mb = 25.0;          // data parallelism: gradients all-reduced in buckets of this size
};

struct RunConfig {
  std::string name = "run";
  uint64_t seed = 0;
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  DataConfig data;
  std::vector<NetworkConfig> networks;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  StrategyConfig strategy;
  TrainConfig train;
  DistributedConfig distributed;

  // Throws ValueError naming the key ("optimizer.lr", "networks.1.model", ...) on a bad value.
  void validate() const;

 private:
  void validate_strategy() const;
};

}  // namespace cohort::distill
