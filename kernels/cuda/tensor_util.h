// Host-side glue between views (kernels/common/view.h) and the raw-pointer kernel launchers of
// kernels/cuda/*.cu. Included by the view-facing wrappers (kernels/cuda/*.cpp, host compiler only).
#pragma once

#include <climits>

#include "kernels/common/view.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/device_util.h"

namespace cohort::cuda {

// For the duration of one op: the tensor's device made current and its current stream.
class OpScope {
 public:
  explicit OpScope(ConstView t) : device_(t.device().index), guard_(device_),
                                      stream_(current_stream(device_)) {}
  int device() const { return device_; }
  cudaStream_t stream() const { return stream_; }

 private:
  int device_;
  DeviceGuard guard_;
  cudaStream_t stream_;
};

// cuBLAS/cuDNN take int sizes: checked narrowing with the op's name in the message.
inline int to_int(int64_t v, const char* op, const char* what) {
  COHORT_CHECK(v >= 0 && v <= INT_MAX, "{}: {} = {} exceeds the int range cuBLAS/cuDNN accept",
               op, what, v);
  return static_cast<int>(v);
}

}  // namespace cohort::cuda
