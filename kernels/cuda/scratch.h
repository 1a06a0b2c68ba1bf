// Temporary device memory for one kernel call, from the caching allocator (runtime.h): what a
// kernel needs besides its views (per-row partial sums, a flag) without creating a Tensor. The
// memory is taken on the device's current stream and returned when the object goes out of scope;
// work queued on that stream before the return still sees it (the allocator reuses a freed block
// only for later work on the same stream). Host code of the CUDA backend.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cuda/runtime.h"

namespace cohort::cuda {

class DeviceScratch {
 public:
  DeviceScratch(size_t nbytes, int device) : ptr_(device_alloc(nbytes, device)), device_(device) {}
  ~DeviceScratch() { device_free(ptr_, device_); }
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
  DeviceScratch(DeviceScratch&& other) noexcept : ptr_(other.release()), device_(other.device_) {}
  DeviceScratch& operator=(DeviceScratch&&) = delete;

  template <typename T> T* as() const { return static_cast<T*>(ptr_); }
  void* get() const { return ptr_; }
  // Gives up ownership: the caller frees the pointer with device_free(ptr, device).
  void* release() {
    void* p = ptr_;
    ptr_ = nullptr;
    return p;
  }

 private:
  void* ptr_;
  int device_;
};

}  // namespace cohort::cuda
