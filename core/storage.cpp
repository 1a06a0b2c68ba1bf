#include "core/storage.h"

#include <cstdlib>
#include <cstring>

#include "core/backend.h"
#include "core/error.h"

namespace cohort {

namespace {
constexpr size_t kCpuAlignment = 64;

void* cpu_alloc(size_t nbytes) {
  // aligned_alloc needs a size that is a multiple of the alignment; zero-size tensors still
  // get a valid unique pointer.
  size_t rounded = (nbytes + kCpuAlignment - 1) / kCpuAlignment * kCpuAlignment;
  if (rounded == 0) rounded = kCpuAlignment;
  void* p = std::aligned_alloc(kCpuAlignment, rounded);
  if (!p) COHORT_FAIL("out of host memory allocating {} bytes", nbytes);
  if (poison_allocations()) std::memset(p, 0xFF, rounded);
  return p;
}
}  // namespace

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu()) {
    data_ = cpu_alloc(nbytes);
    deleter_ = [](void* p) { std::free(p); };
  } else {
    data_ = backend::cuda_alloc(nbytes, device.index);
    int index = device.index;
    deleter_ = [index](void* p) { backend::cuda_free(p, index); };
  }
}

Storage::Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), device_(device), deleter_(std::move(deleter)) {}

std::shared_ptr<Storage> Storage::pinned(size_t nbytes) {
  void* p = backend::pinned_alloc(nbytes);
  auto s = std::make_shared<Storage>(p, nbytes, Device::cpu(), [](void* q) { backend::pinned_free(q); });
  s->pinned_ = true;
  return s;
}

Storage::~Storage() {
  if (data_ && deleter_) deleter_(data_);
}

}  // namespace cohort
