// release_free_host_memory gives freed heap pages back to the OS (glibc's malloc_trim).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/host_memory.h"

namespace {

// Resident set size of this process in bytes (/proc/self/statm's second field, in pages).
long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * 4096L;
}

}  // namespace

#if defined(__GLIBC__)
TEST_CASE("release_free_host_memory returns freed heap blocks to the OS", "[core][memory]") {
  // 96 MB in 64 kB blocks (below glibc's mmap threshold: they come from the heap), touched, then
  // freed, with a block allocated after them still in use: free() alone cannot give back what
  // lies below it (it only trims the heap's top).
  constexpr size_t kBlock = 64 << 10, kBlocks = 1536;
  std::vector<char*> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(static_cast<char*>(std::malloc(kBlock)));
    std::memset(blocks.back(), 1, kBlock);
  }
  void* pin = std::malloc(kBlock);
  long checksum = 0;
  for (char* b : blocks) {
    checksum += b[kBlock - 1];  // read, so the blocks cannot be optimised away
    std::free(b);
  }
  REQUIRE(checksum == static_cast<long>(kBlocks));
  const long freed = resident_bytes();
  cohort::release_free_host_memory();
  const long released = resident_bytes();
  INFO("resident after free() " << freed << " B, after the release " << released << " B");
  CHECK(freed - released > 32L << 20);
  std::free(pin);
}
#endif
