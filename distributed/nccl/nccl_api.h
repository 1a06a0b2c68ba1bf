// NCCL's entry points, loaded at run time (dlopen "libnccl.so.2") rather than linked: the library
// is over 200 MB, and a binary that never uses the nccl backend should neither need nor carry
// it (the GPU bundle of scripts/gpu-bundle.sh; a GPU machine finds NCCL beside CUDA or inside
// PyTorch's wheels, put on LD_LIBRARY_PATH).
#pragma once

#include <nccl.h>

namespace cohort::dist {

struct NcclApi {
#define COHORT_NCCL_FN(name) decltype(&::name) name = nullptr;
#include "distributed/nccl/nccl_functions.inc"
#undef COHORT_NCCL_FN
};

// The loaded API; the first call loads it, a DistributedError says what is missing.
const NcclApi& nccl();

}  // namespace cohort::dist
