// The model registry (layers/models/registry.h): names, option checks, parameter and FLOP
// counts against the same models built in PyTorch (tests/python/ref_models.py), and the feature
// taps of docs/models.md.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/reduce.h"
#include "layers/flops.h"
#include "layers/models/registry.h"
#include "tests/support/torch_refs.h"

using namespace cohort;
using Catch::Matchers::Contains;

namespace {

std::shared_ptr<nn::Model> build(const std::string& name, int64_t classes = 10,
                                 const nn::ModelOptions& options = {}) {
  Generator gen(0);
  return nn::make_model(name, classes, options, gen);
}

std::vector<Shape> shapes(const std::vector<Tensor>& ts) {
  std::vector<Shape> out;
  for (const Tensor& t : ts) out.push_back(t.shape());
  return out;
}

nn::ModelOutput probe(nn::Model& model, int64_t batch, int64_t size) {
  model.eval();
  NoGradGuard no_grad;
  return model.forward_features(Tensor::zeros({batch, model.in_channels(), size, size}));
}

}  // namespace

TEST_CASE("every registry name builds a model that reports that name", "[layers][registry]") {
  for (const std::string& name : nn::model_names()) {
    INFO(name);
    if (name == "wrn-28-10") continue;  // 36.5M parameters: built by the parameter-count test
    auto model = build(name);
    CHECK(model->name() == name);
    CHECK(model->in_channels() == 3);
    CHECK(model->num_parameters() > 0);
  }
  // model_summary builds the model with the default options and counts one 32x32 forward.
  const nn::ModelSummary summary = nn::model_summary("resnet20", 100);
  CHECK(summary.name == "resnet20");
  CHECK(summary.parameters == build("resnet20", 100)->num_parameters());
  CHECK(summary.flops > 0);
  CHECK(build("resnet8")->input_size() == 32);
  CHECK(build("resnet18")->input_size() == 224);
  CHECK(build("cnn-small", 10, {.in_channels = 1})->input_size() == 28);
  CHECK(build("resnet44", 10, {.shortcut_b = true})->name() == "resnet44");
  CHECK(build("wrn-10-3")->name() == "wrn-10-3");  // any valid depth and width
}

TEST_CASE("unknown names and invalid options are errors naming the problem", "[layers][registry]") {
  for (const char* bad : {"resnet9", "resnet", "resnet-20", "resnet2", "wrn-16", "wrn-15-2",
                          "wrn-16-0", "wrn-16-x", "vgg16", "", "resnet020", "wrn-16-04", "resnet-8"}) {
    INFO(bad);
    REQUIRE_THROWS_WITH(build(bad), Contains(std::string("unknown model '") + bad + "'") &&
                                        Contains("known models: resnet8, resnet14"));
  }
  REQUIRE_THROWS_WITH(build("resnet20", 0), Contains("num_classes must be positive"));
  REQUIRE_THROWS_WITH(build("mobilenet", 10, {.width = 0.0}), Contains("width multiplier"));
  REQUIRE_THROWS_WITH(build("wrn-16-2", 10, {.dropout = 1.0}), Contains("dropout must be in [0, 1)"));
  REQUIRE_THROWS_WITH(build("resnet20", 10, {.in_channels = 0}), Contains("in_channels must be positive"));
}

TEST_CASE("parameter and FLOP counts equal those of the same models built in PyTorch",
          "[layers][registry][torch]") {
  const safetensors::Contents ref = test::torch_reference("models_param_counts");
  const auto cases = nlohmann::json::parse(ref.metadata.at("cases"));
  std::set<std::string> seen;
  for (const auto& c : cases) {
    const std::string key = c["case"].get<std::string>(), name = c["model"].get<std::string>();
    INFO(key);
    nn::ModelOptions options;
    options.width = c["width"].get<double>();
    options.shortcut_b = c["shortcut_b"].get<bool>();
    auto model = build(name, c["num_classes"].get<int64_t>(), options);
    CHECK(model->num_parameters() == ref.tensors.at("count." + key).item<int64_t>());
    if (ref.tensors.count("flops." + key)) {
      NoGradGuard no_grad;
      nn::FlopCounter counter;
      model->eval();
      model->forward(Tensor::zeros({1, 3, 32, 32}));
      CHECK(counter.flops() == ref.tensors.at("flops." + key).item<int64_t>());
    }
    seen.insert(key);
  }
  // The brief's list, so a shorter reference script cannot pass silently.
  for (const char* key : {"resnet8", "resnet14", "resnet20", "resnet26", "resnet32", "resnet110",
                          "wrn-28-10", "wrn-16-4", "mobilenet"})
    CHECK(seen.count(key) == 1);
  // The headline figures the headers and docs quote.
  CHECK(ref.tensors.at("count.resnet32").item<int64_t>() == 470004);
  CHECK(ref.tensors.at("count.wrn-28-10").item<int64_t>() == 36536884);
  CHECK(ref.tensors.at("count.mobilenet").item<int64_t>() == 3309476);
}

