#include "core/poison.h"

#include <atomic>

namespace cohort {

namespace {
std::atomic<bool> g_poison{false};
}  // namespace

void set_poison_allocations(bool on) { g_poison.store(on); }
bool poison_allocations() { return g_poison.load(std::memory_order_relaxed); }

}  // namespace cohort
