// Small host-side helpers of the CUDA backend: the current-device guard, device properties and
// the "is this device usable" check every entry point runs first. Host code only (no kernels).
#pragma once

#include <cuda_runtime.h>

#include "kernels/cuda/check.h"

namespace cohort::cuda {

// Throws BackendError when CUDA is unusable (naming the driver's reason) or `device` does not
// exist. Cheap after the first call (the probe is cached).
void require_device(int device);

// Multiprocessor count of `device` (cached): sizes grids of reductions and grid-stride loops.
int multiprocessor_count(int device);

// Makes `device` current for the guard's lifetime (cudaSetDevice only when it differs), so a
// call on cuda:1 works whatever device the calling thread had selected.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    int current = 0;
    COHORT_CUDA_CHECK(cudaGetDevice(&current));
    if (current != device) {
      COHORT_CUDA_CHECK(cudaSetDevice(device));
      previous_ = current;
    }
  }
  ~DeviceGuard() {
    if (previous_ >= 0) cudaSetDevice(previous_);  // destructor: nothing sensible to do on error
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

}  // namespace cohort::cuda
