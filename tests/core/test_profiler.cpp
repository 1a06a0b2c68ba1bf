// The per-kernel profiler (core/profiler.h): off by default, counts every dispatched call by
// kernel name when on, and its report adds up.
#include <catch2/catch.hpp>

#include "core/ops/linalg.h"
#include "core/ops/elementwise.h"
#include "core/profiler.h"
#include "core/random.h"

using namespace cohort;

TEST_CASE("profiler: off records nothing, on counts each dispatched kernel by name", "[profiler]") {
  Generator gen(3);
  Tensor a = Tensor::randn({32, 16}, gen), b = Tensor::randn({16, 8}, gen);
  profiler::set_enabled(false);
  profiler::reset();
  ops::matmul(a, b);
  REQUIRE(profiler::entries().empty());

  profiler::set_enabled(true);
  for (int i = 0; i < 3; ++i) ops::relu(ops::matmul(a, b));
  profiler::set_enabled(false);
  auto entries = profiler::entries();
  REQUIRE(entries.size() >= 2);
  int64_t calls = 0;
  for (const auto& e : entries) {
    CHECK(e.device == "cpu");
    CHECK(e.total_ms >= 0.0);
    calls += e.calls;
  }
  REQUIRE(calls >= 6);  // 3 GEMMs and 3 ReLUs at least
  const std::string table = profiler::report();
  REQUIRE_THAT(table, Catch::Contains("all profiled calls"));
  for (size_t i = 1; i < entries.size(); ++i) REQUIRE(entries[i - 1].total_ms >= entries[i].total_ms);
  profiler::reset();
  REQUIRE(profiler::entries().empty());
}
