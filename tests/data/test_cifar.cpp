#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "core/error.h"
#include "datasets/cifar.h"
#include "datasets/transforms.h"
#include "tests/data/data_files.h"

using namespace cohort;
using namespace cohort::data;
namespace fs = std::filesystem;

namespace {

// A CIFAR-100 directory with `n` train records (fine label i % 100, coarse i % 20).
fs::path write_cifar100(const std::string& name, int64_t n) {
  fs::path dir = test::fresh_dir(name);
  std::vector<uint8_t> file;
  for (int64_t i = 0; i < n; ++i) {
    auto r = test::cifar_record({static_cast<uint8_t>(i % 20), static_cast<uint8_t>(i % 100)}, i);
    file.insert(file.end(), r.begin(), r.end());
  }
  test::write_bytes(dir / "train.bin", file);
  return dir;
}

}  // namespace

TEST_CASE("CIFAR-10 reads every batch file, converts CHW records to HWC", "[data]") {
  fs::path dir = test::fresh_dir("cifar10") / "cifar-10-batches-bin";
  int64_t image = 0;
  for (int b = 1; b <= 5; ++b) {
    std::vector<uint8_t> file;
    for (int r = 0; r < 3; ++r, ++image) {
      auto rec = test::cifar_record({static_cast<uint8_t>(image % 10)}, image);
      file.insert(file.end(), rec.begin(), rec.end());
    }
    test::write_bytes(dir / fmt::format("data_batch_{}.bin", b), file);
  }
  test::write_bytes(dir / "test_batch.bin", test::cifar_record({7}, 99));
  test::write_bytes(dir / "batches.meta.txt",
                    std::vector<uint8_t>{'a', '\n', 'b', '\n', 'c', '\n', 'd', '\n', 'e', '\n', 'f', '\n', 'g',
                                         '\n', 'h', '\n', 'i', '\n', 'j', '\n', '\n'});
  // The root may be the parent folder.
  CifarDataset train(dir.parent_path(), {CifarVariant::cifar10, true});
  REQUIRE(train.size() == 15);
  REQUIRE(train.num_classes() == 10);
  REQUIRE(train.class_names().size() == 10);
  REQUIRE(train.class_names()[9] == "j");
  for (int64_t i = 0; i < 15; ++i) {
    Example ex = train.get(i);
    REQUIRE(ex.label == i % 10);
    REQUIRE((ex.image.h == 32 && ex.image.w == 32 && ex.image.c == 3));
    for (int64_t y : {0, 5, 31})
      for (int64_t x : {0, 17, 31})
        for (int64_t ch = 0; ch < 3; ++ch) REQUIRE(ex.image.at(y, x, ch) == test::pattern_value(i, y, x, ch));
  }
  REQUIRE_THAT(train.describe(7), Catch::Contains("data_batch_3.bin") && Catch::Contains("record 1") &&
                                      Catch::Contains("offset 3073"));
  CifarDataset test_set(dir, {CifarVariant::cifar10, false});
  REQUIRE(test_set.size() == 1);
  REQUIRE(test_set.get(0).label == 7);
  REQUIRE_THROWS_WITH(train.get(15), Catch::Contains("out of range"));
}

TEST_CASE("CIFAR-100 selects fine or coarse labels", "[data]") {
  fs::path dir = write_cifar100("cifar100", 120);
  CifarDataset fine(dir, {CifarVariant::cifar100, true, CifarLabels::fine});
  CifarDataset coarse(dir, {CifarVariant::cifar100, true, CifarLabels::coarse});
  REQUIRE(fine.num_classes() == 100);
  REQUIRE(coarse.num_classes() == 20);
  REQUIRE(fine.class_names().empty());  // no name files written
  for (int64_t i : {0, 1, 57, 119}) {
    REQUIRE(fine.get(i).label == i % 100);
    REQUIRE(coarse.get(i).label == i % 20);
    REQUIRE(fine.get(i).image.pixels == coarse.get(i).image.pixels);
    REQUIRE(fine.get(i).image.at(3, 4, 2) == test::pattern_value(i, 3, 4, 2));
  }
  REQUIRE(fine.name() == "cifar100/train");
  REQUIRE(coarse.name() == "cifar100-coarse/train");
}

