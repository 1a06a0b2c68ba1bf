// A block of memory on one device, shared by every tensor view onto it.
//
// CPU storage is 64-byte aligned (cache line / AVX-512 friendly). CUDA storage comes from the
// caching allocator in kernels/cuda/memory.h; core reaches it only through that declaration.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "core/device.h"
#include "core/poison.h"

namespace cohort {

class Storage {
 public:
  // Allocates `nbytes` on `device` (uninitialised).
  Storage(size_t nbytes, Device device);
  // Page-locked host memory (CUDA builds only), for asynchronous host->device copies.
  static std::shared_ptr<Storage> pinned(size_t nbytes);
  // Wraps memory owned elsewhere; `deleter` runs when the last view goes away.
  Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool is_pinned() const { return pinned_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  std::function<void(void*)> deleter_;
  bool pinned_ = false;
};

}  // namespace cohort
