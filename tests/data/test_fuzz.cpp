// Fuzz-style robustness: every parser is fed seeded random bytes and mutations of valid files
// (bit flips, byte overwrites, truncations, insertions, deletions). Each call must either
// succeed or throw cohort::IOError naming the file — never crash, hang or throw anything else.
// Run under ASan/UBSan (build-asan) to catch memory errors the assertions cannot see.
#include <catch2/catch.hpp>
#include <functional>

#include "core/error.h"
#include "core/random.h"
#include "datasets/cifar.h"
#include "datasets/file_io.h"
#include "datasets/idx.h"
#include "datasets/image_codec.h"
#include "datasets/market1501.h"
#include "datasets/mnist.h"
#include "tests/data/data_files.h"

using namespace cohort;
using namespace cohort::data;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> mutate(const std::vector<uint8_t>& valid, Generator& gen) {
  std::vector<uint8_t> b = valid;
  auto pos = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(gen.randint(n)); };
  const int kind = static_cast<int>(gen.randint(7));
  const int edits = 1 + static_cast<int>(gen.randint(8));
  switch (kind) {
    case 0:  // bit flips
      for (int e = 0; e < edits && !b.empty(); ++e) b[pos(b.size())] ^= static_cast<uint8_t>(1u << gen.randint(8));
      break;
    case 1:  // random byte overwrites
      for (int e = 0; e < edits && !b.empty(); ++e) b[pos(b.size())] = static_cast<uint8_t>(gen.randint(256));
      break;
    case 2:  // truncation
      b.resize(pos(b.size()));
      break;
    case 3:  // insertions
      for (int e = 0; e < edits; ++e) b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos(b.size() + 1)),
                                               static_cast<uint8_t>(gen.randint(256)));
      break;
    case 4:  // deletions
      for (int e = 0; e < edits && !b.empty(); ++e) b.erase(b.begin() + static_cast<std::ptrdiff_t>(pos(b.size())));
      break;
    case 5:  // a damaged header: overwrite within the first 32 bytes
      for (int e = 0; e < edits && !b.empty(); ++e) b[pos(std::min<size_t>(32, b.size()))] = static_cast<uint8_t>(gen.randint(256));
      break;
    default: {  // entirely random bytes, random length
      b.assign(pos(4096), 0);
      for (uint8_t& v : b) v = static_cast<uint8_t>(gen.randint(256));
    }
  }
  return b;
}

// Runs `parse` on `iterations` mutations of `valid`; returns how many parsed successfully.
int fuzz(const std::vector<uint8_t>& valid, uint64_t seed, int iterations, const std::string& name,
         const std::function<void(const std::vector<uint8_t>&)>& parse) {
  Generator gen(seed);
  int ok = 0;
  for (int i = 0; i < iterations; ++i) {
    std::vector<uint8_t> bytes = mutate(valid, gen);
    try {
      parse(bytes);
      ++ok;
    } catch (const IOError& e) {
      INFO("iteration " << i << ": " << e.what());
      REQUIRE_THAT(std::string(e.what()), Catch::Contains(name));
    }
    // Anything else (std::bad_alloc, ValueError, a crash) fails the test.
  }
  return ok;
}

}  // namespace

TEST_CASE("fuzz: IDX parser, raw and gzip", "[data][fuzz]") {
  std::vector<uint8_t> pixels(3 * 5 * 4);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i);
  const auto idx = test::idx_bytes({3, 5, 4}, pixels);
  fuzz(idx, 1, 400, "f.idx", [](const std::vector<uint8_t>& b) { parse_idx(b, "f.idx", 3); });
  const auto gz = test::gzip_bytes(idx);
  fuzz(gz, 2, 400, "f.gz", [](const std::vector<uint8_t>& b) {
    parse_idx(is_gzip(b) ? gunzip(b, "f.gz") : b, "f.gz", 3);
  });
}

