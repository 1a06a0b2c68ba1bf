// The Module system (layers/module.h): dotted names and their order, state_dict /
// load_state_dict with its all-at-once error report, modes, gradients, dtype moves and the
// layers' own parameters and buffers.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/reduce.h"
#include "layers/flops.h"
#include "layers/layers.h"

using namespace cohort;
using Catch::Matchers::Contains;

namespace {

// A layer with two parameters and one buffer.
class Leaf : public nn::Layer {
 public:
  explicit Leaf(int64_t n) {
    weight = register_parameter("weight", Tensor::full({n, 2}, 0.5));
    bias = register_parameter("bias", Tensor::zeros({n}));
    stat = register_buffer("stat", Tensor::zeros({n}));
  }
  Tensor forward(const Tensor& x) override { return x; }
  Tensor weight, bias, stat;
};

// scale (param), count (buffer, i64), a (Leaf 3), seq (Sequential: Leaf 2, ReLU, Leaf 4).
// Registration interleaves parameters, children and buffers on purpose: names must still come
// out as PyTorch orders them (own parameters, own buffers, then children in order).
class Tree : public nn::Module {
 public:
  Tree() {
    scale = register_parameter("scale", Tensor::ones({1}));
    a = register_module("a", std::make_shared<Leaf>(3));
    seq = register_module("seq", std::make_shared<nn::Sequential>());
    seq->push_back(std::make_shared<Leaf>(2));
    seq->push_back(std::make_shared<nn::ReLU>());
    seq->push_back(std::make_shared<Leaf>(4));
    count = register_buffer("count", Tensor::zeros({}, DType::i64));
  }
  // Exposes the protected registration for the error tests.
  void add_parameter(const std::string& name, Tensor t) { register_parameter(name, std::move(t)); }
  void add_child(const std::string& name) { register_module(name, std::make_shared<Leaf>(1)); }

  Tensor scale, count;
  std::shared_ptr<Leaf> a;
  std::shared_ptr<nn::Sequential> seq;
};

std::vector<std::string> keys(const NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& [name, t] : named) out.push_back(name);
  return out;
}

Tensor find(const NamedTensors& named, const std::string& key) {
  for (const auto& [name, t] : named)
    if (name == key) return t;
  FAIL("no tensor named " << key);
  return {};
}

// A state dict of fresh copies (so loading it changes nothing until we edit it).
NamedTensors copy_state(const nn::Module& m) {
  NamedTensors out;
  for (const auto& [name, t] : m.state_dict()) out.emplace_back(name, t.detach().clone());
  return out;
}

}  // namespace

TEST_CASE("named_parameters, named_buffers and state_dict use dotted names in PyTorch's order",
          "[layers][module]") {
  Tree tree;
  CHECK(keys(tree.named_parameters()) ==
        std::vector<std::string>{"scale", "a.weight", "a.bias", "seq.0.weight", "seq.0.bias",
                                 "seq.2.weight", "seq.2.bias"});
  CHECK(keys(tree.named_buffers()) == std::vector<std::string>{"count", "a.stat", "seq.0.stat", "seq.2.stat"});
  CHECK(keys(tree.state_dict()) ==
        std::vector<std::string>{"scale", "count", "a.weight", "a.bias", "a.stat", "seq.0.weight",
                                 "seq.0.bias", "seq.0.stat", "seq.2.weight", "seq.2.bias", "seq.2.stat"});
  REQUIRE(tree.named_children().size() == 2);
  CHECK(tree.named_children()[0].first == "a");
  CHECK(tree.named_children()[1].first == "seq");
  CHECK(tree.parameters().size() == 7);
  // 1 + (3·2 + 3) + (2·2 + 2) + (4·2 + 4); buffers do not count.
  CHECK(tree.num_parameters() == 28);
  for (const auto& [name, p] : tree.named_parameters()) CHECK(p.requires_grad());
  for (const auto& [name, b] : tree.named_buffers()) CHECK_FALSE(b.requires_grad());
}

TEST_CASE("the tensors a module returns are its own, not copies", "[layers][module]") {
  Tree tree;
  Tensor w = find(tree.state_dict(), "seq.2.weight");
  CHECK(&w.impl() == &tree.seq->operator[](2)->named_parameters()[0].second.impl());
  {
    NoGradGuard no_grad;
    w.fill_(7.0);
  }
  auto* leaf = dynamic_cast<Leaf*>(tree.seq->operator[](2).get());
  REQUIRE(leaf != nullptr);
  CHECK(leaf->weight.to_vector<float>() == std::vector<float>(8, 7.0f));
}

