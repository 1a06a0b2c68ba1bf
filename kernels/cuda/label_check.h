// Deferred checks of cross_entropy's bad-label flag. The op must not synchronise (a DML step
// runs K of them), so instead of reading the device flag back at once it queues a 4-byte copy of
// the flag into pinned host memory and an event. The calling thread's next synchronising call —
// a device->host copy (item(), to_vector()), synchronize(), COHORT_SYNC=1's per-op check — or its
// next cross_entropy looks at the checks whose events have completed and throws the CPU's
// ValueError for a bad label there. Host code of the CUDA backend (CUDA types).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/common/view.h"

namespace cohort::cuda {

// Registers a check of `device_flag` (an int that the kernel queued on `stream` sets to 1 for a
// label outside [0, C) that is not ignore_index). A copy of `labels` ([N] i64, queued on `stream`
// after the kernel) is kept to name the row in the error: the view does not keep them alive.
void defer_label_check(const int* device_flag, ConstView labels, int64_t C, int64_t ignore_index,
                       int device, cudaStream_t stream);

// Looks at this thread's checks whose copies have completed (none is waited for): drops the
// clean ones and throws ValueError for the first bad one (which is dropped too).
void check_deferred_labels();

// Checks of this thread still waiting for their copy (tests).
size_t pending_label_checks();

}  // namespace cohort::cuda
