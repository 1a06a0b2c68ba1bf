// The device and pinned-host caching allocators described in allocator.h.
#include "kernels/cuda/allocator.h"

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/device_util.h"
#include "kernels/cuda/runtime.h"

namespace cohort::cuda {

namespace {

constexpr size_t kRound = 512;                  // every request is a multiple of this
constexpr size_t kSmallRequest = 1 << 20;       // <= 1 MiB: small pool
constexpr size_t kSmallSegment = 2 << 20;       // small pool segments
constexpr size_t kLargeSegmentRound = 2 << 20;  // large segments are multiples of 2 MiB

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

std::string mib(size_t bytes) {
  return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

void update_peaks(MemoryStats& s) {
  if (s.allocated_bytes > s.peak_allocated_bytes) s.peak_allocated_bytes = s.allocated_bytes;
  if (s.reserved_bytes > s.peak_reserved_bytes) s.peak_reserved_bytes = s.reserved_bytes;
}

// ---- device memory -----------------------------------------------------------------------

// A piece of a segment. Blocks of one segment form a doubly linked list in address order;
// a segment is entirely free when its only block is free (no prev, no next).
struct Block {
  cudaStream_t stream;
  size_t size;
  char* ptr;
  bool small;
  bool allocated = false;
  Block* prev = nullptr;
  Block* next = nullptr;
};

struct BlockOrder {
  bool operator()(const Block* a, const Block* b) const {
    if (a->stream != b->stream)
      return reinterpret_cast<uintptr_t>(a->stream) < reinterpret_cast<uintptr_t>(b->stream);
    if (a->size != b->size) return a->size < b->size;
    return reinterpret_cast<uintptr_t>(a->ptr) < reinterpret_cast<uintptr_t>(b->ptr);
  }
};
using FreeBlocks = std::set<Block*, BlockOrder>;

class DeviceAllocator {
 public:
  explicit DeviceAllocator(int device) : device_(device) {}

  void* malloc(size_t nbytes, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t size = round_up(nbytes == 0 ? 1 : nbytes, kRound);
    const bool small = size <= kSmallRequest;
    FreeBlocks& pool = small ? small_free_ : large_free_;
    ++stats_.alloc_calls;

    Block* block = take_free_block(pool, stream, size);
    if (block) {
      ++stats_.cache_hits;
    } else {
      const size_t segment = small ? kSmallSegment : round_up(size, kLargeSegmentRound);
      block = new Block{stream, segment, static_cast<char*>(driver_malloc(segment, nbytes)), small};
    }
    // Split off the remainder when it is worth keeping as a free block of its own.
    const size_t remaining = block->size - size;
    if (small ? remaining >= kRound : remaining > kSmallRequest) {
      Block* rest = new Block{stream, remaining, block->ptr + size, small};
      rest->prev = block;
      rest->next = block->next;
      if (block->next) block->next->prev = rest;
      block->next = rest;
      block->size = size;
      pool.insert(rest);
    }
    block->allocated = true;
    live_[block->ptr] = block;
    stats_.allocated_bytes += block->size;
    ++stats_.active_blocks;
    update_peaks(stats_);
    return block->ptr;
  }

  void free(void* ptr) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(ptr);
    if (it == live_.end()) {
      std::fprintf(stderr, "cohort: device_free of a pointer not allocated on cuda:%d (ignored)\n",
                   device_);
      return;
    }
    Block* block = it->second;
    live_.erase(it);
    block->allocated = false;
    stats_.allocated_bytes -= block->size;
    --stats_.active_blocks;
    FreeBlocks& pool = block->small ? small_free_ : large_free_;
    // Merge with free neighbours (they are in `pool`: same segment, hence same pool and stream).
    if (block->prev && !block->prev->allocated) {
      Block* prev = block->prev;
      pool.erase(prev);
      prev->size += block->size;
      prev->next = block->next;
      if (block->next) block->next->prev = prev;
      delete block;
      block = prev;
    }
    if (block->next && !block->next->allocated) {
      Block* next = block->next;
      pool.erase(next);
      block->size += next->size;
      block->next = next->next;
      if (next->next) next->next->prev = block;
      delete next;
    }
    pool.insert(block);
  }

  void release_cached() {
    std::lock_guard<std::mutex> lock(mu_);
    release_cached_locked();
  }

  // `stream` is going away and has been synchronised: every block associated with it — free
  // ones now, live ones when they are freed — joins the default stream's pools. Otherwise its
  // free memory would be stranded, and a new stream that gets the same handle would take over
  // blocks whose ordering guarantees belonged to the old one.
  void forget_stream(cudaStream_t stream) {
    if (stream == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [ptr, block] : live_)
      if (block->stream == stream) block->stream = nullptr;
    for (FreeBlocks* pool : {&small_free_, &large_free_}) {
      std::vector<Block*> moved;
      for (auto it = pool->begin(); it != pool->end();) {
        if ((*it)->stream == stream) {
          moved.push_back(*it);
          it = pool->erase(it);
        } else {
          ++it;
        }
      }
      for (Block* block : moved) {
        block->stream = nullptr;
        pool->insert(block);
      }
    }
  }

  MemoryStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void reset_peak() {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.peak_allocated_bytes = stats_.allocated_bytes;
    stats_.peak_reserved_bytes = stats_.reserved_bytes;
  }

 private:
  // Smallest free block of `stream` with at least `size` bytes, removed from the pool.
  static Block* take_free_block(FreeBlocks& pool, cudaStream_t stream, size_t size) {
    Block key{stream, size, nullptr, false};
    auto it = pool.lower_bound(&key);
    if (it == pool.end() || (*it)->stream != stream) return nullptr;
    Block* block = *it;
    pool.erase(it);
    return block;
  }

  void* driver_malloc(size_t segment, size_t requested) {
    void* ptr = nullptr;
    cudaError_t err = cudaMalloc(&ptr, segment);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // not sticky: clear it and try again with the cache released
      release_cached_locked();
      err = cudaMalloc(&ptr, segment);
    }
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      ++stats_.ooms;
      size_t free_bytes = 0, total_bytes = 0;
      cudaMemGetInfo(&free_bytes, &total_bytes);
      cudaGetLastError();
      throw BackendError(fmt::format(
          "CUDA out of memory on cuda:{}: tried to allocate {} bytes ({}); {} allocated by live "
          "tensors, {} reserved by the caching allocator ({} bytes allocated, {} bytes reserved); "
          "the device has {} free of {} total. Free tensors, call cohort::cuda_empty_cache(), or "
          "reduce the batch size",
          device_, requested, mib(requested), mib(stats_.allocated_bytes),
          mib(stats_.reserved_bytes), stats_.allocated_bytes, stats_.reserved_bytes,
          mib(free_bytes), mib(total_bytes)));
    }
    if (err != cudaSuccess) detail::throw_cuda(err, "cudaMalloc", __FILE__, __LINE__);
    stats_.reserved_bytes += segment;
    ++stats_.driver_allocs;
    update_peaks(stats_);
    return ptr;
  }

