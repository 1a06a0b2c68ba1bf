#include <catch2/catch.hpp>
#include <cmath>

#include "datasets/synthetic.h"
#include "datasets/transforms.h"

using namespace cohort;
using namespace cohort::data;

TEST_CASE("synthetic dataset is deterministic, balanced and split-disjoint", "[data]") {
  SyntheticOptions o;
  o.size = 60;
  o.num_classes = 10;
  SyntheticDataset a(o), b(o);
  REQUIRE(a.size() == 60);
  REQUIRE(a.num_classes() == 10);
  REQUIRE(a.class_names().size() == 10);
  REQUIRE(a.class_names()[0] == "grating-0deg-4.0px");
  REQUIRE(a.class_names()[7] == "grating-30deg-6.4px");
  for (int64_t i : {0, 13, 59}) {
    Example x = a.get(i), y = b.get(i);
    REQUIRE(x.image.pixels == y.image.pixels);  // same seed, same example, any order of calls
    REQUIRE(x.label == i % 10);
    REQUIRE((x.image.h == 32 && x.image.w == 32 && x.image.c == 3));
  }
  REQUIRE(a.get(1).image.pixels != a.get(11).image.pixels);  // same class, different nuisance
  SyntheticOptions other = o;
  other.seed = 1;
  REQUIRE(SyntheticDataset(other).get(5).image.pixels != a.get(5).image.pixels);
  SyntheticOptions test_split = o;
  test_split.train = false;
  REQUIRE(SyntheticDataset(test_split).get(5).image.pixels != a.get(5).image.pixels);
  SyntheticOptions big = o;
  big.side = 64;
  REQUIRE(SyntheticDataset(big).get(0).image.h == 64);
  REQUIRE_THROWS_WITH(SyntheticDataset(SyntheticOptions{0, 10, 32, 0, true}), Catch::Contains("size"));
  REQUIRE_THROWS_WITH(SyntheticDataset(SyntheticOptions{10, 1, 32, 0, true}), Catch::Contains("num_classes"));
  REQUIRE_THROWS_WITH(a.get(60), Catch::Contains("synthetic/train") && Catch::Contains("out of range"));
}

TEST_CASE("synthetic dataset statistics match synthetic_stats()", "[data]") {
  SyntheticOptions o;
  o.size = 2000;
  SyntheticDataset ds(o);
  double sum[3] = {0, 0, 0}, sq[3] = {0, 0, 0};
  for (int64_t i = 0; i < ds.size(); ++i) {
    Example ex = ds.get(i);
    for (size_t k = 0; k < ex.image.pixels.size(); ++k) {
      double v = ex.image.pixels[k] / 255.0;
      sum[k % 3] += v;
      sq[k % 3] += v * v;
    }
  }
  const double n = 2000.0 * 1024.0;
  for (int c = 0; c < 3; ++c) {
    double mean = sum[c] / n, sd = std::sqrt(sq[c] / n - mean * mean);
    INFO("channel " << c << " mean " << mean << " std " << sd);
    REQUIRE(std::abs(mean - synthetic_stats().mean[c]) < 0.01);
    REQUIRE(std::abs(sd - synthetic_stats().std[c]) < 0.01);
  }
}

TEST_CASE("synthetic classes differ in local orientation energy, not in mean colour", "[data]") {
  // Per class: the mean of |horizontal gradient| - |vertical gradient|. Class 0 (0 deg: stripes
  // vary along x) has strong horizontal gradients; class 3 (90 deg) strong vertical ones. Mean
  // colour, in contrast, carries no class information.
  SyntheticOptions o;
  o.size = 600;
  o.num_classes = 6;
  SyntheticDataset ds(o);
  double energy[6] = {0}, brightness[6] = {0};
  for (int64_t i = 0; i < ds.size(); ++i) {
    Example ex = ds.get(i);
    const Image& im = ex.image;
    double e = 0, m = 0;
    for (int64_t y = 1; y < 31; ++y)
      for (int64_t x = 1; x < 31; ++x)
        for (int64_t c = 0; c < 3; ++c) {
          e += std::abs(im.at(y, x + 1, c) - im.at(y, x - 1, c)) - std::abs(im.at(y + 1, x, c) - im.at(y - 1, x, c));
          m += im.at(y, x, c);
        }
    energy[ex.label] += e / 100.0;
    brightness[ex.label] += m / 100.0;
  }
  REQUIRE(energy[0] > 0);
  REQUIRE(energy[3] < 0);
  REQUIRE(energy[0] - energy[3] > 3 * (std::abs(energy[1] - energy[5]) + 1));
  for (int k = 1; k < 6; ++k) REQUIRE(std::abs(brightness[k] - brightness[0]) / brightness[0] < 0.15);
}
