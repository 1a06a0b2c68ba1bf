#include <catch2/catch.hpp>
#include <cmath>
#include <map>

#include "core/error.h"
#include "datasets/idx.h"
#include "datasets/mnist.h"
#include "datasets/transforms.h"
#include "tests/data/data_files.h"

using namespace cohort;
using namespace cohort::data;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> image_data(int64_t n, int64_t rows, int64_t cols) {
  std::vector<uint8_t> d;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t y = 0; y < rows; ++y)
      for (int64_t x = 0; x < cols; ++x) d.push_back(test::pattern_value(i, y, x, 0));
  return d;
}

// Writes an MNIST-style split of n images (rows x cols), label i % 10, optionally gzipped.
void write_split(const fs::path& dir, const std::string& prefix, int64_t n, int64_t rows, int64_t cols,
                 bool gz) {
  std::vector<uint8_t> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back(static_cast<uint8_t>(i % 10));
  auto images = test::idx_bytes({static_cast<uint32_t>(n), static_cast<uint32_t>(rows), static_cast<uint32_t>(cols)},
                                image_data(n, rows, cols));
  auto lab = test::idx_bytes({static_cast<uint32_t>(n)}, labels);
  std::string ext = gz ? ".gz" : "";
  test::write_bytes(dir / (prefix + "-images-idx3-ubyte" + ext), gz ? test::gzip_bytes(images) : images);
  test::write_bytes(dir / (prefix + "-labels-idx1-ubyte" + ext), gz ? test::gzip_bytes(lab) : lab);
}

uint32_t header_count(const fs::path& path) {
  auto b = test::read_bytes(path);
  return (uint32_t{b[4]} << 24) | (uint32_t{b[5]} << 16) | (uint32_t{b[6]} << 8) | b[7];
}

}  // namespace

TEST_CASE("IDX parser reads sizes big-endian and checks the data length", "[data]") {
  auto bytes = test::idx_bytes({2, 3}, {1, 2, 3, 4, 5, 6});
  IdxArray a = parse_idx(bytes, "x.idx", 2);
  REQUIRE(a.dims == std::vector<int64_t>{2, 3});
  REQUIRE(a.data == std::vector<uint8_t>{1, 2, 3, 4, 5, 6});
  REQUIRE_THROWS_WITH(parse_idx(bytes, "x.idx", 1), Catch::Contains("x.idx") && Catch::Contains("2 dimensions"));
  auto short_file = bytes;
  short_file.pop_back();
  REQUIRE_THROWS_WITH(parse_idx(short_file, "x.idx", 2),
                      Catch::Contains("truncated") && Catch::Contains("offset 17"));
  auto long_file = bytes;
  long_file.push_back(0);
  REQUIRE_THROWS_WITH(parse_idx(long_file, "x.idx", 2),
                      Catch::Contains("1 trailing bytes") && Catch::Contains("offset 18"));
  auto bad_magic = bytes;
  bad_magic[0] = 0x1f;
  REQUIRE_THROWS_WITH(parse_idx(bad_magic, "x.idx", 2), Catch::Contains("not an IDX file"));
  auto bad_type = bytes;
  bad_type[2] = 0x0d;  // float
  REQUIRE_THROWS_WITH(parse_idx(bad_type, "x.idx", 2), Catch::Contains("0x0d") && Catch::Contains("offset 2"));
  REQUIRE_THROWS_WITH(parse_idx({0, 0, 8, 2, 0, 0}, "x.idx", 2), Catch::Contains("header"));
}

TEST_CASE("MNIST reads raw and gzip IDX files", "[data]") {
  for (bool gz : {false, true}) {
    fs::path dir = test::fresh_dir(gz ? "mnist-gz" : "mnist-raw");
    write_split(dir / "mnist", "train", 25, 28, 28, gz);
    write_split(dir / "mnist", "t10k", 7, 28, 28, gz);
    MnistDataset train(dir, {MnistVariant::mnist, true});
    MnistDataset test_set(dir, {MnistVariant::mnist, false});
    REQUIRE(train.size() == 25);
    REQUIRE(test_set.size() == 7);
    REQUIRE(train.num_classes() == 10);
    REQUIRE(train.class_names()[3] == "3");
    Example ex = train.get(13);
    REQUIRE(ex.label == 3);
    REQUIRE((ex.image.h == 28 && ex.image.w == 28 && ex.image.c == 1));
    REQUIRE(ex.image.at(27, 9, 0) == test::pattern_value(13, 27, 9, 0));
    REQUIRE_THAT(train.describe(2), Catch::Contains("train-images-idx3-ubyte") && Catch::Contains("offset 1584"));
  }
}

TEST_CASE("Fashion-MNIST uses its own folder and class names", "[data]") {
  fs::path dir = test::fresh_dir("fashion");
  write_split(dir / "FashionMNIST" / "raw", "t10k", 4, 28, 28, true);
  MnistDataset ds(dir, {MnistVariant::fashion, false});
  REQUIRE(ds.size() == 4);
  REQUIRE(ds.class_names()[9] == "Ankle boot");
  REQUIRE(ds.name() == "fashion-mnist/test");
}