  // Frees every segment whose single block is free. cudaFree synchronises the device, so no
  // kernel can still be using the memory.
  void release_cached_locked() {
    for (FreeBlocks* pool : {&small_free_, &large_free_}) {
      for (auto it = pool->begin(); it != pool->end();) {
        Block* block = *it;
        if (block->prev || block->next) {
          ++it;
          continue;
        }
        COHORT_CUDA_CHECK(cudaFree(block->ptr));
        stats_.reserved_bytes -= block->size;
        ++stats_.driver_frees;
        it = pool->erase(it);
        delete block;
      }
    }
  }

  int device_;
  std::mutex mu_;
  FreeBlocks small_free_, large_free_;
  std::unordered_map<void*, Block*> live_;
  MemoryStats stats_;
};

// One allocator per device, created on first use and intentionally never destroyed: tensors
// with static storage duration may be freed after main returns, when destroying the allocator
// (or calling cudaFree after the runtime shut down) would be unsafe. The OS reclaims it all.
std::vector<DeviceAllocator*>& device_allocators() {
  static std::vector<DeviceAllocator*>* all = [] {
    auto* v = new std::vector<DeviceAllocator*>();
    for (int d = 0; d < device_count(); ++d) v->push_back(new DeviceAllocator(d));
    return v;
  }();
  return *all;
}

