#include "datasets/loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/random.h"
#include "datasets/seeding.h"

namespace cohort::data {

namespace {

// Thrown inside a worker when the iterator is being destroyed; never reaches the consumer.
struct Cancelled {};

// Rethrows the exception in flight with `context` prefixed, keeping its cohort type.
[[noreturn]] void rethrow_with_context(const std::string& context) {
  try {
    throw;
  } catch (const IOError& e) {
    throw IOError(context + e.what());
  } catch (const ValueError& e) {
    throw ValueError(context + e.what());
  } catch (const BackendError& e) {
    throw BackendError(context + e.what());
  } catch (const std::exception& e) {
    throw Error(context + e.what());
  }
}

// Builds batch `batch` of `epoch` on the CPU; `cancel` (may be null) aborts between examples.
Batch build(const DataLoader& loader, int64_t epoch, int64_t batch, const std::vector<int64_t>& order,
            const std::atomic<bool>* cancel) {
  const LoaderOptions& opt = loader.options();
  const Transform* transform = loader.transform();
  const Normalize& normalize = loader.normalize();
  const Dataset& ds = loader.dataset();
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t begin = batch * opt.batch_size, end = std::min(n, begin + opt.batch_size);
  COHORT_CHECK(begin < end, "DataLoader: batch {} is past the end of the epoch ({} examples, batch size {})",
               batch, n, opt.batch_size);
  const int64_t rows = end - begin;
  Batch out;
  out.index = batch;
  out.indices.assign(order.begin() + begin, order.begin() + end);
  out.labels = Tensor::empty({rows}, DType::i64);
  int64_t* labels = out.labels.data<int64_t>();
  int64_t* person = nullptr;
  int64_t* camera = nullptr;
  float* images = nullptr;
  int64_t c = 0, h = 0, w = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled{};
    const int64_t index = out.indices[static_cast<size_t>(r)];
    try {
      Example ex = ds.get(index);
      if (transform) {
        Generator gen(augment_seed(opt.seed, epoch, index));
        transform->apply(ex.image, gen);
      }
      const Image& img = ex.image;
      if (r == 0) {
        c = img.c, h = img.h, w = img.w;
        out.images = Tensor::empty({rows, c, h, w}, DType::f32);
        images = out.images.data<float>();
        if (ex.person_id) {
          out.person_ids = Tensor::empty({rows}, DType::i64);
          person = out.person_ids.data<int64_t>();
        }
        if (ex.camera_id) {
          out.camera_ids = Tensor::empty({rows}, DType::i64);
          camera = out.camera_ids.data<int64_t>();
        }
      }
      COHORT_CHECK(img.c == c && img.h == h && img.w == w,
                   "image is {}x{}x{} (HxWxC) after the transforms but the batch's first image is "
                   "{}x{}x{}: add a Resize/crop so all images have one size",
                   img.h, img.w, img.c, h, w, c);
      COHORT_CHECK(ex.person_id.has_value() == (person != nullptr) &&
                       ex.camera_id.has_value() == (camera != nullptr),
                   "examples of one batch disagree on having person/camera ids");
      normalize.apply(img, images + r * c * h * w);
      labels[r] = ex.label;
      if (person) person[r] = *ex.person_id;
      if (camera) camera[r] = *ex.camera_id;
    } catch (const Cancelled&) {
      throw;
    } catch (...) {
      std::string where("(provenance unknown)");
      try {
        where = ds.describe(index);
      } catch (const std::exception&) {
        // Keep the placeholder: the original error below is what matters.
      }
      rethrow_with_context(fmt::format("DataLoader ({}, epoch {}, batch {}, row {}): example {} from {}: ",
                                       ds.name(), epoch, batch, r, index, where));
    }
  }
  if (opt.device.is_cuda()) {
    // Pinned host copies, made here on the worker so the consumer only starts the async copy.
    out.host_images = out.images.pin_memory();
    out.host_labels = out.labels.pin_memory();
  }
  return out;
}

}  // namespace

// ---- DataLoader ------------------------------------------------------------------------------

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, std::shared_ptr<const Transform> transform,
                       Normalize normalize, LoaderOptions options)
    : dataset_(std::move(dataset)), transform_(std::move(transform)), normalize_(std::move(normalize)),
      options_(options) {
  COHORT_CHECK(dataset_ != nullptr, "DataLoader: null dataset");
  COHORT_CHECK(options_.batch_size > 0, "DataLoader: batch_size must be positive, got {}", options_.batch_size);
  COHORT_CHECK(options_.num_workers >= 0 && options_.num_workers <= 256,
               "DataLoader: num_workers must be in [0, 256], got {}", options_.num_workers);
  COHORT_CHECK(options_.prefetch >= 0, "DataLoader: prefetch must be >= 0, got {}", options_.prefetch);
  if (options_.prefetch == 0) options_.prefetch = 2 * std::max(1, options_.num_workers);
  COHORT_CHECK(dataset_->size() > 0, "DataLoader: dataset {} is empty", dataset_->name());
}

