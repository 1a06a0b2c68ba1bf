#include <catch2/catch.hpp>

#include "core/random.h"
#include "datasets/transforms.h"

using namespace cohort;
using namespace cohort::data;

namespace {

// 1-channel image from rows of values.
Image grey(const std::vector<std::vector<int>>& rows) {
  Image img(static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size()), 1);
  for (size_t y = 0; y < rows.size(); ++y)
    for (size_t x = 0; x < rows[y].size(); ++x)
      img.at(static_cast<int64_t>(y), static_cast<int64_t>(x), 0) = static_cast<uint8_t>(rows[y][x]);
  return img;
}

std::vector<std::vector<int>> rows_of(const Image& img) {
  std::vector<std::vector<int>> r(static_cast<size_t>(img.h), std::vector<int>(static_cast<size_t>(img.w)));
  for (int64_t y = 0; y < img.h; ++y)
    for (int64_t x = 0; x < img.w; ++x) r[static_cast<size_t>(y)][static_cast<size_t>(x)] = img.at(y, x, 0);
  return r;
}

// A seed whose first two randint(3) draws (RandomCrop's documented top, left) are (top, left).
uint64_t seed_for_offset(uint64_t top, uint64_t left) {
  for (uint64_t s = 0; s < 10000; ++s) {
    Generator g(s);
    uint64_t t = g.randint(3), l = g.randint(3);
    if (t == top && l == left) return s;
  }
  FAIL("no seed found");
  return 0;
}

const std::vector<std::vector<int>> k3x3{{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};

}  // namespace

TEST_CASE("RandomCrop with zero padding gives the exact window", "[data]") {
  RandomCrop crop(3, 3, 1, PadMode::zero);
  struct Case {
    uint64_t top, left;
    std::vector<std::vector<int>> expected;
  };
  std::vector<Case> cases{
      {0, 0, {{0, 0, 0}, {0, 1, 2}, {0, 4, 5}}},
      {2, 2, {{5, 6, 0}, {8, 9, 0}, {0, 0, 0}}},
      {1, 1, {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}},
      {0, 2, {{0, 0, 0}, {2, 3, 0}, {5, 6, 0}}},
  };
  for (const Case& c : cases) {
    Image img = grey(k3x3);
    Generator gen(seed_for_offset(c.top, c.left));
    crop.apply(img, gen);
    INFO("top " << c.top << " left " << c.left);
    REQUIRE(rows_of(img) == c.expected);
  }
}

TEST_CASE("RandomCrop with reflect padding mirrors without repeating the edge", "[data]") {
  RandomCrop crop(3, 3, 1, PadMode::reflect);
  // Padded (reflect) image:  5 4 5 6 5 / 2 1 2 3 2 / 5 4 5 6 5 / 8 7 8 9 8 / 5 4 5 6 5
  Image a = grey(k3x3);
  Generator g0(seed_for_offset(0, 0));
  crop.apply(a, g0);
  REQUIRE(rows_of(a) == std::vector<std::vector<int>>{{5, 4, 5}, {2, 1, 2}, {5, 4, 5}});
  Image b = grey(k3x3);
  Generator g1(seed_for_offset(2, 2));
  crop.apply(b, g1);
  REQUIRE(rows_of(b) == std::vector<std::vector<int>>{{5, 6, 5}, {8, 9, 8}, {5, 6, 5}});
  Image c = grey(k3x3);
  Generator g2(seed_for_offset(2, 0));
  crop.apply(c, g2);
  REQUIRE(rows_of(c) == std::vector<std::vector<int>>{{5, 4, 5}, {8, 7, 8}, {5, 4, 5}});
}

