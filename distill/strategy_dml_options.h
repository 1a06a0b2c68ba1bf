// dml's typed options (strategy.* keys), shared by the one-process strategy (strategy_dml.cpp)
// and the one spread over ranks (distributed/cohort_strategy.cpp).
#pragma once

#include "core/ops/losses.h"
#include "distill/config_error.h"
#include "distill/run_config.h"
#include "distill/strategy_options.h"

namespace cohort::distill {

enum class DmlUpdate { sync, sequential };
enum class PeerReduction { average, sum };
enum class DmlTeacher { peers, ensemble };

struct DmlOptions : OptionsOf<DmlOptions> {
  double temperature = 1.0;
  double mimicry_weight = 1.0;  // λ
  PeerReduction peer_reduction = PeerReduction::average;
  DmlTeacher teacher = DmlTeacher::peers;  // ensemble: DML_e
  DmlUpdate update = DmlUpdate::sync;      // sequential: the paper's Algorithm 1
  void bind(OptionBinder& b) override {
    b.add("temperature", temperature, Bound::positive);
    b.add("mimicry_weight", mimicry_weight);
    b.choice("peer_reduction", peer_reduction, {{"average", PeerReduction::average}, {"sum", PeerReduction::sum}});
    b.choice("teacher", teacher, {{"peers", DmlTeacher::peers}, {"ensemble", DmlTeacher::ensemble}});
    b.choice("update", update, {{"sync", DmlUpdate::sync}, {"sequential", DmlUpdate::sequential}});
  }
  // The cohort op's mode these options select.
  DmlMode mode() const {
    if (teacher == DmlTeacher::ensemble) return DmlMode::ensemble;
    return peer_reduction == PeerReduction::sum ? DmlMode::sum : DmlMode::average;
  }
  void validate(const RunConfig& cfg) const override {
    if (cfg.networks.size() < 2)
      config_fail("strategy.name", "strategy 'dml' needs at least 2 networks, got {}", cfg.networks.size());
  }
};

}  // namespace cohort::distill
