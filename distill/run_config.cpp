#include "distill/run_config.h"

#include <algorithm>
#include <initializer_list>
#include <set>

#include "distill/config_error.h"
#include "distill/strategy_registry.h"

namespace cohort::distill {

namespace {

template <typename... Args>
void require(bool ok, const std::string& key, fmt::format_string<Args...> format, Args&&... args) {
  if (!ok) config_fail(key, format, std::forward<Args>(args)...);
}

void check_one_of(const std::string& key, const std::string& value,
                  std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (value == a) return;
  config_fail(key, "'{}' must be one of {}, got '{}'", key, fmt::join(allowed, "|"), value);
}

void check_positive(const std::string& key, int64_t value) {
  require(value > 0, key, "'{}' must be > 0, got {}", key, value);
}

void check_non_negative(const std::string& key, double value) {
  require(value >= 0.0, key, "'{}' must be >= 0, got {}", key, value);
}

// Adam's betas, as torch.optim.Adam checks them.
void check_beta(const std::string& key, double value) {
  require(value >= 0.0 && value < 1.0, key, "'{}' must be in [0, 1), got {}", key, value);
}

}  // namespace

StrategyConfig::StrategyConfig(const StrategyConfig& other) : name(other.name) {
  for (const auto& [strategy, options] : other.options_) options_.emplace(strategy, options->clone());
}

StrategyConfig& StrategyConfig::operator=(const StrategyConfig& other) {
  if (this != &other) *this = StrategyConfig(other);
  return *this;
}

StrategyConfig::~StrategyConfig() = default;

StrategyOptions& StrategyConfig::options_of(const std::string& strategy) const {
  auto it = options_.find(strategy);
  if (it == options_.end()) it = options_.emplace(strategy, find_strategy(strategy).make_options()).first;
  return *it->second;
}

void RunConfig::validate_strategy() const {
  const StrategyEntry& entry = find_strategy(strategy.name);
  // The ranges of every registered strategy's options: a key means the same whichever strategy
  // the config names (a config switched by --set strategy.name stays valid or stays invalid).
  for (const StrategyEntry& e : registered_strategies()) {
    OptionBinder binder;
    strategy.options_of(e.name).bind(binder);
    for (const BoundOption& o : binder.options())
      if (o.check) o.check();
  }
  strategy.options_of(strategy.name).validate(*this);
  if (!entry.semi_supervised) {
    std::vector<std::string> semi;
    for (const StrategyEntry& e : registered_strategies())
      if (e.semi_supervised) semi.push_back("'" + e.name + "'");
    require(data.labelled_fraction == 1.0, "data.labelled_fraction",
            "'data.labelled_fraction' < 1 (semi-supervised) needs strategy {}", fmt::join(semi, " or "));
  }
}

void RunConfig::validate() const {
  require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device",
          "'device' must be auto, cpu, cuda or cuda:N, got '{}'", device);
  check_one_of("data.dataset", data.dataset,
               {"cifar10", "cifar100", "mnist", "fashion-mnist", "imagefolder", "market1501", "synthetic"});
  check_positive("data.batch_size", data.batch_size);
  check_positive("data.eval_batch_size", data.eval_batch_size);
  require(data.workers >= 0 && data.workers <= 64, "data.workers", "'data.workers' must be in [0, 64], got {}",
          data.workers);
  require(data.crop_padding >= 0, "data.crop_padding", "'data.crop_padding' must be >= 0, got {}", data.crop_padding);
  check_one_of("data.pad_mode", data.pad_mode, {"reflect", "zero"});
  require(data.labelled_fraction > 0.0 && data.labelled_fraction <= 1.0, "data.labelled_fraction",
          "'data.labelled_fraction' must be in (0, 1], got {}", data.labelled_fraction);
  require(data.train_limit >= 0, "data.train_limit", "'data.train_limit' must be >= 0 (0: all), got {}",
          data.train_limit);
  require(data.test_limit >= 0, "data.test_limit", "'data.test_limit' must be >= 0 (0: all), got {}",
          data.test_limit);
  require(data.synthetic_classes >= 2, "data.synthetic_classes", "'data.synthetic_classes' must be >= 2, got {}",
          data.synthetic_classes);
  check_positive("data.synthetic_train", data.synthetic_train);
  check_positive("data.synthetic_test", data.synthetic_test);

