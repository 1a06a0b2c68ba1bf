#include "kernels/cuda/label_check.h"

#include <deque>
#include <vector>

#include "core/error.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/device_util.h"
#include "kernels/cuda/runtime.h"
#include "kernels/cuda/scratch.h"

namespace cohort::cuda {

namespace {

struct PendingCheck {
  int* host_flag;  // pinned; written by the queued copy
  cudaEvent_t done;
  int64_t* labels;  // device copy of the labels, from device_alloc
  int64_t N;
  int64_t C, ignore_index;
  int device;
};

// This thread's checks in issue order. Released at thread exit (errors ignored there).
struct PendingChecks {
  std::deque<PendingCheck> checks;
  ~PendingChecks() {
    for (PendingCheck& c : checks) {
      cudaEventDestroy(c.done);
      pinned_free(c.host_flag);
      device_free(c.labels, c.device);
    }
  }
};

PendingChecks& pending() {
  thread_local PendingChecks p;
  return p;
}

// The labels as the kernel saw them (a synchronising copy).
std::vector<int64_t> read_labels(const PendingCheck& c) {
  std::vector<int64_t> y(static_cast<size_t>(c.N));
  copy_bytes(y.data(), false, 0, c.labels, true, c.device, y.size() * sizeof(int64_t));
  return y;
}

[[noreturn]] void throw_bad_label(const std::vector<int64_t>& y, const PendingCheck& c) {
  for (size_t n = 0; n < y.size(); ++n)
    COHORT_CHECK(y[n] == c.ignore_index || (y[n] >= 0 && y[n] < c.C),
                 "cross_entropy: label {} at row {} is outside [0, {}) (and is not ignore_index {})", y[n], n, c.C,
                 c.ignore_index);
  // Unreachable unless the flag and the copy disagree; still an error, never silence.
  throw ValueError(fmt::format("cross_entropy: a label was outside [0, {}) when the loss ran", c.C));
}

}  // namespace

void defer_label_check(const int* device_flag, ConstView labels, int64_t C, int64_t ignore_index, int device,
                       cudaStream_t stream) {
  set_sync_hook(check_deferred_labels);  // the runtime's synchronising calls run the checks
  DeviceGuard guard(device);
  DeviceScratch copy(labels.nbytes(), device);
  COHORT_CUDA_CHECK(cudaMemcpyAsync(copy.get(), labels.raw_data(), labels.nbytes(), cudaMemcpyDeviceToDevice, stream));
  PendingCheck c{static_cast<int*>(pinned_alloc(sizeof(int))), nullptr, copy.as<int64_t>(), labels.numel(), C,
                 ignore_index, device};
  cudaError_t err = cudaEventCreateWithFlags(&c.done, cudaEventDisableTiming);
  if (err != cudaSuccess) pinned_free(c.host_flag);
  COHORT_CUDA_CHECK(err);
  pending().checks.push_back(c);
  copy.release();  // owned by the pending check now
  COHORT_CUDA_CHECK(cudaMemcpyAsync(c.host_flag, device_flag, sizeof(int), cudaMemcpyDeviceToHost, stream));
  COHORT_CUDA_CHECK(cudaEventRecord(c.done, stream));
}

void check_deferred_labels() {
  // The error path reads the labels back, a synchronising copy that calls this again.
  thread_local bool checking = false;
  if (checking) return;
  checking = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{checking};
  auto& checks = pending().checks;
  for (auto it = checks.begin(); it != checks.end();) {
    const cudaError_t state = cudaEventQuery(it->done);
    if (state == cudaErrorNotReady) {
      ++it;
      continue;
    }
    const PendingCheck c = *it;
    it = checks.erase(it);
    const bool bad = state == cudaSuccess && *c.host_flag != 0;
    cudaEventDestroy(c.done);
    pinned_free(c.host_flag);
    struct FreeLabels {
      const PendingCheck& c;
      ~FreeLabels() { device_free(c.labels, c.device); }
    } free_labels{c};
    COHORT_CUDA_CHECK(state);
    if (bad) throw_bad_label(read_labels(c), c);
  }
}

size_t pending_label_checks() { return pending().checks.size(); }

}  // namespace cohort::cuda