TEST_CASE("fuzz: MNIST and CIFAR readers on mutated files", "[data][fuzz]") {
  fs::path dir = test::fresh_dir("fuzz-files");
  std::vector<uint8_t> labels{1, 2, 3};
  const auto images = test::idx_bytes({3, 28, 28}, std::vector<uint8_t>(3 * 784, 9));
  const auto label_file = test::idx_bytes({3}, labels);
  std::vector<uint8_t> cifar;
  for (int i = 0; i < 3; ++i) {
    auto r = test::cifar_record({static_cast<uint8_t>(i), static_cast<uint8_t>(50 + i)}, i);
    cifar.insert(cifar.end(), r.begin(), r.end());
  }
  fuzz(label_file, 3, 150, "t10k-labels-idx1-ubyte", [&](const std::vector<uint8_t>& b) {
    test::write_bytes(dir / "t10k-images-idx3-ubyte", images);
    test::write_bytes(dir / "t10k-labels-idx1-ubyte", b);
    MnistDataset ds(dir, {MnistVariant::mnist, false});
    for (int64_t i = 0; i < ds.size(); ++i) ds.get(i);
  });
  fuzz(images, 4, 150, "t10k-", [&](const std::vector<uint8_t>& b) {
    test::write_bytes(dir / "t10k-images-idx3-ubyte", b);
    test::write_bytes(dir / "t10k-labels-idx1-ubyte", label_file);
    MnistDataset ds(dir, {MnistVariant::mnist, false});
    for (int64_t i = 0; i < ds.size(); ++i) ds.get(i);
  });
  fuzz(cifar, 5, 150, "test.bin", [&](const std::vector<uint8_t>& b) {
    test::write_bytes(dir / "test.bin", b);
    CifarDataset ds(dir, {CifarVariant::cifar100, false});
    for (int64_t i = 0; i < ds.size(); ++i) ds.get(i);
  });
}

TEST_CASE("fuzz: JPEG and PNG decoders", "[data][fuzz]") {
  const Image rgb = test::smooth_image(24, 40, 3, 5);
  const auto jpeg = test::encode_jpeg(rgb, 85);
  const auto png = test::encode_png(rgb);
  const auto grey_jpeg = test::encode_jpeg(test::smooth_image(16, 16, 1, 2), 85);
  for (int channels : {3, 1}) {
    int ok_jpeg = fuzz(jpeg, 10 + channels, 300, "fuzz.jpg", [&](const std::vector<uint8_t>& b) {
      Image img = decode_image(b, channels, "fuzz.jpg");
      REQUIRE(img.pixels.size() == static_cast<size_t>(img.h * img.w * channels));
    });
    int ok_png = fuzz(png, 20 + channels, 300, "fuzz.png", [&](const std::vector<uint8_t>& b) {
      Image img = decode_image(b, channels, "fuzz.png");
      REQUIRE(img.pixels.size() == static_cast<size_t>(img.h * img.w * channels));
    });
    fuzz(grey_jpeg, 30 + channels, 150, "grey.jpg",
         [&](const std::vector<uint8_t>& b) { decode_image(b, channels, "grey.jpg"); });
    // Most mutations must be caught (PNG has CRCs; JPEG markers and Huffman codes break).
    REQUIRE(ok_png < 150);
    REQUIRE(ok_jpeg < 300);
  }
}

TEST_CASE("fuzz: Market-1501 file-name parser", "[data][fuzz]") {
  const std::string valid = "0002_c1s1_000451_03.jpg";
  Generator gen(77);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> b = mutate(std::vector<uint8_t>(valid.begin(), valid.end()), gen);
    std::string name(b.begin(), b.end());
    auto parsed = parse_market1501_name(name);
    if (parsed) {
      REQUIRE((parsed->person_id >= -1 && parsed->person_id <= 9999));
      REQUIRE((parsed->camera >= 1 && parsed->camera <= 9));
    }
  }
}
