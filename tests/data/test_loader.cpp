#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "core/error.h"
#include "datasets/loader.h"
#include "datasets/synthetic.h"

using namespace cohort;
using namespace cohort::data;

namespace {

// An in-memory dataset whose images encode their index: pixel (y, x, ch) = (index * 3 + y * 5 + x + ch) % 256.
// Examples listed in `bad` throw IOError like a corrupt file would.
class IndexDataset : public Dataset {
 public:
  IndexDataset(int64_t n, int64_t side, std::set<int64_t> bad = {}, bool ids = false)
      : n_(n), side_(side), bad_(std::move(bad)), ids_(ids) {}
  int64_t size() const override { return n_; }
  Example get(int64_t index) const override {
    check_index(index);
    ++calls;
    if (bad_.count(index)) throw IOError(fmt::format("'fake{}.jpg': corrupt entropy data at offset 99", index));
    Example ex;
    ex.image = Image(side_, side_, 3);
    for (int64_t y = 0; y < side_; ++y)
      for (int64_t x = 0; x < side_; ++x)
        for (int64_t ch = 0; ch < 3; ++ch)
          ex.image.at(y, x, ch) = static_cast<uint8_t>((index * 3 + y * 5 + x + ch) % 256);
    ex.label = index % 7;
    if (ids_) {
      ex.person_id = 1000 + index;
      ex.camera_id = index % 6 + 1;
    }
    return ex;
  }
  int64_t num_classes() const override { return 7; }
  std::string describe(int64_t index) const override { return fmt::format("'fake{}.jpg'", index); }
  std::string name() const override { return "index"; }
  mutable std::atomic<int64_t> calls{0};

 private:
  int64_t n_, side_;
  std::set<int64_t> bad_;
  bool ids_;
};

std::shared_ptr<Compose> augmentation() {
  auto t = std::make_shared<Compose>();
  t->add(std::make_shared<RandomCrop>(8, 8, 2, PadMode::reflect)).add(std::make_shared<RandomHorizontalFlip>());
  return t;
}

DataLoader make_loader(std::shared_ptr<const Dataset> ds, int workers, int64_t batch = 16, bool drop_last = false,
                       uint64_t seed = 7) {
  LoaderOptions o;
  o.batch_size = batch;
  o.num_workers = workers;
  o.drop_last = drop_last;
  o.seed = seed;
  return DataLoader(std::move(ds), augmentation(), Normalize(identity_stats(3)), o);
}

struct Flat {
  std::vector<int64_t> indices;
  std::vector<float> images;
  std::vector<int64_t> labels;
  bool operator==(const Flat&) const = default;
};

Flat flatten(const Batch& b) {
  return Flat{b.indices, b.images.to_vector<float>(), b.labels.to_vector<int64_t>()};
}

std::vector<Flat> run_epoch(const DataLoader& loader, int64_t epoch, int64_t start = 0) {
  std::vector<Flat> out;
  for (Batch& b : loader.epoch(epoch, start)) out.push_back(flatten(b));
  return out;
}

}  // namespace

TEST_CASE("loader visits every index exactly once per epoch", "[data]") {
  auto ds = std::make_shared<IndexDataset>(100, 8);
  for (bool drop_last : {false, true}) {
    DataLoader loader = make_loader(ds, 2, 16, drop_last);
    REQUIRE(loader.num_batches() == (drop_last ? 6 : 7));
    std::vector<int64_t> seen;
    int64_t expected_batch = 0;
    for (Batch& b : loader.epoch(0)) {
      REQUIRE(b.index == expected_batch++);
      REQUIRE(b.images.shape() == Shape{static_cast<int64_t>(b.indices.size()), 3, 8, 8});
      REQUIRE(b.labels.dtype() == DType::i64);
      REQUIRE(b.images.device() == Device::cpu());
      const bool last = b.index == loader.num_batches() - 1;
      REQUIRE(b.indices.size() == (last && !drop_last ? 4u : 16u));
      auto labels = b.labels.to_vector<int64_t>();
      for (size_t r = 0; r < b.indices.size(); ++r) REQUIRE(labels[r] == b.indices[r] % 7);
      seen.insert(seen.end(), b.indices.begin(), b.indices.end());
    }
    std::vector<int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // no duplicates
    REQUIRE(seen.size() == (drop_last ? 96u : 100u));
    if (!drop_last) {
      for (int64_t i = 0; i < 100; ++i) REQUIRE(sorted[static_cast<size_t>(i)] == i);
    }
    REQUIRE(seen != loader.order(1));  // shuffled differently
  }
}