  require(!networks.empty(), "networks", "'networks' is empty: list at least one network");
  std::set<std::string> names;
  for (size_t i = 0; i < networks.size(); ++i) {
    const std::string key = fmt::format("networks.{}", i);
    require(!networks[i].model.empty(), key + ".model", "'{}.model' is empty", key);
    // Names label the metrics and name the weights files: two equal ones would overwrite each
    // other. An empty name becomes "<model>_<index>" (distill/strategy_common.cpp).
    const std::string name = networks[i].name.empty() ? fmt::format("{}_{}", networks[i].model, i) : networks[i].name;
    require(names.insert(name).second, key + ".name",
            "'{}.name' is '{}', the name of an earlier network: network names must be unique", key, name);
  }

  check_one_of("optimizer.name", optimizer.name, {"sgd", "adam", "adamw"});
  require(optimizer.lr > 0.0, "optimizer.lr", "'optimizer.lr' must be > 0, got {}", optimizer.lr);
  check_non_negative("optimizer.weight_decay", optimizer.weight_decay);
  check_non_negative("optimizer.momentum", optimizer.momentum);
  require(optimizer.dampening >= 0.0 && optimizer.dampening <= 1.0, "optimizer.dampening",
          "'optimizer.dampening' must be in [0, 1], got {}", optimizer.dampening);
  if (optimizer.name == "sgd")
    require(!optimizer.nesterov || (optimizer.momentum > 0.0 && optimizer.dampening == 0.0), "optimizer.nesterov",
            "'optimizer.nesterov' needs 'optimizer.momentum' > 0 and 'optimizer.dampening' 0 (got {} and {})",
            optimizer.momentum, optimizer.dampening);
  check_beta("optimizer.beta1", optimizer.beta1);
  check_beta("optimizer.beta2", optimizer.beta2);
  check_non_negative("optimizer.eps", optimizer.eps);

  check_one_of("schedule.name", schedule.name, {"constant", "step", "multistep", "cosine"});
  check_one_of("schedule.unit", schedule.unit, {"epoch", "iteration"});
  if (schedule.name == "step") check_positive("schedule.step_size", schedule.step_size);
  require(std::is_sorted(schedule.milestones.begin(), schedule.milestones.end()), "schedule.milestones",
          "'schedule.milestones' must be increasing");
  require(schedule.gamma > 0.0, "schedule.gamma", "'schedule.gamma' must be > 0, got {}", schedule.gamma);
  check_non_negative("schedule.eta_min", schedule.eta_min);
  require(schedule.t_max >= 0, "schedule.t_max", "'schedule.t_max' must be >= 0 (0: the run's length), got {}",
          schedule.t_max);
  require(schedule.warmup >= 0, "schedule.warmup", "'schedule.warmup' must be >= 0, got {}", schedule.warmup);

  validate_strategy();

  require(train.epochs >= 0, "train.epochs", "'train.epochs' must be >= 0, got {}", train.epochs);
  require(train.iterations >= 0, "train.iterations", "'train.iterations' must be >= 0 (0: run by epochs), got {}",
          train.iterations);
  require(train.epochs > 0 || train.iterations > 0, "train.epochs", "set 'train.epochs' or 'train.iterations' > 0");
  check_positive("train.log_every", train.log_every);
  check_positive("train.eval_every", train.eval_every);
  check_positive("train.checkpoint_every", train.checkpoint_every);

  check_one_of("distributed.backend", distributed.backend, {"auto", "mpi", "nccl", "none"});
  check_one_of("distributed.placement", distributed.placement, {"block", "round_robin"});
  require(distributed.timeout_s > 0.0, "distributed.timeout_s", "'distributed.timeout_s' must be > 0, got {}",
          distributed.timeout_s);
  require(distributed.bucket_mb > 0.0, "distributed.bucket_mb", "'distributed.bucket_mb' must be > 0, got {}",
          distributed.bucket_mb);
}

}  // namespace cohort::distill
