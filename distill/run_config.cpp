#include "distill/run_config.h"

#include <algorithm>
#include <initializer_list>

#include "core/error.h"

namespace cohort::distill {

namespace {

void check_one_of(const std::string& key, const std::string& value,
                  std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (value == a) return;
  COHORT_FAIL("config: '{}' must be one of {}, got '{}'", key, fmt::join(allowed, "|"), value);
}

}  // namespace

void RunConfig::validate() const {
  COHORT_CHECK(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0,
               "config: 'device' must be auto, cpu, cuda or cuda:N, got '{}'", device);
  check_one_of("data.dataset", data.dataset,
               {"cifar10", "cifar100", "mnist", "fashion-mnist", "imagefolder", "market1501", "synthetic"});
  COHORT_CHECK(data.batch_size > 0, "config: 'data.batch_size' must be > 0, got {}", data.batch_size);
  COHORT_CHECK(data.eval_batch_size > 0, "config: 'data.eval_batch_size' must be > 0, got {}",
               data.eval_batch_size);
  COHORT_CHECK(data.workers >= 0 && data.workers <= 64, "config: 'data.workers' must be in [0, 64], got {}",
               data.workers);
  COHORT_CHECK(data.crop_padding >= 0, "config: 'data.crop_padding' must be >= 0, got {}", data.crop_padding);
  check_one_of("data.pad_mode", data.pad_mode, {"reflect", "zero"});
  COHORT_CHECK(data.labelled_fraction > 0.0 && data.labelled_fraction <= 1.0,
               "config: 'data.labelled_fraction' must be in (0, 1], got {}", data.labelled_fraction);
  COHORT_CHECK(data.train_limit >= 0 && data.test_limit >= 0, "config: data limits must be >= 0");
  COHORT_CHECK(data.synthetic_classes >= 2, "config: 'data.synthetic_classes' must be >= 2");

  COHORT_CHECK(!networks.empty(), "config: 'networks' is empty: list at least one network");
  for (size_t i = 0; i < networks.size(); ++i)
    COHORT_CHECK(!networks[i].model.empty(), "config: 'networks.{}.model' is empty", i);

  check_one_of("optimizer.name", optimizer.name, {"sgd", "adam", "adamw"});
  COHORT_CHECK(optimizer.lr > 0.0, "config: 'optimizer.lr' must be > 0, got {}", optimizer.lr);
  COHORT_CHECK(optimizer.weight_decay >= 0.0, "config: 'optimizer.weight_decay' must be >= 0, got {}",
               optimizer.weight_decay);

  check_one_of("schedule.name", schedule.name, {"constant", "step", "multistep", "cosine"});
  check_one_of("schedule.unit", schedule.unit, {"epoch", "iteration"});
  COHORT_CHECK(schedule.name != "step" || schedule.step_size > 0,
               "config: 'schedule.step_size' must be > 0, got {}", schedule.step_size);
  COHORT_CHECK(std::is_sorted(schedule.milestones.begin(), schedule.milestones.end()),
               "config: 'schedule.milestones' must be increasing");
  COHORT_CHECK(schedule.gamma > 0.0, "config: 'schedule.gamma' must be > 0, got {}", schedule.gamma);
  COHORT_CHECK(schedule.warmup >= 0, "config: 'schedule.warmup' must be >= 0");

  const StrategyConfig& s = strategy;
  check_one_of("strategy.name", s.name, {"independent", "kd", "dml", "fitnet", "fsp"});
  COHORT_CHECK(s.temperature > 0.0, "config: 'strategy.temperature' must be > 0, got {}", s.temperature);
  check_one_of("strategy.peer_reduction", s.peer_reduction, {"average", "sum"});
  check_one_of("strategy.teacher", s.teacher, {"peers", "ensemble"});
  check_one_of("strategy.update", s.update, {"sync", "sequential"});
  check_one_of("strategy.fsp_pool", s.fsp_pool, {"max", "avg"});
  if (s.name == "dml")
    COHORT_CHECK(networks.size() >= 2, "config: strategy 'dml' needs at least 2 networks, got {}",
                 networks.size());
  if (s.name == "kd" || s.name == "fitnet" || s.name == "fsp")
    COHORT_CHECK(!s.teacher_model.empty(), "config: strategy '{}' needs 'strategy.teacher_model'", s.name);
  if (s.name != "dml")
    COHORT_CHECK(data.labelled_fraction == 1.0,
                 "config: 'data.labelled_fraction' < 1 (semi-supervised) needs strategy 'dml'");

  COHORT_CHECK(train.epochs > 0 || train.iterations > 0,
               "config: set 'train.epochs' or 'train.iterations' > 0");
  COHORT_CHECK(train.log_every > 0 && train.eval_every > 0 && train.checkpoint_every > 0,
               "config: train.log_every, eval_every and checkpoint_every must be > 0");
}

}  // namespace cohort::distill
