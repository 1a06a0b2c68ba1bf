// The small synthetic CPU run the strategy and trainer tests start from: 4 classes, 512
// training and 128 test images, batch 32, no augmentation, cnn-small networks, constant lr 0.01,
// 2 epochs, a train record every step. Tests change what they are about.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "distill/run_config.h"

namespace cohort::test {

inline distill::RunConfig tiny_run_config(const std::string& strategy, int64_t networks = 2) {
  distill::RunConfig c;
  c.name = "test-" + strategy;
  c.seed = 7;
  c.device = "cpu";
  c.data.dataset = "synthetic";
  c.data.synthetic_classes = 4;
  c.data.synthetic_train = 512;
  c.data.synthetic_test = 128;
  c.data.batch_size = 32;
  c.data.workers = 0;
  c.data.augment = false;
  for (int64_t i = 0; i < networks; ++i) c.networks.push_back({"cnn-small", fmt::format("net{}", i), ""});
  c.optimizer.lr = 0.01;  // cnn-small (0.5M parameters) on 512 synthetic images: higher rates overshoot
  c.schedule.name = "constant";
  c.strategy.name = strategy;
  c.train.epochs = 2;
  c.train.log_every = 1;
  return c;
}

}  // namespace cohort::test
