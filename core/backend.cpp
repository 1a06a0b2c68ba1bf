#include "core/backend.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"

namespace cohort::backend {

void throw_no_cuda(std::string_view what) {
  throw BackendError(fmt::format("{}: cohort was built without CUDA", what));
}

#ifdef COHORT_WITH_CUDA

bool cuda_available() { return cuda::is_available(); }
std::string device_report() { return cuda::device_report(); }
void* cuda_alloc(size_t nbytes, int device) { return cuda::device_alloc(nbytes, device); }
void cuda_free(void* ptr, int device) { cuda::device_free(ptr, device); }
void* pinned_alloc(size_t nbytes) { return cuda::pinned_alloc(nbytes); }
void pinned_free(void* ptr) { cuda::pinned_free(ptr); }
void copy_bytes_async(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    if (nbytes) std::memcpy(dst, src, nbytes);
    return;
  }
  cuda::copy_bytes_async(dst, dst_device.is_cuda(), dst_device.index, src, src_device.is_cuda(),
                         src_device.index, nbytes);
}
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    if (nbytes) std::memcpy(dst, src, nbytes);
    return;
  }
  cuda::copy_bytes(dst, dst_device.is_cuda(), dst_device.index, src, src_device.is_cuda(),
                   src_device.index, nbytes);
}
void synchronize(Device device) {
  if (device.is_cuda()) cuda::synchronize(device.index);
}
void maybe_sync_after(Device device, std::string_view op) {
  static const bool sync_every_op = [] {
    const char* v = std::getenv("COHORT_SYNC");
    return v && std::string(v) == "1";
  }();
  if (sync_every_op) cuda::synchronize_and_check(device.index, std::string(op).c_str());
}

#else

bool cuda_available() { return false; }
std::string device_report() { return "devices: cpu (this build has no CUDA backend)"; }
void* cuda_alloc(size_t, int) { throw_no_cuda("cuda_alloc"); }
void cuda_free(void*, int) {}
void* pinned_alloc(size_t) { throw_no_cuda("pin_memory"); }
void pinned_free(void*) {}
void copy_bytes_async(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  copy_bytes(dst, dst_device, src, src_device, nbytes);
}
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (dst_device.is_cuda() || src_device.is_cuda()) throw_no_cuda("copy");
  if (nbytes) std::memcpy(dst, src, nbytes);
}
void synchronize(Device device) {
  if (device.is_cuda()) throw_no_cuda("synchronize");
}
void maybe_sync_after(Device, std::string_view) {}

#endif

}  // namespace cohort::backend
