#include "distributed/nccl/nccl_api.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "distributed/communicator.h"

namespace cohort::dist {

const NcclApi& nccl() {
  static NcclApi api;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = nullptr;
    for (const char* name : {"libnccl.so.2", "libnccl.so"})
      if ((lib = dlopen(name, RTLD_NOW | RTLD_GLOBAL))) break;
    if (!lib) {
      const char* why = dlerror();
      error = fmt::format("distributed.backend nccl: cannot load libnccl.so.2 ({}); install NCCL or put the folder "
                          "holding it on LD_LIBRARY_PATH (PyTorch's wheels carry one in nvidia/nccl/lib)",
                          why ? why : "not found");
      return;
    }
#define COHORT_NCCL_FN(name)                                                                \
  api.name = reinterpret_cast<decltype(api.name)>(dlsym(lib, #name));                       \
  if (!api.name && error.empty()) error = "distributed.backend nccl: libnccl.so.2 lacks " #name " (NCCL >= 2.14 needed)";
#include "distributed/nccl/nccl_functions.inc"
#undef COHORT_NCCL_FN
  });
  if (!error.empty()) throw DistributedError(error);
  return api;
}

}  // namespace cohort::dist
