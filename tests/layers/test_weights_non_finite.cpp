// Weights holding a NaN or an infinity are refused by load_weights unless asked otherwise: a NaN
// bn1.bias used to evaluate at a plausible accuracy and train on silently.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "core/autograd.h"
#include "core/safetensors.h"
#include "layers/models/registry.h"
#include "layers/weights.h"
#include "tests/support/torch_refs.h"

using namespace cohort;
using Catch::Matchers::Contains;

TEST_CASE("load_weights refuses non-finite values unless allow_non_finite", "[layers][weights][nan]") {
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    INFO(bad);
    Generator gen(3);
    auto model = nn::make_model("cnn-small", 10, {.in_channels = 1}, gen);
    safetensors::TensorMap state;
    for (const auto& [name, t] : model->state_dict()) state.emplace(name, t.detach().clone());
    {
      NoGradGuard no_grad;
      Tensor bias = state.at("bn1.bias");
      bias.data<float>()[3] = static_cast<float>(bad);
    }
    const std::string path = test::temp_dir() + "/weights-non-finite.safetensors";
    safetensors::save(path, state);

    auto dst = nn::make_model("cnn-small", 10, {.in_channels = 1}, gen);
    REQUIRE_THROWS_WITH(nn::load_weights(*dst, path),
                        Contains(path) && Contains("'bn1.bias'") && Contains("1 non-finite") &&
                            Contains("flat index 3"));
    // Nothing was copied into the model before the refusal.
    REQUIRE(std::isfinite(dst->state_dict().at(0).second.to_vector<double>().front()));
    nn::load_weights(*dst, path, /*strict=*/true, /*rename=*/{}, /*allow_non_finite=*/true);
    bool found = false;
    for (const auto& [name, t] : dst->state_dict())
      if (name == "bn1.bias") found = !std::isfinite(t.to_vector<double>()[3]);
    REQUIRE(found);
  }
}
