// Debugging aid used by the test suite, read by both allocators (CPU: core/storage.cpp; CUDA:
// kernels/cuda/runtime.cpp): when on, every new allocation is filled with 0xFF bytes (NaN for
// floats), so a kernel that leaves output elements unwritten fails its test.
#pragma once

namespace cohort {

void set_poison_allocations(bool on);
bool poison_allocations();

}  // namespace cohort
