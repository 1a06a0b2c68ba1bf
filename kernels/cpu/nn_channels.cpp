// CPU channel copies behind concat_channels and its backward.
//
// For [N, C, ...] tensors, channel block [offset, offset + C_src) of image n is one contiguous
// run of C_src·inner elements (inner = product of the dims after C), so each image is a single
// memcpy. Works for any dtype.
#include <cstring>

#include "kernels/nn.h"

namespace cohort::cpu {

namespace {

// Copies `count` runs of `run` bytes, run i from src + i·src_stride to dst + i·dst_stride.
void strided_runs(const char* src, size_t src_stride, char* dst, size_t dst_stride, size_t run,
                  int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    std::memcpy(dst + static_cast<size_t>(i) * dst_stride, src + static_cast<size_t>(i) * src_stride, run);
}

int64_t inner_size(ConstView t) {
  int64_t inner = 1;
  for (int64_t d = 2; d < t.dim(); ++d) inner *= t.size(d);
  return inner;
}

}  // namespace

void copy_channels(ConstView src, View dst, int64_t channel_offset) {
  const size_t elem = dtype_size(src.dtype());
  const size_t inner = static_cast<size_t>(inner_size(src));
  const size_t src_image = static_cast<size_t>(src.size(1)) * inner * elem;
  const size_t dst_image = static_cast<size_t>(dst.size(1)) * inner * elem;
  char* d = static_cast<char*>(dst.raw_data()) + static_cast<size_t>(channel_offset) * inner * elem;
  strided_runs(static_cast<const char*>(src.raw_data()), src_image, d, dst_image, src_image,
               src.size(0));
}

void slice_channels(ConstView src, View dst, int64_t channel_offset) {
  const size_t elem = dtype_size(src.dtype());
  const size_t inner = static_cast<size_t>(inner_size(src));
  const size_t src_image = static_cast<size_t>(src.size(1)) * inner * elem;
  const size_t dst_image = static_cast<size_t>(dst.size(1)) * inner * elem;
  const char* s = static_cast<const char*>(src.raw_data()) + static_cast<size_t>(channel_offset) * inner * elem;
  strided_runs(s, src_image, static_cast<char*>(dst.raw_data()), dst_image, dst_image, dst.size(0));
}

}  // namespace cohort::cpu
