#include "distill/strategy_options.h"

#include "distill/config_parse.h"

namespace cohort::distill {

namespace {

template <typename T>
std::function<void()> bound_check(const std::string& key, const T& value, Bound bound) {
  switch (bound) {
    case Bound::non_negative:
      return [key, &value] {
        if (!(value >= 0)) config_fail(key, "'{}' must be >= 0, got {}", key, value);
      };
    case Bound::positive:
      return [key, &value] {
        if (!(value > 0)) config_fail(key, "'{}' must be > 0, got {}", key, value);
      };
    case Bound::any:
      break;
  }
  return {};
}

}  // namespace

void OptionBinder::add(const std::string& name, double& value, Bound bound) {
  const std::string key = "strategy." + name;
  options_.push_back({key, "float", [&value, key](const std::string& t) { value = parse_float(key, t); },
                      [&value] { return format_float(value); }, bound_check(key, value, bound)});
}

void OptionBinder::add(const std::string& name, int64_t& value, Bound bound) {
  const std::string key = "strategy." + name;
  options_.push_back({key, "int", [&value, key](const std::string& t) { value = parse_int(key, t); },
                      [&value] { return std::to_string(value); }, bound_check(key, value, bound)});
}

void OptionBinder::add(const std::string& name, bool& value) {
  const std::string key = "strategy." + name;
  options_.push_back({key, "bool", [&value, key](const std::string& t) { value = parse_bool(key, t); },
                      [&value] { return value ? std::string("true") : std::string("false"); }, {}});
}

void OptionBinder::add(const std::string& name, std::string& value) {
  options_.push_back({"strategy." + name, "string", [&value](const std::string& t) { value = t; },
                      [&value] { return value; }, {}});
}

void TeacherOptions::bind(OptionBinder& b) {
  b.add("teacher_model", model);
  b.add("teacher_weights", weights);
  b.add("teacher_epochs", epochs, Bound::non_negative);
}

void TeacherOptions::validate(const std::string& strategy) const {
  if (model.empty())
    config_fail("strategy.teacher_model", "strategy '{}' needs 'strategy.teacher_model'", strategy);
}

void StageOneOptions::bind(OptionBinder& b) {
  b.add("stage1_length", length, Bound::non_negative);
  b.add("stage1_lr", lr, Bound::non_negative);
}

}  // namespace cohort::distill
