// A strategy's knobs as a typed struct, bound to config keys under `strategy.*`.
//
// Each strategy declares an options struct deriving from OptionsOf<Self> whose bind() lists its
// members with their keys; that one list is behind YAML loading, --set, the resolved config and
// validate(). Choices (enums) are parsed when the key is set, with an error naming the key and
// the allowed values, so the per-step code compares enums, never strings:
//
//   enum class Update { sync, sequential };
//   struct MyOptions : OptionsOf<MyOptions> {
//     double temperature = 1.0;
//     Update update = Update::sync;
//     void bind(OptionBinder& b) override {
//       b.add("temperature", temperature, Bound::positive);
//       b.choice("update", update, {{"sync", Update::sync}, {"sequential", Update::sequential}});
//     }
//   };
//
// Several strategies may bind the same key (temperature, teacher_model, ...): setting it sets it in
// each of them, so a config keeps its meaning when only strategy.name changes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "distill/config_error.h"

namespace cohort::distill {

struct RunConfig;

// One bound option: its full key ("strategy.temperature"), its type for messages ("float", or the
// allowed values "sync|sequential" of a choice), a parser setting the member (a ConfigError
// naming the key on bad text), a formatter reading it, and its range check (run by validate()).
struct BoundOption {
  std::string key;
  std::string type;
  std::function<void(const std::string&)> set;
  std::function<std::string()> get;
  std::function<void()> check;  // empty: any value
};

// Range constraints checked by RunConfig::validate(), with the key in the message.
enum class Bound { any, non_negative, positive };

class OptionBinder {
 public:
  void add(const std::string& name, double& value, Bound bound = Bound::any);
  void add(const std::string& name, int64_t& value, Bound bound = Bound::any);
  void add(const std::string& name, bool& value);
  void add(const std::string& name, std::string& value);
  // An enum chosen by name; `values` in the order the error message lists them.
  template <typename E>
  void choice(const std::string& name, E& value, std::vector<std::pair<std::string, E>> values);

  std::vector<BoundOption>& options() { return options_; }

 private:
  std::vector<BoundOption> options_;
};

struct TeacherOptions;

class StrategyOptions {
 public:
  virtual ~StrategyOptions() = default;
  virtual std::unique_ptr<StrategyOptions> clone() const = 0;
  // Lists every member with its key (see the header comment). Binding changes nothing.
  virtual void bind(OptionBinder& b) = 0;
  // Checks across keys or against the rest of the run (e.g. the number of networks), throwing a
  // ConfigError naming a key; runs for the strategy the config names only.
  virtual void validate(const RunConfig&) const {}
  // The teacher the strategy builds, if any (make_roster builds it; dry runs list it).
  virtual const TeacherOptions* teacher_options() const { return nullptr; }
};

// CRTP base: the copy a RunConfig needs when it is copied.
template <typename Self>
class OptionsOf : public StrategyOptions {
 public:
  std::unique_ptr<StrategyOptions> clone() const override {
    return std::make_unique<Self>(static_cast<const Self&>(*this));
  }
};

// The options of a strategy with no knobs of its own (independent).
struct NoOptions : OptionsOf<NoOptions> {
  void bind(OptionBinder&) override {}
};

// The teacher of a strategy that distils from one (kd, fitnet, fsp).
struct TeacherOptions {
  std::string model;    // strategy.teacher_model: registry name
  std::string weights;  // strategy.teacher_weights: safetensors; empty = train it first in this run
  int64_t epochs = 0;   // strategy.teacher_epochs: that first stage's length
  void bind(OptionBinder& b);
  // 'strategy.teacher_model' must be given for `strategy`.
  void validate(const std::string& strategy) const;
};

// Stage 1 of the two-stage strategies (fitnet, fsp): its length in the schedule's unit and its lr.
struct StageOneOptions {
  int64_t length = 0;  // strategy.stage1_length
  double lr = 0.0;     // strategy.stage1_lr; 0 = optimizer.lr
  void bind(OptionBinder& b);
};

// ---- implementation -------------------------------------------------------------------------

template <typename E>
void OptionBinder::choice(const std::string& name, E& value, std::vector<std::pair<std::string, E>> values) {
  const std::string key = "strategy." + name;
  std::string allowed;
  for (const auto& [text, unused] : values) allowed += (allowed.empty() ? "" : "|") + text;
  options_.push_back(
      {key, allowed,
       [&value, key, values, allowed](const std::string& text) {
         for (const auto& [t, e] : values)
           if (t == text) {
             value = e;
             return;
           }
         config_fail(key, "'{}' must be one of {}, got '{}'", key, allowed, text);
       },
       [&value, values] {
         for (const auto& [t, e] : values)
           if (e == value) return t;
         return std::string("?");
       },
       {}});
}

}  // namespace cohort::distill
