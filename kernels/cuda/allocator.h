// Caching allocators of the CUDA backend (docs/architecture.md): device memory and pinned
// host memory are obtained from the driver in segments and recycled, never cudaMalloc'ed per
// tensor on the hot path. Internal header (CUDA types); the public face is memory_stats.h and
// runtime.h's device_alloc/device_free/pinned_alloc/pinned_free.
//
// Device allocator (one per device, thread-safe):
//   - request sizes are rounded up to 512 bytes;
//   - small requests (<= 1 MiB) are carved from 2 MiB segments, large ones from segments of the
//     request rounded up to 2 MiB;
//   - free blocks sit in size-ordered sets per pool, keyed by (stream, size, address): a request
//     takes the smallest free block of its stream that fits (best fit) and splits off the
//     remainder when it is worth keeping (>= 512 B in the small pool, > 1 MiB in the large one);
//   - freeing merges a block with its free neighbours of the same segment;
//   - memory freed on stream S is reused only by requests on S, which the stream orders after
//     every kernel that used it; no synchronisation is needed. A tensor used on another stream
//     must not be freed before that stream has been synchronised (there is no record_stream);
//   - a stream that is destroyed is forgotten first (context.h: Stream, forget_stream): its
//     blocks join the default stream's pools, so no pool outlives its stream;
//   - when cudaMalloc fails, every fully free cached segment is released and the call retried;
//     if that fails too, BackendError reports the request and the allocated/reserved bytes.
//
// Pinned allocator (one for the process): sizes rounded up to a power of two (>= 4 KiB), blocks
// reused whole. Copies that read or write a pinned block asynchronously record an event on it
// (record_pinned_use); a freed block is handed out again only once its events have completed,
// so a data loader can recycle pinned batches without waiting for each copy.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "kernels/cuda/memory_stats.h"

namespace cohort::cuda {

// Device memory on `device`, associated with `stream` (the caller has made `device` current).
void* caching_device_malloc(size_t nbytes, int device, cudaStream_t stream);
// Never throws (called from destructors); an unknown pointer is reported on stderr and ignored.
void caching_device_free(void* ptr, int device);
void release_cached_device_memory();  // every device
// `stream` (of `device`) is about to be destroyed and has been synchronised: its cached and live
// blocks move to the default stream's pools (context.h's Stream and forget_stream call this).
void caching_device_forget_stream(cudaStream_t stream, int device);

void* caching_pinned_malloc(size_t nbytes);
void caching_pinned_free(void* ptr);
// True when `ptr` points into a live pinned block.
bool is_pinned_pointer(const void* ptr);
// An asynchronous copy on `stream` (of `device`) uses the pinned block containing `ptr`:
// the block is not recycled before the copy completes. No-op for other pointers.
void record_pinned_use(const void* ptr, cudaStream_t stream, int device);
void release_cached_pinned_memory();

}  // namespace cohort::cuda