DeviceAllocator& device_allocator(int device) {
  auto& all = device_allocators();
  COHORT_CHECK(device >= 0 && device < static_cast<int>(all.size()),
               "cuda:{}: no such device ({} CUDA devices)", device, all.size());
  return *all[static_cast<size_t>(device)];
}

// ---- pinned host memory ------------------------------------------------------------------

struct HostBlock {
  char* ptr;
  size_t size;
  bool allocated = false;
  std::vector<std::pair<cudaEvent_t, int>> uses;  // events of copies in flight, with their device
};

class PinnedAllocator {
 public:
  void* malloc(size_t nbytes) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t size = 4096;
    while (size < nbytes) size *= 2;
    ++stats_.alloc_calls;
    collect_completed();
    HostBlock* block = nullptr;
    auto it = free_.lower_bound(size);
    if (it != free_.end() && it->first == size) {  // power-of-two sizes: exact reuse only
      block = it->second;
      free_.erase(it);
      ++stats_.cache_hits;
    } else {
      void* ptr = nullptr;
      cudaError_t err = cudaHostAlloc(&ptr, size, cudaHostAllocPortable);
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        release_cached_locked();
        err = cudaHostAlloc(&ptr, size, cudaHostAllocPortable);
      }
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        ++stats_.ooms;
        throw BackendError(fmt::format(
            "out of page-locked host memory: tried to allocate {} bytes ({}); {} in use, {} "
            "reserved by the pinned-memory cache",
            nbytes, mib(size), mib(stats_.allocated_bytes), mib(stats_.reserved_bytes)));
      }
      if (err != cudaSuccess) detail::throw_cuda(err, "cudaHostAlloc", __FILE__, __LINE__);
      block = new HostBlock{static_cast<char*>(ptr), size, false, {}};
      blocks_[block->ptr] = block;
      stats_.reserved_bytes += size;
      ++stats_.driver_allocs;
    }
    block->allocated = true;
    stats_.allocated_bytes += block->size;
    ++stats_.active_blocks;
    update_peaks(stats_);
    return block->ptr;
  }

  void free(void* ptr) {
    std::lock_guard<std::mutex> lock(mu_);
    HostBlock* block = find(ptr);
    if (!block || !block->allocated || block->ptr != ptr) {
      std::fprintf(stderr, "cohort: pinned_free of a pointer not from pinned_alloc (ignored)\n");
      return;
    }
    block->allocated = false;
    stats_.allocated_bytes -= block->size;
    --stats_.active_blocks;
    if (block->uses.empty()) free_.emplace(block->size, block);
    else pending_.push_back(block);
  }

  bool contains(const void* ptr) {
    std::lock_guard<std::mutex> lock(mu_);
    HostBlock* block = find(ptr);
    return block && block->allocated;
  }

  void record_use(const void* ptr, cudaStream_t stream, int device) {
    std::lock_guard<std::mutex> lock(mu_);
    HostBlock* block = find(ptr);
    if (!block) return;
    DeviceGuard guard(device);  // an event must be created on the device of its stream
    cudaEvent_t event;
    COHORT_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
    COHORT_CUDA_CHECK(cudaEventRecord(event, stream));
    block->uses.emplace_back(event, device);
  }

  void release_cached() {
    std::lock_guard<std::mutex> lock(mu_);
    release_cached_locked();
  }



  MemoryStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  // The block whose range contains ptr, or nullptr.
  HostBlock* find(const void* ptr) {
    const char* p = static_cast<const char*>(ptr);
    auto it = blocks_.upper_bound(const_cast<char*>(p));
    if (it == blocks_.begin()) return nullptr;
    --it;
    HostBlock* block = it->second;
    return p < block->ptr + block->size ? block : nullptr;
  }

  // Drops completed events; freed blocks without pending copies become reusable.
  void collect_completed() {
    auto done = [](HostBlock* block) {
      auto& uses = block->uses;
      for (auto it = uses.begin(); it != uses.end();) {
        cudaError_t q = cudaEventQuery(it->first);
        if (q == cudaErrorNotReady) {
          cudaGetLastError();
          ++it;
          continue;
        }
        if (q != cudaSuccess) detail::throw_cuda(q, "cudaEventQuery", __FILE__, __LINE__);
        cudaEventDestroy(it->first);
        it = uses.erase(it);
      }
      return uses.empty();
    };
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (done(*it)) {
        free_.emplace((*it)->size, *it);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    // Events on live blocks are dropped too once complete, so they do not pile up.
    for (auto& [ptr, block] : blocks_)
      if (block->allocated && !block->uses.empty()) done(block);
  }

  void release_cached_locked() {
    collect_completed();
    for (auto& [size, block] : free_) {
      COHORT_CUDA_CHECK(cudaFreeHost(block->ptr));
      stats_.reserved_bytes -= block->size;
      ++stats_.driver_frees;
      blocks_.erase(block->ptr);
      delete block;
    }
    free_.clear();
  }

  std::mutex mu_;
  std::map<char*, HostBlock*> blocks_;        // every block, by address
  std::multimap<size_t, HostBlock*> free_;    // reusable now, by size
  std::vector<HostBlock*> pending_;           // freed, copies still in flight
  MemoryStats stats_;
};

