#include <catch2/catch.hpp>

#include "core/ops/elementwise.h"
#include "core/random.h"
#include "kernels/common/philox.h"
#include "core/tensor.h"
#include "tests/support/tolerance.h"

using namespace cohort;

TEST_CASE("factories give the requested shape, dtype and values", "[tensor]") {
  Tensor z = Tensor::zeros({2, 3});
  REQUIRE(z.shape() == Shape{2, 3});
  REQUIRE(z.dtype() == DType::f32);
  REQUIRE(z.device() == Device::cpu());
  for (float v : z.to_vector<float>()) REQUIRE(v == 0.0f);
  Tensor f = Tensor::full({4}, 2.5, DType::f64);
  for (double v : f.to_vector<double>()) REQUIRE(v == 2.5);
  Tensor a = Tensor::arange(5, DType::i64);
  REQUIRE(a.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4});
  Tensor s = Tensor::scalar(3.0);
  REQUIRE(s.dim() == 0);
  REQUIRE(s.item() == 3.0);
  Tensor u8 = Tensor::ones({3}, DType::u8);
  REQUIRE(u8.to_vector<uint8_t>() == std::vector<uint8_t>{1, 1, 1});
}

TEST_CASE("from_vector checks the element count", "[tensor]") {
  REQUIRE_THROWS_WITH(Tensor::from_vector(std::vector<float>{1, 2, 3}, {2, 2}),
                      Catch::Contains("from_vector") && Catch::Contains("[2, 2]"));
  Tensor t = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  REQUIRE(t.to_vector<float>() == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("reshape, flatten and slice are views sharing storage", "[tensor]") {
  Tensor t = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {3, 2});
  Tensor r = t.reshape({2, -1});
  REQUIRE(r.shape() == Shape{2, 3});
  REQUIRE(r.raw_data() == t.raw_data());
  Tensor row = t.slice(1, 3);
  REQUIRE(row.shape() == Shape{2, 2});
  REQUIRE(row.to_vector<float>() == std::vector<float>{2, 3, 4, 5});
  row.fill_(9);  // writes through the view
  REQUIRE(t.to_vector<float>() == std::vector<float>{0, 1, 9, 9, 9, 9});
  REQUIRE(t[0].to_vector<float>() == std::vector<float>{0, 1});
  REQUIRE(Tensor::zeros({2, 3, 4}).flatten(1).shape() == Shape{2, 12});
  REQUIRE_THROWS_WITH(t.reshape({4}), Catch::Contains("reshape") && Catch::Contains("[3, 2]"));
  REQUIRE_THROWS_WITH(t.slice(2, 4), Catch::Contains("slice"));
}

TEST_CASE("to(dtype) converts values — clone copies", "[tensor]") {
  Tensor t = Tensor::from_vector(std::vector<double>{1.5, -2.25});
  REQUIRE(t.to(DType::f32).to_vector<float>() == std::vector<float>{1.5f, -2.25f});
  REQUIRE(t.to(DType::i64).to_vector<int64_t>() == std::vector<int64_t>{1, -2});
  Tensor c = t.clone();
  c.fill_(0);
  REQUIRE(t.to_vector<double>()[0] == 1.5);
}

TEST_CASE("data<T>() checks the dtype", "[tensor]") {
  Tensor t = Tensor::zeros({2});
  REQUIRE_THROWS_WITH(t.data<double>(), Catch::Contains("f32") && Catch::Contains("f64"));
}

TEST_CASE("CUDA use without CUDA or without a device is a clear error", "[tensor]") {
#ifndef COHORT_WITH_CUDA
  REQUIRE_THROWS_WITH(Tensor::zeros({2}, DType::f32, Device::cuda()),
                      Catch::Contains("built without CUDA"));
#endif
  REQUIRE_THROWS_WITH(Device::parse("gpu"), Catch::Contains("unknown device 'gpu'"));
  REQUIRE(Device::parse("cuda:1") == Device::cuda(1));
}

TEST_CASE("printing shows shape, dtype, device and abbreviated values", "[tensor]") {
  Tensor t = Tensor::arange(20, DType::f32);
  std::string s = fmt::format("{}", t);
  REQUIRE_THAT(s, Catch::Contains("shape=[20]") && Catch::Contains("f32") &&
                      Catch::Contains("cpu") && Catch::Contains("...") && Catch::Contains("19"));
}

TEST_CASE("Philox stream: same seed same numbers, documented known values", "[random]") {
  Generator g1(42), g2(42), g3(43);
  Tensor a = Tensor::rand({1000}, g1), b = Tensor::rand({1000}, g2), c = Tensor::rand({1000}, g3);
  REQUIRE(a.to_vector<float>() == b.to_vector<float>());
  REQUIRE(a.to_vector<float>() != c.to_vector<float>());
  // Offsets advance: the next draw differs from the first.
  Tensor a2 = Tensor::rand({1000}, g1);
  REQUIRE(a2.to_vector<float>() != a.to_vector<float>());
  REQUIRE(g1.offset() == 500);  // 2 draws x 1000 f32 values / 4 words per block
  // Moments of the streams.
  Generator g(7);
  std::vector<double> u = Tensor::rand({100000}, g, DType::f64).to_vector<double>();
  std::vector<double> n = Tensor::randn({100000}, g, DType::f64).to_vector<double>();
  double mu = 0, mn = 0, vn = 0;
  for (double v : u) { REQUIRE(v >= 0.0); REQUIRE(v < 1.0); mu += v; }
  for (double v : n) mn += v;
  mn /= n.size();
  for (double v : n) vn += (v - mn) * (v - mn);
  vn /= n.size();
  REQUIRE(std::abs(mu / u.size() - 0.5) < 0.01);
  REQUIRE(std::abs(mn) < 0.02);
  REQUIRE(std::abs(vn - 1.0) < 0.02);
}

TEST_CASE("Philox 4x32-10 matches the Random123 known-answer vector", "[random]") {
  // Random123 kat_vectors: philox4x32_10, ctr = 0, key = 0 ->
  // 6627e8d5 e169c58d bc57ac4c 9b00dbd8
  philox::Block b = philox::philox4x32_10(0, 0);
  REQUIRE(b.v[0] == 0x6627e8d5u);
  REQUIRE(b.v[1] == 0xe169c58du);
  REQUIRE(b.v[2] == 0xbc57ac4cu);
  REQUIRE(b.v[3] == 0x9b00dbd8u);
}

TEST_CASE("bernoulli draws ones with probability p", "[random]") {
  Generator g(3);
  std::vector<float> m = bernoulli({20000}, 0.3, g).to_vector<float>();
  double ones = 0;
  for (float v : m) { REQUIRE((v == 0.0f || v == 1.0f)); ones += v; }
  REQUIRE(std::abs(ones / m.size() - 0.3) < 0.015);
  REQUIRE_THROWS_WITH(bernoulli({2}, 1.5, g), Catch::Contains("bernoulli"));
}
