#include "core/host_memory.h"

#include <cstdlib>  // defines __GLIBC__ on glibc systems (the check below needs a libc header first)

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cohort {

void release_free_host_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace cohort
