// Test runner: Catch2's main, with poisoned allocations so unwritten outputs fail their tests.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "core/storage.h"

int main(int argc, char* argv[]) {
  cohort::set_poison_allocations(true);
  return Catch::Session().run(argc, argv);
}