TEST_CASE("CIFAR errors name the file, record and offset", "[data]") {
  SECTION("missing directory") {
    fs::path dir = test::fresh_dir("cifar-missing");
    REQUIRE_THROWS_AS(CifarDataset(dir, {CifarVariant::cifar100, true}), IOError);
    REQUIRE_THROWS_WITH(CifarDataset(dir, {CifarVariant::cifar100, true}),
                        Catch::Contains("train.bin") && Catch::Contains("cifar-100-binary"));
  }
  SECTION("missing one of the five CIFAR-10 batches") {
    fs::path dir = test::fresh_dir("cifar10-partial");
    test::write_bytes(dir / "data_batch_1.bin", test::cifar_record({1}, 0));
    REQUIRE_THROWS_WITH(CifarDataset(dir, {CifarVariant::cifar10, true}),
                        Catch::Contains("data_batch_2.bin") && Catch::Contains("no such file"));
  }
  SECTION("truncated file") {
    fs::path dir = write_cifar100("cifar100-trunc", 3);
    auto bytes = test::read_bytes(dir / "train.bin");
    bytes.resize(bytes.size() - 100);
    test::write_bytes(dir / "train.bin", bytes);
    REQUIRE_THROWS_AS(CifarDataset(dir, {CifarVariant::cifar100, true}), IOError);
    REQUIRE_THROWS_WITH(CifarDataset(dir, {CifarVariant::cifar100, true}),
                        Catch::Contains("train.bin") && Catch::Contains("record 2") &&
                            Catch::Contains("offset 6148") && Catch::Contains("incomplete"));
  }
  SECTION("empty file") {
    fs::path dir = test::fresh_dir("cifar100-empty");
    test::write_bytes(dir / "test.bin", {});
    REQUIRE_THROWS_WITH(CifarDataset(dir, {CifarVariant::cifar100, false}), Catch::Contains("0 bytes"));
  }
  SECTION("label out of range") {
    fs::path dir = write_cifar100("cifar100-label", 4);
    auto bytes = test::read_bytes(dir / "train.bin");
    bytes[2 * 3074 + 1] = 100;  // fine label of record 2
    test::write_bytes(dir / "train.bin", bytes);
    REQUIRE_THROWS_WITH(CifarDataset(dir, {CifarVariant::cifar100, true}),
                        Catch::Contains("record 2") && Catch::Contains("offset 6149") &&
                            Catch::Contains("fine label 100"));
    // The coarse byte is validated even when fine labels are used.
    bytes[2 * 3074 + 1] = 5;
    bytes[1 * 3074] = 20;
    test::write_bytes(dir / "train.bin", bytes);
    REQUIRE_THROWS_WITH(CifarDataset(dir, {CifarVariant::cifar100, true}),
                        Catch::Contains("record 1") && Catch::Contains("coarse label 20"));
  }
  SECTION("class-name file with the wrong count") {
    fs::path dir = write_cifar100("cifar100-names", 2);
    test::write_bytes(dir / "fine_label_names.txt", {'a', '\n', 'b', '\n'});
    REQUIRE_THROWS_WITH(CifarDataset(dir, {CifarVariant::cifar100, true}),
                        Catch::Contains("fine_label_names.txt") && Catch::Contains("2 class names, expected 100"));
  }
}

TEST_CASE("CIFAR-100 real data: 50,000/10,000 records, 500/100 per class", "[data]") {
  std::string root = test::data_dir();
  if (root.empty() || !fs::exists(fs::path(root) / "cifar-100-binary")) {
    WARN("COHORT_DATA has no cifar-100-binary/: real-data checks skipped");
    return;
  }
  CifarDataset train(root, {CifarVariant::cifar100, true});
  CifarDataset test_set(root, {CifarVariant::cifar100, false});
  REQUIRE(train.size() == 50000);
  REQUIRE(test_set.size() == 10000);
  REQUIRE(train.num_classes() == 100);
  REQUIRE(train.class_names().size() == 100);
  REQUIRE(train.class_names().front() == "apple");
  REQUIRE(train.class_names().back() == "worm");
  std::map<int64_t, int64_t> train_counts, test_counts;
  for (int64_t i = 0; i < train.size(); ++i) ++train_counts[train.label(i)];
  for (int64_t i = 0; i < test_set.size(); ++i) ++test_counts[test_set.label(i)];
  REQUIRE(train_counts.size() == 100);
  REQUIRE(test_counts.size() == 100);
  for (auto [label, n] : train_counts) REQUIRE(n == 500);
  for (auto [label, n] : test_counts) REQUIRE(n == 100);

  CifarDataset coarse(root, {CifarVariant::cifar100, false, CifarLabels::coarse});
  REQUIRE(coarse.num_classes() == 20);
  REQUIRE(coarse.class_names().front() == "aquatic_mammals");
  std::map<int64_t, int64_t> coarse_counts;
  for (int64_t i = 0; i < coarse.size(); ++i) ++coarse_counts[coarse.label(i)];
  for (auto [label, n] : coarse_counts) REQUIRE(n == 500);

  // The normalisation constants are the training set's channel statistics.
  double sum[3] = {0, 0, 0}, sq[3] = {0, 0, 0};
  for (int64_t i = 0; i < train.size(); ++i) {
    const uint8_t* p = train.pixels(i);
    for (int64_t k = 0; k < CifarDataset::kPixels; ++k) {
      double v = p[k] / 255.0;
      sum[k % 3] += v;
      sq[k % 3] += v * v;
    }
  }
  const double count = 50000.0 * 1024.0;
  NormStats stats = cifar100_stats();
  for (int c = 0; c < 3; ++c) {
    double mean = sum[c] / count, sd = std::sqrt(sq[c] / count - mean * mean);
    INFO("channel " << c << " mean " << mean << " std " << sd);
    REQUIRE(std::abs(mean - stats.mean[c]) < 1e-4);
    REQUIRE(std::abs(sd - stats.std[c]) < 1e-4);
  }
}