TEST_CASE("loader: same seed, same batches for 0, 1, 2 and 4 workers", "[data]") {
  auto ds = std::make_shared<IndexDataset>(70, 8);
  std::vector<Flat> reference = run_epoch(make_loader(ds, 0, 8), 3);
  REQUIRE(reference.size() == 9);
  for (int workers : {1, 2, 4}) {
    INFO(workers << " workers");
    REQUIRE(run_epoch(make_loader(ds, workers, 8), 3) == reference);
  }
  // The pixels are the augmented example: un-augmented index pattern shifted/flipped, values in [0, 1].
  for (float v : reference[0].images) REQUIRE((v >= 0.0f && v <= 1.0f));
  // Different epochs and seeds give different orders and augmentations.
  REQUIRE(run_epoch(make_loader(ds, 2, 8), 4) != reference);
  REQUIRE(run_epoch(make_loader(ds, 2, 8, false, 8), 3) != reference);
  // Unshuffled order is the identity.
  LoaderOptions o;
  o.shuffle = false;
  DataLoader plain(ds, nullptr, Normalize(identity_stats(3)), o);
  std::vector<int64_t> order = plain.order(5);
  for (int64_t i = 0; i < 70; ++i) REQUIRE(order[static_cast<size_t>(i)] == i);
}

TEST_CASE("loader: augmentation depends on (seed, epoch, index), not on the batch", "[data]") {
  auto ds = std::make_shared<IndexDataset>(40, 8);
  // Batch sizes differ, so an example lands in different batches/rows; its pixels must not change.
  auto by_index = [&](int64_t batch) {
    std::map<int64_t, std::vector<float>> m;
    for (Batch& b : make_loader(ds, 2, batch).epoch(1)) {
      auto px = b.images.to_vector<float>();
      for (size_t r = 0; r < b.indices.size(); ++r)
        m[b.indices[r]] = std::vector<float>(px.begin() + static_cast<std::ptrdiff_t>(r * 192),
                                             px.begin() + static_cast<std::ptrdiff_t>((r + 1) * 192));
    }
    return m;
  };
  REQUIRE(by_index(5) == by_index(16));
}

TEST_CASE("loader: resuming at batch k gives the remaining batches", "[data]") {
  auto ds = std::make_shared<IndexDataset>(90, 8);
  DataLoader loader = make_loader(ds, 2, 10);
  std::vector<Flat> full = run_epoch(loader, 2);
  REQUIRE(full.size() == 9);
  for (int64_t k : {0, 1, 4, 8, 9}) {
    for (int workers : {0, 3}) {
      INFO("resume at " << k << " with " << workers << " workers");
      std::vector<Flat> rest = run_epoch(make_loader(ds, workers, 10), 2, k);
      REQUIRE(rest == std::vector<Flat>(full.begin() + k, full.end()));
    }
  }
  // position() is what a checkpoint stores.
  EpochIterator it = loader.epoch(2);
  it.next();
  it.next();
  REQUIRE(it.position() == 2);
  REQUIRE(flatten(*it.next()) == full[2]);
  REQUIRE_THROWS_WITH(loader.epoch(2, 10), Catch::Contains("start batch 10"));
}

TEST_CASE("loader: stopping early joins the workers without hanging", "[data]") {
  auto ds = std::make_shared<IndexDataset>(2000, 16);
  DataLoader loader = make_loader(ds, 4, 8);
  {
    EpochIterator it = loader.epoch(0);
    REQUIRE(it.next().has_value());
  }  // destroyed with batches in flight
  { EpochIterator never_read = loader.epoch(1); }
  // The prefetch bound: with 2 workers and 1 ready slot each, few batches are built ahead.
  LoaderOptions o;
  o.batch_size = 8;
  o.num_workers = 2;
  o.prefetch = 2;
  auto counted = std::make_shared<IndexDataset>(2000, 8);
  DataLoader bounded(counted, nullptr, Normalize(identity_stats(3)), o);
  {
    EpochIterator it = bounded.epoch(0);
    it.next();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // Consumed 1 batch; at most `prefetch` more are claimed: (1 + 2) * 8 examples.
    REQUIRE(counted->calls.load() <= 3 * 8);
  }
  // Moving an iterator keeps it working.
  EpochIterator a = loader.epoch(0);
  EpochIterator b = std::move(a);
  REQUIRE(b.next().has_value());
}

