// Run configs (distill/run_config.h, distill/config_fields.h): every bad value is a ConfigError
// naming its key, without a source location (it is the user's error). The YAML side (file, line,
// --set) is checked through the CLI in tests/cli/test_cli.sh.
#include <catch2/catch.hpp>

#include "distill/config_error.h"
#include "distill/config_fields.h"
#include "distill/run_config.h"

using namespace cohort;
using namespace cohort::distill;
using Catch::Matchers::Contains;

namespace {

RunConfig two_networks() {
  RunConfig c;
  set_config_value(c, "networks.0.model", "cnn-small");
  set_config_value(c, "networks.1.model", "cnn-small");
  return c;
}

// The key and message of the ConfigError that `fn` throws.
template <typename Fn>
std::pair<std::string, std::string> config_error_of(Fn fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return {e.key(), e.what()};
  }
  FAIL("no ConfigError");
  return {};
}

std::pair<std::string, std::string> validating(const std::string& key, const std::string& value) {
  RunConfig c = two_networks();
  set_config_value(c, key, value);
  return config_error_of([&] { c.validate(); });
}

}  // namespace

TEST_CASE("a two-network config validates", "[distill][config]") {
  REQUIRE_NOTHROW(two_networks().validate());
}

TEST_CASE("duplicate network names are an error naming the second one", "[distill][config]") {
  RunConfig c = two_networks();
  set_config_value(c, "networks.0.name", "student");
  set_config_value(c, "networks.1.name", "student");
  auto [key, msg] = config_error_of([&] { c.validate(); });
  CHECK(key == "networks.1.name");
  CHECK_THAT(msg, Contains("'student'") && Contains("unique"));
  // A name equal to another network's default name ("<model>_<index>") collides too.
  set_config_value(c, "networks.1.name", "cnn-small_0");
  set_config_value(c, "networks.0.name", "");
  CHECK(config_error_of([&] { c.validate(); }).first == "networks.1.name");
}

TEST_CASE("a network index past the end is an error, not a run of default networks", "[distill][config]") {
  RunConfig c = two_networks();
  auto [key, msg] = config_error_of([&] { set_config_value(c, "networks.5.model", "resnet8"); });
  CHECK(key == "networks.5.model");
  CHECK_THAT(msg, Contains("has 2 network(s)") && Contains("networks.2"));
  CHECK(c.networks.size() == 2);
  set_config_value(c, "networks.2.model", "resnet8");  // the next one may be added
  CHECK(c.networks.size() == 3);
}

TEST_CASE("values out of range are errors naming their key", "[distill][config]") {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"data.synthetic_train", "0"},   {"data.synthetic_test", "-3"}, {"train.iterations", "-5"},
           {"train.epochs", "-1"},          {"optimizer.momentum", "-0.9"}, {"optimizer.beta1", "1.5"},
           {"optimizer.beta2", "-0.1"},     {"optimizer.eps", "-1e-8"},     {"optimizer.dampening", "2"},
           {"schedule.eta_min", "-1"},      {"strategy.teacher_epochs", "-2"}}) {
    INFO(key << " = " << value);
    auto [error_key, msg] = validating(key, value);
    CHECK(error_key == key);
    CHECK_THAT(msg, Contains("'" + key + "'"));
  }
}

TEST_CASE("non-finite numbers are rejected when parsed, by key", "[distill][config]") {
  RunConfig c = two_networks();
  for (const char* v : {"inf", "-inf", "nan", "1e999"}) {
    INFO(v);
    auto [key, msg] = config_error_of([&] { set_config_value(c, "optimizer.lr", v); });
    CHECK(key == "optimizer.lr");
    CHECK_THAT(msg, Contains("finite"));
  }
}

TEST_CASE("nesterov needs momentum, caught in the config", "[distill][config]") {
  RunConfig c = two_networks();
  set_config_value(c, "optimizer.momentum", "0");
  CHECK(config_error_of([&] { c.validate(); }).first == "optimizer.nesterov");
}

TEST_CASE("a list for a single value is an error; list keys take lists", "[distill][config]") {
  RunConfig c = two_networks();
  auto [key, msg] = config_error_of([&] { set_config_list(c, "optimizer.lr", {"0.1"}); });
  CHECK(key == "optimizer.lr");
  CHECK_THAT(msg, Contains("single float value, got a list"));
  CHECK(config_error_of([&] { set_config_list(c, "name", {"a", "b"}); }).first == "name");
  set_config_list(c, "schedule.milestones", {"60", "120"});
  CHECK(c.schedule.milestones == std::vector<int64_t>{60, 120});
}

TEST_CASE("config errors carry no source location", "[distill][config]") {
  RunConfig c = two_networks();
  for (auto msg : {config_error_of([&] { set_config_value(c, "optimizer.lrr", "1"); }).second,
                   config_error_of([&] { set_config_value(c, "optimizer.lr", "fast"); }).second,
                   validating("data.batch_size", "0").second}) {
    INFO(msg);
    CHECK_THAT(msg, !Contains(".cpp:"));
  }
}
