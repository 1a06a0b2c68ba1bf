// The training device of a run from its `device` key: auto (the first CUDA device when one is
// usable, else the CPU), cpu, cuda or cuda:N.
#pragma once

#include <string>

#include "core/device.h"

namespace cohort::distill {

// A BackendError when a CUDA device is asked for and none is usable; a ValueError for a spec
// that is not a device.
Device resolve_device(const std::string& spec);

}  // namespace cohort::distill
