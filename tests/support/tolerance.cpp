#include "tests/support/tolerance.h"

#include <cmath>
#include <vector>

namespace cohort::test {

std::string compare(const Tensor& got, const Tensor& ref, double atol, double rtol) {
  if (!got.defined() || !ref.defined()) return "undefined tensor";
  if (got.shape() != ref.shape())
    return fmt::format("shape mismatch: got {} vs ref {}", shape_str(got.shape()), shape_str(ref.shape()));
  std::vector<double> g = got.detach().to_vector<double>();
  std::vector<double> r = ref.detach().to_vector<double>();
  int64_t worst = -1, failures = 0;
  double worst_excess = 0.0;
  for (size_t i = 0; i < g.size(); ++i) {
    double err = std::fabs(g[i] - r[i]);
    double allowed = atol + rtol * std::fabs(r[i]);
    bool bad = !(err <= allowed);  // NaN compares false: never passes
    if (!bad) continue;
    ++failures;
    double excess = std::isnan(err) ? INFINITY : err - allowed;
    if (worst < 0 || excess > worst_excess) {
      worst = static_cast<int64_t>(i);
      worst_excess = excess;
    }
  }
  if (failures == 0) return "";
  size_t w = static_cast<size_t>(worst);
  return fmt::format("{} of {} elements out of tolerance (atol {}, rtol {}); worst at flat index {}: "
                     "got {:.10g}, ref {:.10g}, |diff| {:.3g}",
                     failures, g.size(), atol, rtol, worst, g[w], r[w], std::fabs(g[w] - r[w]));
}

}  // namespace cohort::test