PinnedAllocator& pinned_allocator() {
  static PinnedAllocator* a = new PinnedAllocator();  // never destroyed, like the device ones
  return *a;
}

}  // namespace

void* caching_device_malloc(size_t nbytes, int device, cudaStream_t stream) {
  return device_allocator(device).malloc(nbytes, stream);
}

void caching_device_free(void* ptr, int device) {
  if (!ptr) return;
  auto& all = device_allocators();
  if (device < 0 || device >= static_cast<int>(all.size())) {
    std::fprintf(stderr, "cohort: device_free on cuda:%d, which does not exist (ignored)\n", device);
    return;
  }
  all[static_cast<size_t>(device)]->free(ptr);
}

void caching_device_forget_stream(cudaStream_t stream, int device) {
  device_allocator(device).forget_stream(stream);
}

void release_cached_device_memory() {
  for (int d = 0; d < static_cast<int>(device_allocators().size()); ++d) {
    DeviceGuard guard(d);
    device_allocators()[static_cast<size_t>(d)]->release_cached();
  }
}

void* caching_pinned_malloc(size_t nbytes) { return pinned_allocator().malloc(nbytes); }
void caching_pinned_free(void* ptr) {
  if (ptr) pinned_allocator().free(ptr);
}
bool is_pinned_pointer(const void* ptr) { return pinned_allocator().contains(ptr); }
void record_pinned_use(const void* ptr, cudaStream_t stream, int device) {
  pinned_allocator().record_use(ptr, stream, device);
}
void release_cached_pinned_memory() { pinned_allocator().release_cached(); }

MemoryStats memory_stats(int device) {
  require_device(device);
  return device_allocator(device).stats();
}

MemoryStats pinned_memory_stats() { return pinned_allocator().stats(); }

void reset_peak_memory_stats(int device) {
  require_device(device);
  device_allocator(device).reset_peak();
}

}  // namespace cohort::cuda
