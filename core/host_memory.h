// Returning freed host memory to the operating system.
#pragma once

namespace cohort {

// Hands the host heap's free pages back to the OS (glibc's malloc_trim). glibc keeps freed blocks
// below its self-raising mmap threshold resident, so the intermediates of a large forward pass
// whose results are all freed at once — a fixed teacher's, under no_grad — would otherwise add to
// the process's peak memory for the rest of the step. The price is re-faulting those pages on the
// next step. A no-op with a C library that has no malloc_trim.
void release_free_host_memory();

}  // namespace cohort
