#include "distill/bn_state.h"

namespace cohort::distill {

BufferSnapshot::BufferSnapshot(nn::Module& module) : live_(module.named_buffers()) {
  saved_.reserve(live_.size());
  for (const auto& [name, t] : live_) saved_.push_back(t.detach().clone());
}

void BufferSnapshot::restore() {
  for (size_t i = 0; i < live_.size(); ++i) {
    Tensor live = live_[i].second;
    live.copy_(saved_[i]);
  }
}

}  // namespace cohort::distill
