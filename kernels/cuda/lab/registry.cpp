// The lab registry: how many versions each family has, their names, which one kBest means.
//
// Expectations, not yet measurements — no GPU run has happened (docs/kernels.md). Row kernels: v2
// keeps a row of up to 1024 floats per tensor in one warp's registers (one global read, no shared
// memory, no block barriers), so it should win for C <= 1024; beyond that the row no longer fits
// and v3's single online pass is the least traffic. FSP: the fused v2 never writes the two Gram
// matrices, so it moves the fewest bytes.
#include "core/error.h"
#include "kernels/cuda/lab/lab.h"

namespace cohort::cuda::lab {

int num_versions(Family family) { return family == Family::fsp ? 3 : 4; }

int resolve_version(Family family, int version, int64_t C, int K) {
  COHORT_CHECK(version == kBest || (version >= 0 && version < num_versions(family)),
               "lab: version {} does not exist (0..{} or kBest)", version, num_versions(family) - 1);
  // kBest: no version has been timed on a GPU yet, so it is the plainest one that is not naive —
  // block per row (v1), for FSP cuBLAS plus the loss kernel (v0). It changes only together with
  // the committed GPU benchmark log that shows another version faster (docs/kernels.md,
  // "Which version ships").
  if (version == kBest) return family == Family::fsp ? 0 : kShippedVersion;
  switch (family) {
    case Family::fsp:
      return version;
    case Family::cohort_kl: {
      const bool fits = K <= 4 && static_cast<int64_t>(K) * C <= 2048;
      return version == 2 && !fits ? 3 : version;
    }
    default:
      return version == 2 && C > 1024 ? 3 : version;
  }
}

const char* version_name(Family family, int version) {
  if (family == Family::fsp) {
    switch (version) {
      case 0: return "v0 cublasSgemmStridedBatched + loss kernel";
      case 1: return "v1 tiled Gram kernel (split-K) + loss kernel";
      case 2: return "v2 fused student-teacher difference tiles";
      default: return "?";
    }
  }
  switch (version) {
    case 0: return "v0 thread-per-row";
    case 1: return "v1 block-per-row shared-memory reductions";
    case 2: return "v2 warp-per-row registers (float4, sub-warp)";
    case 3: return "v3 block-per-row online softmax";
    default: return "?";
  }
}

}  // namespace cohort::cuda::lab
