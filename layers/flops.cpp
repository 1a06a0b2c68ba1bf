#include "layers/flops.h"

namespace cohort::nn {

namespace {
thread_local FlopCounter* active_counter = nullptr;
}

FlopCounter::FlopCounter() : previous_(active_counter) { active_counter = this; }
FlopCounter::~FlopCounter() { active_counter = previous_; }

void FlopCounter::add_macs(int64_t macs) {
  if (active_counter) active_counter->flops_ += 2 * macs;
}

}  // namespace cohort::nn