TEST_CASE("feature taps of resnet32, wrn-16-4, mobilenet, cnn-small and resnet18 have the "
          "documented shapes", "[layers][registry]") {
  SECTION("resnet32: stage inputs and outputs") {
    auto model = build("resnet32");
    nn::ModelOutput out = probe(*model, 2, 32);
    CHECK(shapes(out.features) == std::vector<Shape>{{2, 16, 32, 32}, {2, 16, 32, 32}, {2, 16, 32, 32},
                                                     {2, 32, 16, 16}, {2, 32, 16, 16}, {2, 64, 8, 8}});
    CHECK(out.embedding.shape() == Shape{2, 64});
    CHECK(out.logits.shape() == Shape{2, 10});
    CHECK(model->fsp_pairs() == std::vector<std::pair<size_t, size_t>>{{0, 1}, {2, 3}, {4, 5}});
  }
  SECTION("wrn-16-4: stage inputs and outputs (pre-activation)") {
    auto model = build("wrn-16-4");
    nn::ModelOutput out = probe(*model, 2, 32);
    CHECK(shapes(out.features) == std::vector<Shape>{{2, 16, 32, 32}, {2, 64, 32, 32}, {2, 64, 32, 32},
                                                     {2, 128, 16, 16}, {2, 128, 16, 16}, {2, 256, 8, 8}});
    CHECK(out.embedding.shape() == Shape{2, 256});
    CHECK(model->fsp_pairs().size() == 3);
  }
  SECTION("mobilenet: the last block at each resolution") {
    auto model = build("mobilenet", 100);
    nn::ModelOutput out = probe(*model, 2, 32);
    CHECK(shapes(out.features) == std::vector<Shape>{{2, 64, 32, 32}, {2, 128, 16, 16}, {2, 256, 8, 8},
                                                     {2, 512, 4, 4}, {2, 1024, 2, 2}});
    CHECK(out.embedding.shape() == Shape{2, 1024});
    CHECK(out.logits.shape() == Shape{2, 100});
    CHECK(model->fsp_pairs().empty());
    auto half = build("mobilenet", 100, {.width = 0.5});
    CHECK(shapes(probe(*half, 1, 32).features) ==
          std::vector<Shape>{{1, 32, 32, 32}, {1, 64, 16, 16}, {1, 128, 8, 8}, {1, 256, 4, 4}, {1, 512, 2, 2}});
  }
  SECTION("cnn-small: the two pooled blocks") {
    auto model = build("cnn-small");
    nn::ModelOutput out = probe(*model, 2, 32);
    CHECK(shapes(out.features) == std::vector<Shape>{{2, 32, 16, 16}, {2, 64, 8, 8}});
    CHECK(out.embedding.shape() == Shape{2, 128});  // fc1's activations
    auto mnist = build("cnn-small", 10, {.in_channels = 1});
    CHECK(shapes(probe(*mnist, 2, 28).features) == std::vector<Shape>{{2, 32, 14, 14}, {2, 64, 7, 7}});
  }
  SECTION("resnet18 at 32x32: maxpool output, then four stages") {
    auto model = build("resnet18");
    nn::ModelOutput out = probe(*model, 1, 32);
    CHECK(shapes(out.features) == std::vector<Shape>{{1, 64, 8, 8}, {1, 64, 8, 8}, {1, 64, 8, 8},
                                                     {1, 128, 4, 4}, {1, 128, 4, 4}, {1, 256, 2, 2},
                                                     {1, 256, 2, 2}, {1, 512, 1, 1}});
    CHECK(out.embedding.shape() == Shape{1, 512});
    CHECK(model->fsp_pairs().size() == 4);
  }
}

TEST_CASE("taps are part of the graph: a loss on a tap reaches the layers before it only",
          "[layers][registry]") {
  auto model = build("resnet8");
  Generator gen(2);
  nn::ModelOutput out = model->forward_features(Tensor::randn({2, 3, 32, 32}, gen));
  ops::sum(out.features[3]).backward();  // stage 2 output
  for (const auto& [name, p] : model->named_parameters()) {
    INFO(name);
    const bool upstream = name.rfind("conv1", 0) == 0 || name.rfind("bn1", 0) == 0 ||
                          name.rfind("layer1", 0) == 0 || name.rfind("layer2", 0) == 0;
    CHECK(p.grad().defined() == upstream);
  }
}

TEST_CASE("the formulas behind `cohort models` give exactly the counts measured on built models",
          "[layers][registry]") {
  for (const std::string& name : nn::model_names()) {
    for (int64_t classes : {10, 100}) {
      INFO(name << " with " << classes << " classes");
      const nn::ModelSummary measured = nn::model_summary(name, classes);
      const nn::ModelSummary formulas = nn::model_summary_from_formulas(name, classes);
      CHECK(formulas.parameters == measured.parameters);
      CHECK(formulas.flops == measured.flops);
    }
  }
  REQUIRE_THROWS_WITH(nn::model_summary_from_formulas("resnet9", 10), Catch::Contains("unknown model 'resnet9'"));
}