TEST_CASE("registration rejects duplicate, dotted and empty names and integer parameters",
          "[layers][module]") {
  Tree tree;
  REQUIRE_THROWS_WITH(tree.add_parameter("scale", Tensor::ones({1})), Contains("'scale' is already registered"));
  REQUIRE_THROWS_WITH(tree.add_child("count"), Contains("'count' is already registered"));
  REQUIRE_THROWS_WITH(tree.add_child("a"), Contains("'a' is already registered"));
  REQUIRE_THROWS_WITH(tree.add_parameter("x.y", Tensor::ones({1})), Contains("invalid name 'x.y'"));
  REQUIRE_THROWS_WITH(tree.add_parameter("", Tensor::ones({1})), Contains("invalid name ''"));
  REQUIRE_THROWS_WITH(tree.add_parameter("ids", Tensor::zeros({2}, DType::i64)),
                      Contains("parameter 'ids' has non-floating dtype i64"));
  REQUIRE_THROWS_WITH(tree.add_parameter("none", Tensor()), Contains("parameter 'none' is undefined"));
}

TEST_CASE("load_state_dict copies every tensor in place", "[layers][module]") {
  Tree src, dst;
  {
    NoGradGuard no_grad;
    int i = 0;
    for (auto& [name, t] : src.state_dict()) t.fill_(++i);
  }
  const Tensor handle = dst.a->weight;  // e.g. held by an optimiser
  dst.load_state_dict(src.state_dict());
  for (const auto& [name, t] : src.state_dict()) {
    INFO(name);
    Tensor got = find(dst.state_dict(), name);
    CHECK(got.to(DType::f64).to_vector<double>() == t.to(DType::f64).to_vector<double>());
    CHECK(got.requires_grad() == t.requires_grad());
  }
  CHECK(&handle.impl() == &dst.a->weight.impl());
  CHECK(handle.to_vector<float>() == std::vector<float>(6, 3.0f));  // a.weight is the 3rd entry
}

TEST_CASE("strict load_state_dict lists every missing, unexpected and mismatched key at once "
          "and changes nothing", "[layers][module]") {
  Tree tree;
  NamedTensors state = copy_state(tree);
  for (auto& [name, t] : state) {
    NoGradGuard no_grad;
    if (is_floating(t.dtype())) t.fill_(9.0);
  }
  // Drop two keys, add two unknown ones, break a shape and a dtype.
  std::erase_if(state, [](const auto& kv) { return kv.first == "a.bias" || kv.first == "seq.0.stat"; });
  state.emplace_back("extra.weight", Tensor::ones({2}));
  state.emplace_back("fc.bias", Tensor::ones({2}));
  for (auto& [name, t] : state) {
    if (name == "seq.2.bias") t = Tensor::ones({5});
    if (name == "scale") t = Tensor::ones({1}, DType::f64);
  }
  try {
    tree.load_state_dict(state);
    FAIL("load_state_dict accepted a broken state dict");
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK_THAT(msg, Contains("2 missing key(s): a.bias, seq.0.stat"));
    CHECK_THAT(msg, Contains("2 unexpected key(s): extra.weight, fc.bias"));
    CHECK_THAT(msg, Contains("2 mismatched key(s): scale (expected [1] f32, got [1] f64), "
                             "seq.2.bias (expected [4] f32, got [5] f32)"));
  }
  // Validation happens before any copy: nothing took the 9s.
  for (const auto& [name, t] : tree.state_dict()) {
    INFO(name);
    if (is_floating(t.dtype())) CHECK(t.to(DType::f64).to_vector<double>()[0] != 9.0);
  }
}

TEST_CASE("non-strict load_state_dict tolerates missing and unexpected keys, not mismatches",
          "[layers][module]") {
  Tree tree;
  NamedTensors state;
  state.emplace_back("a.weight", Tensor::full({3, 2}, 4.0));
  state.emplace_back("unknown", Tensor::ones({3}));
  tree.load_state_dict(state, /*strict=*/false);
  CHECK(tree.a->weight.to_vector<float>() == std::vector<float>(6, 4.0f));
  CHECK(tree.a->bias.to_vector<float>() == std::vector<float>(3, 0.0f));  // untouched
  REQUIRE_THROWS_AS(tree.load_state_dict(state, /*strict=*/true), ValueError);

  state.emplace_back("a.bias", Tensor::ones({2}));
  REQUIRE_THROWS_WITH(tree.load_state_dict(state, /*strict=*/false),
                      Contains("1 mismatched key(s): a.bias (expected [3] f32, got [2] f32)"));
}