int64_t DataLoader::num_batches() const {
  const int64_t n = dataset_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> DataLoader::order(int64_t epoch) const {
  COHORT_CHECK(epoch >= 0, "DataLoader: epoch must be >= 0, got {}", epoch);
  std::vector<int64_t> idx(static_cast<size_t>(dataset_->size()));
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  if (options_.shuffle) {
    Generator gen(shuffle_seed(options_.seed, epoch));
    for (size_t i = idx.size() - 1; i > 0; --i) {
      std::swap(idx[i], idx[static_cast<size_t>(gen.randint(i + 1))]);
    }
  }
  return idx;
}

Batch DataLoader::build_batch(int64_t epoch, int64_t batch, const std::vector<int64_t>& order) const {
  COHORT_CHECK(batch >= 0 && batch < num_batches(), "DataLoader: batch {} out of range [0, {})", batch,
               num_batches());
  return build(*this, epoch, batch, order, nullptr);
}

void DataLoader::to_device(Batch& batch) const {
  if (options_.device.is_cpu()) return;
  if (!batch.host_images.defined()) {
    batch.host_images = batch.images.pin_memory();
    batch.host_labels = batch.labels.pin_memory();
  }
  batch.images = batch.host_images.to(options_.device, /*non_blocking=*/true);
  batch.labels = batch.host_labels.to(options_.device, /*non_blocking=*/true);
}

EpochIterator DataLoader::epoch(int64_t epoch, int64_t start_batch) const {
  return EpochIterator(*this, epoch, start_batch);
}

// ---- EpochIterator ---------------------------------------------------------------------------

struct EpochIterator::State {
  struct Slot {
    std::optional<Batch> batch;
    std::exception_ptr error;
  };

  explicit State(const DataLoader& l) : loader(l) {}

  // A copy (shared dataset and transform, copied options): the iterator stays valid when the
  // DataLoader it came from is gone, e.g. `for (auto& b : make_loader().epoch(0))`.
  const DataLoader loader;
  int64_t epoch = 0, end = 0;
  std::vector<int64_t> order;
  int64_t capacity = 1;
  bool failed = false;

  std::mutex mu;
  std::condition_variable work_cv, ready_cv;
  int64_t next_claim = 0;    // guarded by mu
  int64_t next_consume = 0;  // guarded by mu (read by workers for the bound)
  std::map<int64_t, Slot> ready;
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;

  void work() {
    while (true) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(mu);
        work_cv.wait(lock, [&] {
          return stop.load() || next_claim >= end || next_claim < next_consume + capacity;
        });
        if (stop.load() || next_claim >= end) return;
        b = next_claim++;
      }
      Slot slot;
      try {
        slot.batch = build(loader, epoch, b, order, &stop);
      } catch (const Cancelled&) {
        return;
      } catch (...) {
        slot.error = std::current_exception();
      }
      const bool failed_here = slot.error != nullptr;
      {
        std::lock_guard<std::mutex> lock(mu);
        ready.emplace(b, std::move(slot));
      }
      ready_cv.notify_all();
      if (failed_here) return;  // the consumer will stop the epoch when it reaches this batch
    }
  }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop.store(true);
    }
    work_cv.notify_all();
    for (std::thread& t : workers) t.join();
    workers.clear();
  }
};

EpochIterator::EpochIterator(const DataLoader& loader, int64_t epoch, int64_t start_batch)
    : state_(std::make_unique<State>(loader)) {
  COHORT_CHECK(start_batch >= 0 && start_batch <= loader.num_batches(),
               "DataLoader::epoch: start batch {} out of range [0, {}]", start_batch, loader.num_batches());
  State& s = *state_;
  s.epoch = epoch;
  s.end = loader.num_batches();
  s.order = loader.order(epoch);
  s.capacity = loader.options().prefetch;
  s.next_claim = s.next_consume = start_batch;
  for (int i = 0; i < loader.options().num_workers && start_batch < s.end; ++i) {
    s.workers.emplace_back([&s] { s.work(); });
  }
}

EpochIterator::~EpochIterator() {
  if (state_) state_->shutdown();
}

EpochIterator::EpochIterator(EpochIterator&&) noexcept = default;

EpochIterator& EpochIterator::operator=(EpochIterator&& other) noexcept {
  if (this != &other) {
    if (state_) state_->shutdown();
    state_ = std::move(other.state_);
  }
  return *this;
}

int64_t EpochIterator::position() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->next_consume;
}

std::optional<Batch> EpochIterator::next() {
  State& s = *state_;
  if (s.failed) throw Error("DataLoader: the epoch iterator stopped after an error; start a new epoch iterator");
  if (s.next_consume >= s.end) return std::nullopt;
  if (s.workers.empty()) {
    Batch b;
    try {
      b = build(s.loader, s.epoch, s.next_consume, s.order,
                nullptr);
    } catch (...) {
      s.failed = true;
      throw;
    }
    ++s.next_consume;
    s.loader.to_device(b);
    return b;
  }
  State::Slot slot;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    s.ready_cv.wait(lock, [&] { return s.ready.count(s.next_consume) > 0; });
    auto it = s.ready.find(s.next_consume);
    slot = std::move(it->second);
    s.ready.erase(it);
    ++s.next_consume;
  }
  s.work_cv.notify_all();
  if (slot.error) {
    s.failed = true;
    s.shutdown();
    std::rethrow_exception(slot.error);
  }
  s.loader.to_device(*slot.batch);
  return std::move(slot.batch);
}

}  // namespace cohort::data