TEST_CASE("loader: worker errors reach the consumer with the file and record", "[data]") {
  for (int workers : {0, 1, 3}) {
    INFO(workers << " workers");
    auto ds = std::make_shared<IndexDataset>(64, 8, std::set<int64_t>{37});
    DataLoader loader = make_loader(ds, workers, 8);
    std::vector<int64_t> order = loader.order(0);
    const int64_t bad_batch = (std::find(order.begin(), order.end(), 37) - order.begin()) / 8;
    EpochIterator it = loader.epoch(0);
    for (int64_t b = 0; b < bad_batch; ++b) REQUIRE(it.next().has_value());
    REQUIRE_THROWS_AS(it.next(), IOError);
    REQUIRE_THROWS_WITH(it.next(), Catch::Contains("stopped after an error"));
    EpochIterator again = loader.epoch(0, bad_batch);
    REQUIRE_THROWS_WITH(again.next(), Catch::Contains("fake37.jpg") && Catch::Contains("offset 99") &&
                                          Catch::Contains("example 37") &&
                                          Catch::Contains(fmt::format("batch {}", bad_batch)));
  }
}

TEST_CASE("loader: mismatched image sizes in a batch are an error", "[data]") {
  class Mixed : public IndexDataset {
   public:
    Mixed() : IndexDataset(4, 8) {}
    Example get(int64_t index) const override {
      Example ex = IndexDataset::get(index);
      if (index == 2) ex.image = Image(9, 8, 3);
      return ex;
    }
  };
  LoaderOptions o;
  o.shuffle = false;
  o.batch_size = 4;
  o.num_workers = 0;
  DataLoader loader(std::make_shared<Mixed>(), nullptr, Normalize(identity_stats(3)), o);
  REQUIRE_THROWS_WITH(loader.epoch(0).next(), Catch::Contains("9x8x3") && Catch::Contains("Resize"));
}

TEST_CASE("loader: person and camera ids, options checks, devices", "[data]") {
  auto ds = std::make_shared<IndexDataset>(10, 8, std::set<int64_t>{}, /*ids=*/true);
  LoaderOptions o;
  o.batch_size = 4;
  o.shuffle = false;
  DataLoader loader(ds, nullptr, Normalize(identity_stats(3)), o);
  Batch b = *loader.epoch(0).next();
  REQUIRE(b.person_ids.to_vector<int64_t>() == std::vector<int64_t>{1000, 1001, 1002, 1003});
  REQUIRE(b.camera_ids.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3, 4});
  // No augmentation, identity normalisation: pixel (y=1, x=2, ch=1) of example 3 at [3, 1, 1, 2].
  REQUIRE(b.images.to_vector<float>()[((3 * 3 + 1) * 8 + 1) * 8 + 2] ==
          static_cast<float>((3 * 3 + 1 * 5 + 2 + 1) / 255.0));
  LoaderOptions bad;
  bad.batch_size = 0;
  REQUIRE_THROWS_WITH(DataLoader(ds, nullptr, Normalize(identity_stats(3)), bad), Catch::Contains("batch_size"));
  REQUIRE_THROWS_WITH(DataLoader(ds, nullptr, Normalize(identity_stats(1)), o).epoch(0).next(),
                      Catch::Contains("Normalize") && Catch::Contains("fake0.jpg"));
#ifndef COHORT_WITH_CUDA
  LoaderOptions cuda = o;
  cuda.device = Device::cuda(0);
  REQUIRE_THROWS_WITH(DataLoader(ds, nullptr, Normalize(identity_stats(3)), cuda).epoch(0).next(),
                      Catch::Contains("without CUDA"));
#endif
}

TEST_CASE("loader over the synthetic dataset", "[data]") {
  SyntheticOptions so;
  so.size = 96;
  auto ds = std::make_shared<SyntheticDataset>(so);
  LoaderOptions o;
  o.batch_size = 32;
  o.num_workers = 2;
  DataLoader loader(ds, nullptr, Normalize(synthetic_stats()), o);
  int64_t rows = 0;
  for (Batch& b : loader.epoch(0)) {
    REQUIRE(b.images.shape() == Shape{32, 3, 32, 32});
    rows += b.images.size(0);
  }
  REQUIRE(rows == 96);
}