TEST_CASE("MNIST errors name the file and offset", "[data]") {
  fs::path dir = test::fresh_dir("mnist-bad");
  SECTION("missing files list what was tried") {
    REQUIRE_THROWS_AS(MnistDataset(dir, {MnistVariant::mnist, true}), IOError);
    REQUIRE_THROWS_WITH(MnistDataset(dir, {MnistVariant::mnist, true}),
                        Catch::Contains("train-images-idx3-ubyte") && Catch::Contains("MNIST/raw"));
  }
  SECTION("image and label counts disagree") {
    write_split(dir, "train", 5, 4, 4, false);
    test::write_bytes(dir / "train-labels-idx1-ubyte", test::idx_bytes({4}, {1, 2, 3, 4}));
    REQUIRE_THROWS_WITH(MnistDataset(dir, {MnistVariant::mnist, true}),
                        Catch::Contains("5 images") && Catch::Contains("4 labels"));
  }
  SECTION("no images") {
    write_split(dir, "train", 0, 28, 28, false);
    REQUIRE_THROWS_AS(MnistDataset(dir, {MnistVariant::mnist, true}), IOError);
    REQUIRE_THROWS_WITH(MnistDataset(dir, {MnistVariant::mnist, true}),
                        Catch::Contains("train-images-idx3-ubyte") && Catch::Contains("no images"));
  }
  SECTION("label out of range") {
    write_split(dir, "train", 5, 4, 4, false);
    test::write_bytes(dir / "train-labels-idx1-ubyte", test::idx_bytes({5}, {1, 2, 3, 10, 4}));
    REQUIRE_THROWS_WITH(MnistDataset(dir, {MnistVariant::mnist, true}),
                        Catch::Contains("record 3") && Catch::Contains("offset 11") && Catch::Contains("label 10"));
  }
  SECTION("truncated gzip") {
    write_split(dir, "train", 5, 4, 4, true);
    auto gz = test::read_bytes(dir / "train-images-idx3-ubyte.gz");
    gz.resize(gz.size() / 2);
    test::write_bytes(dir / "train-images-idx3-ubyte.gz", gz);
    REQUIRE_THROWS_AS(MnistDataset(dir, {MnistVariant::mnist, true}), IOError);
    REQUIRE_THROWS_WITH(MnistDataset(dir, {MnistVariant::mnist, true}),
                        Catch::Contains("train-images-idx3-ubyte.gz") && Catch::Contains("truncated"));
  }
  SECTION("corrupt gzip data") {
    write_split(dir, "train", 5, 4, 4, true);
    auto gz = test::read_bytes(dir / "train-images-idx3-ubyte.gz");
    for (size_t i = 12; i < gz.size() - 8; ++i) gz[i] ^= 0x5a;
    test::write_bytes(dir / "train-images-idx3-ubyte.gz", gz);
    REQUIRE_THROWS_WITH(MnistDataset(dir, {MnistVariant::mnist, true}),
                        Catch::Contains("train-images-idx3-ubyte.gz") && Catch::Contains("compressed offset"));
  }
}

TEST_CASE("MNIST real data: counts from the headers, 60,000 train", "[data]") {
  std::string root = test::data_dir();
  if (root.empty() || !fs::exists(fs::path(root) / "mnist")) {
    WARN("COHORT_DATA has no mnist/: real-data checks skipped");
    return;
  }
  fs::path dir = fs::path(root) / "mnist";
  MnistDataset train(root, {MnistVariant::mnist, true});
  MnistDataset test_set(root, {MnistVariant::mnist, false});
  REQUIRE(train.size() == header_count(dir / "train-images-idx3-ubyte"));
  REQUIRE(train.size() == header_count(dir / "train-labels-idx1-ubyte"));
  REQUIRE(test_set.size() == header_count(dir / "t10k-images-idx3-ubyte"));
  REQUIRE(train.size() == 60000);
  REQUIRE(test_set.size() == 3000);  // this copy's test split is a 3,000-image subset
  REQUIRE((train.rows() == 28 && train.cols() == 28));
  std::map<int64_t, int64_t> counts;
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < train.size(); ++i) {
    Example ex = train.get(i);
    ++counts[ex.label];
    for (uint8_t v : ex.image.pixels) {
      sum += v / 255.0;
      sq += (v / 255.0) * (v / 255.0);
    }
  }
  REQUIRE(counts.size() == 10);
  REQUIRE(counts[1] == 6742);  // the standard MNIST training set's class counts
  REQUIRE(counts[5] == 5421);
  const double n = 60000.0 * 784.0, mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
  INFO("mean " << mean << " std " << sd);
  REQUIRE(std::abs(mean - mnist_stats().mean[0]) < 1e-4);
  REQUIRE(std::abs(sd - mnist_stats().std[0]) < 1e-4);
}