TEST_CASE("RandomCrop keeps channels together and checks sizes", "[data]") {
  Image rgb(2, 2, 3);
  for (size_t i = 0; i < rgb.pixels.size(); ++i) rgb.pixels[i] = static_cast<uint8_t>(10 + i);
  RandomCrop crop(2, 2, 1, PadMode::zero);
  Generator gen(seed_for_offset(1, 0) /* 2x2 padded to 4x4: 3 offsets per side */);
  // With 3 possible offsets per side the helper's draws apply: top 1, left 0.
  crop.apply(rgb, gen);
  // Window rows 0..1 of the source, columns -1..0: zero pixel then source pixel (0, y).
  REQUIRE((rgb.at(0, 0, 0) == 0 && rgb.at(0, 0, 2) == 0));
  REQUIRE((rgb.at(0, 1, 0) == 10 && rgb.at(0, 1, 1) == 11 && rgb.at(0, 1, 2) == 12));
  REQUIRE((rgb.at(1, 1, 0) == 16 && rgb.at(1, 1, 2) == 18));

  Image small = grey({{1, 2}, {3, 4}});
  Generator g(1);
  REQUIRE_THROWS_WITH(RandomCrop(5, 5, 1).apply(small, g), Catch::Contains("RandomCrop") && Catch::Contains("2x2"));
  REQUIRE_THROWS_WITH(RandomCrop(2, 2, 2, PadMode::reflect).apply(small, g), Catch::Contains("reflect padding 2"));
  REQUIRE_THROWS_WITH(RandomCrop(0, 2, 1), Catch::Contains("RandomCrop"));
}

