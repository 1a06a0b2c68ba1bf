// The typed description of a training run: what the YAML configs (examples/configs/) and the
// CLI's --set overrides resolve to. Plain data with defaults that follow the DML paper's CIFAR
// recipe; validate() checks ranges and combinations and names the offending key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

struct StrategyConfig {
  std::string name = "dml";  // independent | kd | dml | fitnet | fsp
  double temperature = 1.0;
  // dml
  double mimicry_weight = 1.0;          // λ in L_k = CE_k + λ · KL-term
  std::string peer_reduction = "average";  // average | sum
  std::string teacher = "peers";        // peers | ensemble (DML_e)
  std::string update = "sync";          // sync | sequential (the paper's Algorithm 1)
  // kd / fitnet / fsp teacher
  std::string teacher_model;            // registry name
  std::string teacher_weights;          // safetensors; empty = train the teacher first in this run
  int64_t teacher_epochs = 0;           // when training the teacher first
  double ce_weight = 1.0;               // α
  double kd_weight = 1.0;               // β (multiplies T²·KL)
  // fitnet
  int64_t hint_index = 1;               // which feature tap is the hint/guided layer
  double hint_weight = 0.0;             // > 0: single-stage CE + β·hint MSE variant
  double kd_weight_end = 1.0;           // stage 2 λ decays linearly kd_weight -> kd_weight_end
  // fsp
  std::string fsp_pool = "max";         // max | avg: resizing of pairs with different sizes
  double fsp_weight = 1.0;              // λ per pair (equal λ)
  bool shuffle_fsp = false;
  bool cache_teacher_fsp = false;
  // two-stage strategies (fitnet, fsp): stage 1 length in the schedule's unit and its lr
  int64_t stage1_length = 0;
  double stage1_lr = 0.0;               // 0 = optimizer.lr
};

struct TrainConfig {
  int64_t epochs = 200;
  int64_t iterations = 0;      // > 0: iteration-based run (overrides epochs)
  int64_t log_every = 50;      // progress line every N steps
  int64_t eval_every = 1;      // epochs
  int64_t checkpoint_every = 1;  // epochs
  std::string baseline;        // optional metrics.jsonl of an independent run (gain column)
};

// Several processes (mpirun / srun): docs/distributed.md. Without a launcher these change nothing.
struct DistributedConfig {
  std::string backend = "auto";     // auto | mpi | nccl | none (none: one process even under mpirun)
  std::string placement = "block";  // block | round_robin: how the cohort's networks spread over ranks
  double timeout_s = 300.0;         // a collective waiting longer for a peer fails the run
  bool data_parallel = false;       // every rank holds every network and takes a share of each batch
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
};

}  // namespace cohort::distill
