// DataLoader: shuffling, batching, augmentation on worker threads, copies to the device.
//
// Reproducibility contract. Everything a batch contains is a function of (options.seed, epoch,
// batch index) alone:
//   - the epoch's order is a Fisher–Yates shuffle of 0..N-1 driven by a Generator seeded with
//     shuffle_seed(seed, epoch) (identity order when shuffle is off);
//   - batch b holds positions [b * batch_size, (b + 1) * batch_size) of that order (the last
//     batch is shorter unless drop_last);
//   - example i is augmented with its own Generator seeded with augment_seed(seed, epoch, i)
//     (datasets/seeding.h), so the number of workers and their scheduling change nothing.
// Hence `epoch(e, k)` — iteration starting at batch k — yields exactly the batches k, k+1, ...
// of an uninterrupted epoch e: resuming from a checkpoint that stored (epoch, next batch) is exact.
//
// Threads. With num_workers = 0 batches are built in the consumer's thread when asked for. With
// N > 0 an EpochIterator starts N workers that claim whole batches in order and build them; at
// most `prefetch` batches are claimed ahead of the consumer (a bounded queue), and the consumer
// receives them in order. Destroying the iterator early stops and joins the workers (no hang).
// An exception in a worker (unreadable file, corrupt image, transform error) is rethrown in the
// consumer by next(), with the same type, prefixed by the epoch, batch, dataset index and the
// example's provenance (file and record).
//
// The dataset and transforms are shared with the worker threads: get() and apply() must be
// thread-safe (every reader and transform in datasets/ is).
//
// Devices. Batches are built on the CPU as f32 NCHW images and i64 labels. For a CUDA device the
// worker copies them into pinned memory (Tensor::pin_memory) and the consumer starts
// asynchronous copies (to(device, non_blocking = true)) on the current stream; Batch keeps the
// pinned host tensors alive alongside the device tensors.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "datasets/dataset.h"
#include "datasets/transforms.h"

namespace cohort::data {

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;
  int num_workers = 2;   // 0: build batches in the consumer's thread
  int prefetch = 0;      // batches in flight ahead of the consumer; 0 means 2 * max(1, num_workers)
  uint64_t seed = 0;
  Device device = Device::cpu();
};

struct Batch {
  int64_t index = 0;              // batch number within the epoch
  Tensor images;                  // f32 [B, C, H, W] on the loader's device
  Tensor labels;                  // i64 [B] on the loader's device
  Tensor person_ids, camera_ids;  // i64 [B] on the CPU; defined when the dataset provides them
  std::vector<int64_t> indices;   // the dataset indices of the B rows
  Tensor host_images, host_labels;  // CUDA device only: the pinned sources of the async copies
};

class EpochIterator;

class DataLoader {
 public:
  // `transform` may be null (no augmentation). `normalize` turns the transformed u8 HWC images
  // into f32 CHW (identity_stats(c) for plain scaling to [0, 1]).
  DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Transform> transform,
             Normalize normalize, LoaderOptions options);

  const Dataset& dataset() const { return *dataset_; }
  const LoaderOptions& options() const { return options_; }
  const Transform* transform() const { return transform_.get(); }
  const Normalize& normalize() const { return normalize_; }
  // Batches per epoch: ceil(N / B), or floor(N / B) with drop_last.
  int64_t num_batches() const;
  // Dataset indices in the order epoch `epoch` visits them.
  std::vector<int64_t> order(int64_t epoch) const;
  // Iterates epoch `epoch` from batch `start_batch` (0 <= start_batch <= num_batches()).
  EpochIterator epoch(int64_t epoch, int64_t start_batch = 0) const;
  // Builds one batch synchronously on the CPU, given the epoch's order (see order()).
  Batch build_batch(int64_t epoch, int64_t batch, const std::vector<int64_t>& order) const;

  // Moves a CPU-built batch to the loader's device: nothing for the CPU; for CUDA, pins it
  // (unless a worker already did) and starts asynchronous copies on the current stream.
  void to_device(Batch& batch) const;

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::shared_ptr<const Transform> transform_;
  Normalize normalize_;
  LoaderOptions options_;
};

// One pass over an epoch. Movable, not copyable; its destructor stops and joins the workers.
// It holds its own copy of the loader's configuration (sharing the dataset and transform), so it
// may outlive the DataLoader that made it.
class EpochIterator {
 public:
  EpochIterator(const DataLoader& loader, int64_t epoch, int64_t start_batch);
  ~EpochIterator();
  EpochIterator(EpochIterator&&) noexcept;
  EpochIterator& operator=(EpochIterator&&) noexcept;
  EpochIterator(const EpochIterator&) = delete;
  EpochIterator& operator=(const EpochIterator&) = delete;

  // The next batch in order, or nullopt at the end of the epoch. Rethrows a worker's exception.
  std::optional<Batch> next();
  // The number of the batch next() returns next (== num_batches() at the end): store it in a
  // checkpoint and pass it to DataLoader::epoch() to resume.
  int64_t position() const;

  // Range-for support: for (Batch& b : loader.epoch(e)) { ... }
  class Iter {
   public:
    explicit Iter(EpochIterator* it) : it_(it) { advance(); }
    Batch& operator*() { return *current_; }
    Iter& operator++() { advance(); return *this; }
    bool operator!=(std::nullptr_t) const { return current_.has_value(); }

   private:
    void advance() { current_ = it_->next(); }
    EpochIterator* it_;
    std::optional<Batch> current_;
  };
  Iter begin() { return Iter(this); }
  std::nullptr_t end() { return nullptr; }

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cohort::data
