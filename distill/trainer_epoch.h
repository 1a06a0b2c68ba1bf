// What one training epoch accumulates (distill/trainer.cpp fills it, trainer_log.cpp and
// trainer_eval.cpp read it). Private to the Trainer's files.
#pragma once

#include <vector>

#include "distill/metrics.h"
#include "distill/run_log.h"
#include "distill/trainer.h"

namespace cohort::distill {

struct Trainer::EpochStats {
  explicit EpochStats(size_t networks) : ce_sum(networks), transfer_sum(networks), train_acc(networks) {}
  // Adds a step's loss parts (device scalars: no host sync).
  void add(const StepLosses& losses);

  std::vector<Tensor> ce_sum, transfer_sum;  // per trained network, undefined where no such part
  std::vector<AccuracyMeter> train_acc;      // over the steps whose losses are read
  int64_t steps = 0;
  Throughput speed;
};

}  // namespace cohort::distill