TEST_CASE("train() and eval() reach every descendant", "[layers][module]") {
  Tree tree;
  CHECK(tree.is_training());
  tree.eval();
  CHECK_FALSE(tree.is_training());
  CHECK_FALSE(tree.a->is_training());
  CHECK_FALSE(tree.seq->operator[](2)->is_training());
  tree.seq->train();
  CHECK_FALSE(tree.is_training());
  CHECK(tree.seq->operator[](0)->is_training());
  tree.train();
  CHECK(tree.a->is_training());
}

TEST_CASE("zero_grad drops or zeroes every parameter's gradient", "[layers][module]") {
  Generator gen(3);
  nn::Sequential net;
  net.push_back(std::make_shared<nn::Linear>(4, 3, gen));
  net.push_back(std::make_shared<nn::ReLU>());
  net.push_back(std::make_shared<nn::Linear>(3, 2, gen));
  ops::sum(net.forward(Tensor::randn({5, 4}, gen))).backward();
  for (const auto& [name, p] : net.named_parameters()) REQUIRE(p.grad().defined());

  net.zero_grad(/*set_to_none=*/false);
  for (const auto& [name, p] : net.named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
    for (float g : p.grad().to_vector<float>()) CHECK(g == 0.0f);
  }
  net.zero_grad();
  for (const auto& [name, p] : net.named_parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("to(f64) converts floating tensors in place, keeps integer buffers and handles",
          "[layers][module]") {
  Generator gen(4);
  nn::Sequential net;
  net.push_back(std::make_shared<nn::Conv2d>(2, 3, 3, gen, nn::Conv2dOptions{.padding = 1}));
  net.push_back(std::make_shared<nn::BatchNorm2d>(3));
  const NamedTensors before = net.state_dict();
  const std::vector<float> w32 = find(before, "0.weight").to_vector<float>();
  ops::sum(net.forward(Tensor::randn({2, 2, 4, 4}, gen))).backward();

  net.to(DType::f64);
  for (const auto& [name, t] : net.state_dict()) {
    INFO(name);
    CHECK(&t.impl() == &find(before, name).impl());
    CHECK(t.dtype() == (name == "1.num_batches_tracked" ? DType::i64 : DType::f64));
  }
  for (const auto& [name, p] : net.named_parameters()) CHECK_FALSE(p.grad().defined());
  const std::vector<double> w64 = find(before, "0.weight").to_vector<double>();
  REQUIRE(w64.size() == w32.size());
  for (size_t i = 0; i < w32.size(); ++i) CHECK(w64[i] == static_cast<double>(w32[i]));
  Tensor y = net.forward(Tensor::randn({2, 2, 4, 4}, gen, DType::f64));
  CHECK(y.dtype() == DType::f64);
  REQUIRE_THROWS_WITH(net.to(DType::i64), Contains("target dtype must be floating"));
}

TEST_CASE("layers have PyTorch's parameter names, shapes and buffers", "[layers][module]") {
  Generator gen(5);
  nn::Conv2d conv(8, 16, 3, gen, nn::Conv2dOptions{.stride = 2, .padding = 1, .groups = 4});
  CHECK(keys(conv.state_dict()) == std::vector<std::string>{"weight", "bias"});
  CHECK(conv.weight().shape() == Shape{16, 2, 3, 3});
  CHECK(conv.bias().shape() == Shape{16});
  CHECK(conv.forward(Tensor::randn({1, 8, 9, 9}, gen)).shape() == Shape{1, 16, 5, 5});
  nn::Conv2d no_bias(3, 4, 1, gen, nn::Conv2dOptions{.bias = false});
  CHECK(keys(no_bias.state_dict()) == std::vector<std::string>{"weight"});
  REQUIRE_THROWS_WITH(nn::Conv2d(6, 4, 3, gen, nn::Conv2dOptions{.groups = 4}),
                      Contains("must be divisible by groups 4"));

  nn::Linear fc(5, 7, gen);
  CHECK(fc.weight().shape() == Shape{7, 5});  // [out, in], as PyTorch
  CHECK(fc.bias().shape() == Shape{7});

  nn::BatchNorm2d bn(6);
  CHECK(keys(bn.state_dict()) ==
        std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"});
  CHECK(keys(bn.named_buffers()) == std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"});
  CHECK(bn.num_batches_tracked().dtype() == DType::i64);
  CHECK(bn.num_batches_tracked().dim() == 0);
  nn::BatchNorm2d plain(6, nn::BatchNorm2dOptions{.affine = false});
  CHECK(keys(plain.state_dict()) == std::vector<std::string>{"running_mean", "running_var", "num_batches_tracked"});
}

TEST_CASE("BatchNorm2d tracks statistics only in training mode", "[layers][module]") {
  Generator gen(6);
  nn::BatchNorm2d bn(3);
  Tensor x = Tensor::randn({4, 3, 5, 5}, gen);
  bn.forward(x);
  bn.forward(x);
  CHECK(bn.num_batches_tracked().item<int64_t>() == 2);
  const std::vector<float> mean = bn.running_mean().to_vector<float>();
  CHECK(mean != std::vector<float>(3, 0.0f));
  bn.eval();
  bn.forward(x);
  CHECK(bn.num_batches_tracked().item<int64_t>() == 2);
  CHECK(bn.running_mean().to_vector<float>() == mean);
}

TEST_CASE("Dropout is the identity in eval mode and masks in training", "[layers][module]") {
  nn::Dropout drop(0.5, 11);
  Tensor x = Tensor::ones({1000});
  const std::vector<float> train = drop.forward(x).to_vector<float>();
  int zeros = 0;
  for (float v : train) {
    CHECK((v == 0.0f || v == 2.0f));
    zeros += v == 0.0f;
  }
  CHECK(zeros > 400);
  CHECK(zeros < 600);
  drop.eval();
  CHECK(drop.forward(x).to_vector<float>() == std::vector<float>(1000, 1.0f));
  CHECK(drop.state_dict().empty());
}

TEST_CASE("FlopCounter counts 2 x multiply-adds of conv and linear layers, innermost counter only",
          "[layers][module]") {
  Generator gen(7);
  nn::Conv2d conv(3, 8, 3, gen, nn::Conv2dOptions{.padding = 1, .groups = 1});
  nn::Conv2d depthwise(8, 8, 3, gen, nn::Conv2dOptions{.stride = 2, .padding = 1, .groups = 8});
  nn::Linear fc(8, 10, gen);
  NoGradGuard no_grad;
  nn::FlopCounter outer;
  Tensor h;
  {
    nn::FlopCounter inner;
    h = depthwise.forward(conv.forward(Tensor::zeros({2, 3, 6, 6})));  // [2,8,6,6] -> [2,8,3,3]
    // conv: 2·8·6·6 outputs × 3·3·3 MACs; depthwise: 2·8·3·3 outputs × 1·3·3 MACs.
    CHECK(inner.flops() == 2 * (2 * 8 * 6 * 6 * 27 + 2 * 8 * 3 * 3 * 9));
  }
  CHECK(outer.flops() == 0);
  fc.forward(Tensor::zeros({4, 8}));
  CHECK(outer.flops() == 2 * 4 * 10 * 8);
}

TEST_CASE("a strict load without num_batches_tracked is accepted, as in PyTorch, and keeps the counter",
          "[layers][module]") {
  Generator gen(6);
  nn::Sequential net;
  net.push_back(std::make_shared<nn::BatchNorm2d>(3));
  net.forward(Tensor::randn({4, 3, 5, 5}, gen));  // counter 1
  NamedTensors state;
  for (const auto& [name, t] : net.state_dict())
    if (name != "0.num_batches_tracked") state.emplace_back(name, t.detach().clone());
  net.load_state_dict(state, /*strict=*/true);
  CHECK(net.state_dict().back().second.item<int64_t>() == 1);
  // Any other missing buffer is still an error.
  std::erase_if(state, [](const auto& kv) { return kv.first == "0.running_var"; });
  REQUIRE_THROWS_WITH(net.load_state_dict(state, /*strict=*/true), Contains("1 missing key(s): 0.running_var"));
}
