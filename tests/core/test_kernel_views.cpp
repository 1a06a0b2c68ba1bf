// The kernels' views (kernels/common/view.h) and the front-ends' Tensor -> view conversion
// (core/kernel_views.h).
#include <catch2/catch.hpp>

#include <type_traits>
#include <vector>

#include "core/error.h"
#include "core/kernel_views.h"
#include "core/random.h"
#include "core/tensor.h"

using namespace cohort;

TEST_CASE("view_of describes the tensor's elements without owning them", "[views]") {
  Tensor t = Tensor::arange(24, DType::f64).reshape({2, 3, 4});
  const ConstView v = view_of(t);
  REQUIRE(v.defined());
  REQUIRE(v.raw_data() == t.raw_data());
  REQUIRE(v.dtype() == DType::f64);
  REQUIRE(v.device() == Device::cpu());
  REQUIRE(v.dim() == 3);
  REQUIRE(v.numel() == 24);
  REQUIRE(v.nbytes() == 24 * sizeof(double));
  REQUIRE(v.size(0) == 2);
  REQUIRE(v.size(-1) == 4);
  REQUIRE(v.shape() == Dims{2, 3, 4});
  REQUIRE(v.shape() != Dims{2, 12});
  REQUIRE(v.shape().str() == shape_str(t.shape()));
  REQUIRE(v.data<double>()[5] == 5.0);
  static_assert(std::is_same_v<decltype(v.data<double>()), const double*>);

  // A slice along dim 0 starts at its offset.
  REQUIRE(view_of(t[1]).data<double>()[0] == 12.0);
}

TEST_CASE("a writable view writes the tensor and converts to a read-only one", "[views]") {
  Tensor t = Tensor::zeros({3});
  const View w = mutable_view_of(t);
  w.data<float>()[1] = 7.0f;
  REQUIRE(t.to_vector<float>() == std::vector<float>{0.0f, 7.0f, 0.0f});
  const ConstView r = w;
  REQUIRE(r.data<float>() == w.data<float>());
  REQUIRE(r.shape() == w.shape());
  static_assert(!std::is_convertible_v<ConstView, View>, "read-only views must not become writable");
}

TEST_CASE("undefined tensors give undefined views; lists keep their order", "[views]") {
  REQUIRE_FALSE(view_of(Tensor()).defined());
  REQUIRE_FALSE(mutable_view_of(Tensor()).defined());
  REQUIRE_FALSE(ConstView().defined());
  const std::vector<Tensor> ts{Tensor::zeros({1}), Tensor(), Tensor::zeros({2, 2})};
  const std::vector<ConstView> vs = views_of(ts);
  const std::vector<View> ms = mutable_views_of(ts);
  REQUIRE(vs.size() == 3);
  REQUIRE(ms.size() == 3);
  REQUIRE(vs[0].raw_data() == ts[0].raw_data());
  REQUIRE_FALSE(vs[1].defined());
  REQUIRE_FALSE(ms[1].defined());
  REQUIRE(ms[2].shape() == Dims{2, 2});
}

TEST_CASE("views reject a wrong element type, a bad dim, a bad reshape and a rank above the limit; fills take any rank",
          "[views]") {
  Tensor t = Tensor::zeros({2, 3});
  const ConstView v = view_of(t);
  REQUIRE_THROWS_WITH(v.data<double>(), Catch::Contains("f32") && Catch::Contains("f64"));
  REQUIRE_THROWS_WITH(v.size(2), Catch::Contains("dim 2") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(v.size(-3), Catch::Contains("dim -3"));
  REQUIRE(v.reshape(Dims{6, 1, 1}).shape() == Dims{6, 1, 1});
  REQUIRE(v.reshape(Dims{6}).raw_data() == v.raw_data());
  REQUIRE_THROWS_WITH(v.reshape(Dims{4}), Catch::Contains("[2, 3]") && Catch::Contains("[4]"));

  Tensor deep = Tensor::empty(Shape(kMaxViewRank + 1, 1));
  REQUIRE_THROWS_WITH(view_of(deep), Catch::Contains("[1, 1, 1, 1, 1, 1, 1, 1, 1]") &&
                                         Catch::Contains("rank 9") && Catch::Contains("at most 8"));
  REQUIRE_NOTHROW(view_of(Tensor::zeros(Shape(kMaxViewRank, 1))));
  // Fills read only the element count (flat_view_of): factories work at any rank.
  Shape deep_shape(kMaxViewRank + 2, 1);
  deep_shape[0] = 3;
  REQUIRE(Tensor::full(deep_shape, 2.5).to_vector<float>() == std::vector<float>{2.5f, 2.5f, 2.5f});
  Generator gen(3);
  REQUIRE(Tensor::randn(deep_shape, gen).numel() == 3);
  REQUIRE(flat_view_of(deep).shape() == Dims{1});
}
