#include "layers/activation_layout.h"

#include <atomic>
#include <cstdlib>
#include <string_view>

#include "core/error.h"
#include "core/ops/nn.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace cohort::nn {

namespace {
thread_local bool active = false;
}  // namespace

bool channels_last_active() { return active; }

ChannelsLastScope::ChannelsLastScope(bool on) : previous_(active) { active = on; }
ChannelsLastScope::~ChannelsLastScope() { active = previous_; }

Tensor to_active_layout(const Tensor& nchw) { return active ? ops::to_channels_last(nchw) : nchw; }

Tensor to_nchw(const Tensor& activation) { return active ? ops::to_channels_first(activation) : activation; }

Tensor global_avg_pool(const Tensor& activation) {
  return active ? ops::mean(activation, {1, 2}) : ops::global_avg_pool2d(activation);
}

CpuLayout parse_cpu_layout(const char* value) {
  const std::string_view v = value ? value : "";
  if (v.empty() || v == "nhwc") return CpuLayout::nhwc;
  if (v == "nchw") return CpuLayout::nchw;
  COHORT_CHECK(false, "COHORT_CPU_LAYOUT='{}' is not an activation layout: use 'nhwc' (channels last, the "
                      "default with oneDNN convolutions) or 'nchw'",
               v);
  return CpuLayout::nhwc;  // not reached
}

namespace {
// -1: not read yet; else a CpuLayout.
std::atomic<int> layout_setting{-1};
}  // namespace

CpuLayout cpu_layout() {
  int v = layout_setting.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(parse_cpu_layout(std::getenv("COHORT_CPU_LAYOUT")));
    int unset = -1;
    if (!layout_setting.compare_exchange_strong(unset, v)) v = unset;  // set meanwhile: keep that
  }
  return static_cast<CpuLayout>(v);
}

void set_cpu_layout(CpuLayout layout) { layout_setting.store(static_cast<int>(layout)); }

bool channels_last_for(const Tensor& x) {
  return x.device().is_cpu() && x.dtype() == DType::f32 && cpu_layout() == CpuLayout::nhwc &&
         ops::cpu_conv_uses_onednn();
}

}  // namespace cohort::nn
