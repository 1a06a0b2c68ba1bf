#include "distill/strategies.h"
#include "distill/strategy_common.h"

namespace cohort::distill {

std::unique_ptr<Strategy> make_strategy(const RunConfig& cfg, int64_t num_classes,
                                        int64_t in_channels, Device device) {
  const std::string& name = cfg.strategy.name;
  std::vector<Network> nets = build_networks(cfg, num_classes, in_channels, device);
  if (name == "independent") return std::make_unique<IndependentStrategy>(cfg, std::move(nets));
  if (name == "dml") return std::make_unique<DmlStrategy>(cfg, std::move(nets));
  Network teacher = build_teacher(cfg, num_classes, in_channels, device);
  if (name == "kd") return std::make_unique<KdStrategy>(cfg, std::move(nets), std::move(teacher));
  if (name == "fitnet") return std::make_unique<FitnetStrategy>(cfg, std::move(nets), std::move(teacher));
  if (name == "fsp") return std::make_unique<FspStrategy>(cfg, std::move(nets), std::move(teacher));
  COHORT_FAIL("unknown strategy '{}' (independent, kd, dml, fitnet, fsp)", name);
}

}  // namespace cohort::distill