TEST_CASE("RandomHorizontalFlip mirrors rows with probability p", "[data]") {
  Image img = grey({{1, 2, 3}, {4, 5, 6}});
  Generator gen(3);
  RandomHorizontalFlip(1.0).apply(img, gen);
  REQUIRE(rows_of(img) == std::vector<std::vector<int>>{{3, 2, 1}, {6, 5, 4}});
  RandomHorizontalFlip(0.0).apply(img, gen);
  REQUIRE(rows_of(img) == std::vector<std::vector<int>>{{3, 2, 1}, {6, 5, 4}});
  // The decision is uniform() < p from the given generator.
  Image rgb(1, 2, 3);
  rgb.pixels = {1, 2, 3, 4, 5, 6};
  Generator a(11), b(11);
  bool flips = a.uniform() < 0.5;
  RandomHorizontalFlip(0.5).apply(rgb, b);
  REQUIRE(rgb.pixels == (flips ? std::vector<uint8_t>{4, 5, 6, 1, 2, 3} : std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
  int flipped = 0;
  for (uint64_t s = 0; s < 1000; ++s) {
    Image t = grey({{0, 1}});
    Generator g(s);
    RandomHorizontalFlip(0.5).apply(t, g);
    flipped += t.at(0, 0, 0) == 1;
  }
  REQUIRE((flipped > 430 && flipped < 570));
}

TEST_CASE("Resize is bilinear with half-pixel centres", "[data]") {
  Generator gen(0);
  Image row = grey({{0, 100}});
  Resize(1, 4).apply(row, gen);
  REQUIRE(rows_of(row) == std::vector<std::vector<int>>{{0, 25, 75, 100}});
  Image square = grey({{0, 100}, {200, 40}});
  Resize(1, 1).apply(square, gen);
  REQUIRE(rows_of(square) == std::vector<std::vector<int>>{{85}});
  Image up = grey({{10, 20}, {30, 40}});
  Resize(4, 4).apply(up, gen);
  REQUIRE(rows_of(up) == std::vector<std::vector<int>>{
                             {10, 13, 18, 20}, {15, 18, 23, 25}, {25, 28, 33, 35}, {30, 33, 38, 40}});
  Image same = grey(k3x3);
  Resize(3, 3).apply(same, gen);
  REQUIRE(rows_of(same) == k3x3);
}

TEST_CASE("CenterCrop and Compose", "[data]") {
  Generator gen(0);
  Image img = grey({{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}});
  CenterCrop(1, 2).apply(img, gen);
  REQUIRE(rows_of(img) == std::vector<std::vector<int>>{{6, 7}});
  Compose pipeline;
  pipeline.add(std::make_shared<CenterCrop>(2, 2)).add(std::make_shared<RandomHorizontalFlip>(1.0));
  Image sq = grey({{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}});
  pipeline.apply(sq, gen);
  REQUIRE(rows_of(sq) == std::vector<std::vector<int>>{{7, 6}, {11, 10}});
  REQUIRE_THAT(pipeline.str(), Catch::Contains("CenterCrop(2x2)") && Catch::Contains("RandomHorizontalFlip"));
}

TEST_CASE("the same generator seed gives the same augmentation", "[data]") {
  Compose aug;
  aug.add(std::make_shared<RandomCrop>(32, 32, 4, PadMode::reflect)).add(std::make_shared<RandomHorizontalFlip>());
  Image base(32, 32, 3);
  for (size_t i = 0; i < base.pixels.size(); ++i) base.pixels[i] = static_cast<uint8_t>(i * 7);
  std::vector<std::vector<uint8_t>> outs;
  for (uint64_t seed : {5u, 5u, 6u}) {
    Image img = base;
    Generator gen(seed);
    aug.apply(img, gen);
    outs.push_back(img.pixels);
  }
  REQUIRE(outs[0] == outs[1]);
  REQUIRE(outs[0] != outs[2]);
}

TEST_CASE("Normalize writes CHW floats (v/255 - mean)/std", "[data]") {
  Image img(1, 2, 3);
  img.pixels = {0, 128, 255, 10, 20, 30};  // pixel (0,0) = (0,128,255), pixel (0,1) = (10,20,30)
  Normalize norm(cifar100_stats());
  std::vector<float> out(6, -1.0f);
  norm.apply(img, out.data());
  const NormStats s = cifar100_stats();
  auto expect = [&](int v, int c) { return static_cast<float>((v / 255.0 - s.mean[c]) / s.std[c]); };
  REQUIRE(out == std::vector<float>{expect(0, 0), expect(10, 0), expect(128, 1), expect(20, 1), expect(255, 2),
                                    expect(30, 2)});
  Normalize scale(identity_stats(1));
  Image g = grey({{0, 51, 255}});
  std::vector<float> o(3);
  scale.apply(g, o.data());
  REQUIRE(o == std::vector<float>{0.0f, 0.2f, 1.0f});
  REQUIRE_THROWS_WITH(norm.apply(g, o.data()), Catch::Contains("Normalize") && Catch::Contains("1 channels"));
  REQUIRE_THROWS_WITH(Normalize(NormStats{{0.5}, {0.0}}), Catch::Contains("std[0]"));
  REQUIRE(mnist_stats().mean.size() == 1);
  REQUIRE(cifar10_stats().std[2] == 0.2616);
}

TEST_CASE("RandomCrop equals pad-then-crop for random sizes, paddings and modes", "[data]") {
  // Reference: build the padded image explicitly, then copy the window the generator chose.
  Generator sizes(99);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t h = 1 + static_cast<int64_t>(sizes.randint(9)), w = 1 + static_cast<int64_t>(sizes.randint(9));
    const int64_t c = sizes.randint(2) ? 3 : 1;
    const PadMode mode = sizes.randint(2) ? PadMode::reflect : PadMode::zero;
    const int64_t max_pad = mode == PadMode::reflect ? std::min(h, w) - 1 : 5;
    const int64_t pad = static_cast<int64_t>(sizes.randint(static_cast<uint64_t>(max_pad + 1)));
    const int64_t ch = 1 + static_cast<int64_t>(sizes.randint(static_cast<uint64_t>(h + 2 * pad)));
    const int64_t cw = 1 + static_cast<int64_t>(sizes.randint(static_cast<uint64_t>(w + 2 * pad)));
    Image img(h, w, c);
    for (uint8_t& v : img.pixels) v = static_cast<uint8_t>(1 + sizes.randint(255));
    auto reflect = [](int64_t i, int64_t n) { return i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i); };
    const uint64_t seed = sizes.randint(1u << 30);
    Generator draws(seed);
    const int64_t top = static_cast<int64_t>(draws.randint(static_cast<uint64_t>(h + 2 * pad - ch + 1)));
    const int64_t left = static_cast<int64_t>(draws.randint(static_cast<uint64_t>(w + 2 * pad - cw + 1)));
    Image expected(ch, cw, c);
    for (int64_t y = 0; y < ch; ++y)
      for (int64_t x = 0; x < cw; ++x)
        for (int64_t k = 0; k < c; ++k) {
          int64_t sy = top + y - pad, sx = left + x - pad;
          bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
          expected.at(y, x, k) = inside || mode == PadMode::reflect ? img.at(reflect(sy, h), reflect(sx, w), k) : 0;
        }
    Generator gen(seed);
    RandomCrop(ch, cw, pad, mode).apply(img, gen);
    INFO("trial " << trial << ": " << h << "x" << w << "x" << c << " pad " << pad << " crop " << ch << "x" << cw);
    REQUIRE(img.pixels == expected.pixels);
  }
}
