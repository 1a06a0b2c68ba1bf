// Weights from other CIFAR zoos (layers/models/zoo_formats.h): files written by PyTorch with
// RepDistiller's, a flat WRN's and a flat MobileNet's names (tests/python/ref_zoo_weights.py), all
// without num_batches_tracked, load through the detected preset with strict checks and give
// PyTorch's logits; F64/F16/BF16 files are converted, and the report says so.
#include <catch2/catch.hpp>

#include "core/autograd.h"
#include "layers/models/zoo_formats.h"
#include "tests/support/tolerance.h"
#include "tests/support/torch_refs.h"

using namespace cohort;
using Catch::Matchers::Contains;

namespace {

Tensor eval_logits(nn::Model& model, const Tensor& x) {
  model.eval();
  NoGradGuard no_grad;
  return model.forward(x);
}

bool mentions(const nn::LoadReport& report, const std::string& text) {
  for (const std::string& note : report.notes)
    if (note.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("zoo-named PyTorch weights load through the detected preset and give PyTorch's logits",
          "[layers][weights][torch]") {
  struct Case { std::string model, format; nn::ModelOptions options; };
  for (const Case& c : {Case{"resnet8", "repdistiller", {}}, Case{"wrn-16-2", "wrn-flat", {}},
                        Case{"mobilenet", "mobilenet-flat", {.width = 0.25}}}) {
    INFO(c.model);
    safetensors::Contents ref = test::torch_reference("zoo_" + c.model);
    const std::string path = test::torch_reference_path("zoo_" + c.model + "_weights");
    Generator gen(3);
    nn::PretrainedModel auto_loaded = nn::load_pretrained(c.model, 10, c.options, gen, path);
    CHECK(auto_loaded.format == c.format);
    CHECK(mentions(auto_loaded.report, "weights format '" + c.format + "' detected"));
    CHECK_CLOSE(eval_logits(*auto_loaded.model, ref.tensors.at("x")), ref.tensors.at("logits"), 1e-4, 1e-4);
    // Named explicitly, the same.
    nn::PretrainedModel named = nn::load_pretrained(c.model, 10, c.options, gen, path, c.format);
    CHECK_CLOSE(eval_logits(*named.model, ref.tensors.at("x")), ref.tensors.at("logits"), 1e-4, 1e-4);
    // cohort's own names do not fit: strict, the error lists what is missing.
    REQUIRE_THROWS_WITH(nn::load_pretrained(c.model, 10, c.options, gen, path, "cohort"), Contains("missing key(s)"));
  }
}

TEST_CASE("a preset renames, never relaxes: a wrong shape is still an error", "[layers][weights][torch]") {
  const std::string path = test::torch_reference_path("zoo_resnet8_weights");
  Generator gen(3);
  // 100 classes for a 10-class file: the renamed classifier mismatches, named in the error.
  REQUIRE_THROWS_WITH(nn::load_pretrained("resnet8", 100, {}, gen, path, "repdistiller"),
                      Contains("mismatched") && Contains("linear.weight (expected [100, 64] f32, got [10, 64] f32)"));
  REQUIRE_THROWS_WITH(nn::load_pretrained("resnet8", 10, {}, gen, path, "wrn-flat"),
                      Contains("does not apply to model 'resnet8'"));
  REQUIRE_THROWS_WITH(nn::load_pretrained("resnet8", 10, {}, gen, path, "timm"),
                      Contains("unknown weights format 'timm'") && Contains("repdistiller"));
}

TEST_CASE("F64, F16 and BF16 weights are converted to f32 on load, saying so", "[layers][weights][torch]") {
  safetensors::Contents ref = test::torch_reference("zoo_resnet8");
  const Tensor& x = ref.tensors.at("x");
  Generator gen(3);
  nn::PretrainedModel f64 = nn::load_pretrained("resnet8", 10, {}, gen, test::torch_reference_path("zoo_resnet8_weights_f64"));
  CHECK(mentions(f64.report, "from f64 to f32"));
  CHECK_CLOSE(eval_logits(*f64.model, x), ref.tensors.at("logits"), 1e-4, 1e-4);
  for (const std::string tag : {"f16", "bf16"}) {
    INFO(tag);
    nn::PretrainedModel half =
        nn::load_pretrained("resnet8", 10, {}, gen, test::torch_reference_path("zoo_resnet8_weights_" + tag));
    CHECK(mentions(half.report, tag == "f16" ? "F16 tensor(s) to f32" : "BF16 tensor(s) to f32"));
    CHECK_CLOSE(eval_logits(*half.model, x), ref.tensors.at("logits_" + tag), 1e-4, 1e-4);
  }
}
