// The Trainer runs on the config's `device` unless TrainerOptions::device names one
// (distill/device.h resolves it): a config asking for CUDA on a machine without it is refused
// before anything is built.
#include <catch2/catch.hpp>

#include "core/backend.h"
#include "core/error.h"
#include "distill/device.h"
#include "distill/trainer.h"
#include "tests/support/tiny_run.h"

using namespace cohort;
using namespace cohort::distill;
using Catch::Matchers::Contains;

TEST_CASE("the trainer honours the config's device", "[distill][trainer]") {
  RunConfig cfg = test::tiny_run_config("independent", 1);
  cfg.device = "cpu";
  Trainer on_cpu(cfg, {.out_dir = "unused", .print = [](const std::string&) {}});
  CHECK(on_cpu.device() == Device::cpu());
  CHECK(resolve_device("auto") == (backend::cuda_available() ? Device::cuda(0) : Device::cpu()));
  if (backend::cuda_available()) return;  // the refusal below needs a machine without CUDA
  cfg.device = "cuda";
  CHECK_THROWS_WITH(Trainer(cfg, {.out_dir = "unused", .print = [](const std::string&) {}}),
                    Contains("device 'cuda' requested but no usable CUDA device"));
  // An explicit device wins over the config's.
  Trainer explicit_cpu(cfg, {.out_dir = "unused", .device = Device::cpu(), .print = [](const std::string&) {}});
  CHECK(explicit_cpu.device() == Device::cpu());
}
