// Model weights as safetensors files (layers/weights.h, core/safetensors.h): round trips here,
// to PyTorch (a file written here, loaded by PyTorch in a subprocess, gives our logits) and from
// PyTorch (the torch_references fixture's files load here with their exact values; parity of
// their logits is in test_models_torch.cpp), and every kind of bad file failing with a message
// that names the file and the tensor.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/autograd.h"
#include "core/ops/elementwise.h"
#include "core/safetensors.h"
#include "layers/models/registry.h"
#include "layers/weights.h"
#include "tests/support/tolerance.h"
#include "tests/support/torch_refs.h"

using namespace cohort;
using Catch::Matchers::Contains;

namespace {

std::string scratch(const std::string& name) { return test::temp_dir() + "/weights-" + name; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The header JSON of a safetensors file, and the file rebuilt with another header.
std::string header_of(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return bytes.substr(8, n);
}
std::string with_header(const std::string& bytes, const std::string& header, uint64_t declared_len) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((declared_len >> (8 * i)) & 0xFF);
  return out + header + bytes.substr(8 + header_of(bytes).size());
}

std::shared_ptr<nn::Model> build(const std::string& name, int64_t classes, const nn::ModelOptions& options,
                                 uint64_t seed) {
  Generator gen(seed);
  return nn::make_model(name, classes, options, gen);
}

// Moves every BN statistic and affine parameter away from its initial value (a few train-mode
// batches, then noise on the affine parameters), so a file that lost or swapped them shows.
void perturb(nn::Model& model, Generator& gen) {
  model.train();
  NoGradGuard no_grad;
  for (int i = 0; i < 3; ++i)
    model.forward(Tensor::randn({4, model.in_channels(), model.input_size(), model.input_size()}, gen));
  for (auto& [name, t] : model.named_parameters())
    if (t.dim() == 1) {
      Tensor noise = Tensor::empty(t.shape());
      uniform_(noise, gen, -0.3, 0.3);
      t.copy_(ops::add(t.detach(), noise));
    }
  model.eval();
}

Tensor eval_logits(nn::Model& model, const Tensor& x) {
  model.eval();
  NoGradGuard no_grad;
  return model.forward(x);
}

void require_same_state(const nn::Module& a, const nn::Module& b) {
  const NamedTensors sa = a.state_dict(), sb = b.state_dict();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    INFO(sa[i].first);
    REQUIRE(sa[i].first == sb[i].first);
    REQUIRE(sa[i].second.dtype() == sb[i].second.dtype());
    REQUIRE(sa[i].second.shape() == sb[i].second.shape());
    CHECK(std::memcmp(sa[i].second.raw_data(), sb[i].second.raw_data(), sa[i].second.nbytes()) == 0);
  }
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST_CASE("save_weights then load_weights restores every parameter and buffer exactly",
          "[layers][weights]") {
  auto src = build("resnet20", 10, {.shortcut_b = true}, 1);
  Generator gen(2);
  perturb(*src, gen);
  const std::string path = scratch("roundtrip.safetensors");
  nn::save_weights(*src, path);

  // The file is a plain state_dict: every key, PyTorch's dtypes, metadata format=pt.
  const safetensors::Contents file = safetensors::load(path);
  CHECK(file.metadata.at("format") == "pt");
  CHECK(file.tensors.size() == src->state_dict().size());
  CHECK(file.tensors.at("layer2.0.shortcut.0.weight").shape() == Shape{32, 16, 1, 1});
  CHECK(file.tensors.at("layer1.0.bn1.num_batches_tracked").dtype() == DType::i64);
  CHECK(file.tensors.at("layer1.0.bn1.num_batches_tracked").item<int64_t>() == 3);
  // Written atomically: no temporary file is left beside it.
  for (const auto& entry : std::filesystem::directory_iterator(test::temp_dir()))
    CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);

  auto dst = build("resnet20", 10, {.shortcut_b = true}, 77);
  nn::load_weights(*dst, path);
  require_same_state(*src, *dst);
  const Tensor x = Tensor::randn({2, 3, 32, 32}, gen);
  CHECK(eval_logits(*src, x).to_vector<float>() == eval_logits(*dst, x).to_vector<float>());

  // Saving an f64 model writes f64 tensors (i64 counters stay i64).
  src->to(DType::f64);
  nn::save_weights(*src, path);
  CHECK(safetensors::load(path).tensors.at("conv1.weight").dtype() == DType::f64);
  CHECK(safetensors::load(path).tensors.at("bn1.num_batches_tracked").dtype() == DType::i64);
}

TEST_CASE("weights written here load in PyTorch and give the same logits", "[layers][weights][torch]") {
  struct Case {
    std::string model;
    int64_t classes;
    nn::ModelOptions options;
  };
  const Case cases[] = {{"resnet20", 10, {.shortcut_b = true}},  // option B: shortcut.0/.1
                        {"wrn-16-2", 10, {}},                    // convShortcut, block*.layer.*
                        {"mobilenet", 100, {.width = 0.5}},      // depthwise layers.*
                        {"cnn-small", 10, {.in_channels = 1}}};
  for (const Case& c : cases) {
    INFO(c.model);
    auto model = build(c.model, c.classes, c.options, 5);
    Generator gen(6);
    perturb(*model, gen);
    const std::string weights = scratch(c.model + ".safetensors"), input = scratch(c.model + "-x.safetensors"),
                      output = scratch(c.model + "-torch.safetensors");
    nn::save_weights(*model, weights);
    const int64_t size = model->input_size();
    const Tensor x = Tensor::randn({3, c.options.in_channels, size, size}, gen);
    safetensors::save(input, {{"x", x}});
    const Tensor ours = eval_logits(*model, x);

    const nlohmann::json options = {{"in_channels", c.options.in_channels},
                                    {"width", c.options.width},
                                    {"shortcut_b", c.options.shortcut_b}};
    const std::string log = scratch(c.model + "-python.log");
    const std::string cmd = quoted(test::torch_python()) + " " +
                            quoted(std::string(COHORT_SOURCE_DIR) + "/tests/python/eval_cohort_weights.py") +
                            " " + c.model + " " + std::to_string(c.classes) + " " + quoted(options.dump()) +
                            " " + quoted(weights) + " " + quoted(input) + " " + quoted(output) + " > " +
                            quoted(log) + " 2>&1";
    const int rc = std::system(cmd.c_str());
    INFO("command: " << cmd << "\noutput:\n" << read_bytes(log));
    REQUIRE(rc == 0);
    const safetensors::Contents torch_out = safetensors::load(output);
    INFO("PyTorch read the file with " << torch_out.metadata.at("reader"));
    REQUIRE_CLOSE(torch_out.tensors.at("logits"), ours, 1e-4, 1e-4);
  }
}

TEST_CASE("a weights file written by PyTorch loads here with its exact values", "[layers][weights][torch]") {
  const std::string path = test::torch_reference_path("models_mobilenet_w0.25_weights");
  const safetensors::Contents file = safetensors::load(path);
  CHECK(file.metadata.at("format") == "pt");
  auto model = build("mobilenet", 100, {.width = 0.25}, 3);
  nn::load_weights(*model, path);
  for (const auto& [name, t] : model->state_dict()) {
    INFO(name);
    const Tensor& ref = file.tensors.at(name);
    REQUIRE(ref.dtype() == t.dtype());
    CHECK(std::memcmp(ref.raw_data(), t.raw_data(), t.nbytes()) == 0);
  }
  // And it is written back byte-identically in content: save here, reload, same values.
  const std::string again = scratch("from-torch.safetensors");
  nn::save_weights(*model, again);
  auto copy = build("mobilenet", 100, {.width = 0.25}, 4);
  nn::load_weights(*copy, again);
  require_same_state(*model, *copy);
}

TEST_CASE("bad weights files fail with messages naming the file and the tensor", "[layers][weights]") {
  auto model = build("cnn-small", 10, {}, 8);
  Generator gen(10);
  perturb(*model, gen);
  const std::string good = scratch("good.safetensors");
  nn::save_weights(*model, good);
  const std::string bytes = read_bytes(good);
  const std::string header = header_of(bytes);
  const std::string bad = scratch("bad.safetensors");
  auto load_bad = [&](const std::string& contents) {
    write_bytes(bad, contents);
    auto target = build("cnn-small", 10, {}, 9);
    nn::load_weights(*target, bad);
  };
  const std::string file = "safetensors file '" + bad + "'";

  SECTION("missing file") {
    auto target = build("cnn-small", 10, {}, 9);
    REQUIRE_THROWS_WITH(nn::load_weights(*target, scratch("nope.safetensors")),
                        Contains("safetensors file '" + scratch("nope.safetensors") + "': cannot open"));
  }
  SECTION("truncated inside the data: the last tensor runs past the end") {
    // Data is laid out in name order; fc2.weight (10x128 f32) is last.
    REQUIRE_THROWS_WITH(load_bad(bytes.substr(0, bytes.size() - 100)),
                        Contains(file) && Contains("tensor 'fc2.weight'") &&
                            Contains("runs past the end of the file") && Contains("truncated?"));
  }
  SECTION("truncated inside the header") {
    REQUIRE_THROWS_WITH(load_bad(bytes.substr(0, 8 + header.size() / 2)),
                        Contains(file) && Contains("header length " + std::to_string(header.size())) &&
                            Contains("exceeds"));
  }
  SECTION("truncated before the header length") {
    REQUIRE_THROWS_WITH(load_bad(bytes.substr(0, 5)), Contains(file) && Contains("truncated: 5 bytes"));
  }
  SECTION("header length larger than the file") {
    REQUIRE_THROWS_WITH(load_bad(with_header(bytes, header, uint64_t{1} << 40)),
                        Contains(file) && Contains("header length 1099511627776 at offset 0 exceeds"));
  }
  SECTION("header length shorter than the header") {
    REQUIRE_THROWS_WITH(load_bad(with_header(bytes, header, header.size() - 16)),
                        Contains(file) && Contains("is not valid JSON"));
  }
  SECTION("unsupported dtype") {
    nlohmann::ordered_json h = nlohmann::ordered_json::parse(header);
    h["conv2.weight"]["dtype"] = "F8_E4M3";
    REQUIRE_THROWS_WITH(load_bad(with_header(bytes, h.dump(), h.dump().size())),
                        Contains(file) && Contains("tensor 'conv2.weight'") &&
                            Contains("unsupported dtype 'F8_E4M3'"));
  }
  SECTION("another precision (f64 for an f32 parameter) is converted, and the report says so") {
    safetensors::TensorMap state;
    for (const auto& [name, t] : model->state_dict()) state.emplace(name, name == "conv2.weight" ? t.to(DType::f64) : t);
    safetensors::save(bad, state);
    auto target = build("cnn-small", 10, {}, 9);
    nn::LoadReport report = nn::load_weights(*target, bad);
    REQUIRE(report.notes.size() == 1);
    CHECK_THAT(report.notes[0], Contains(bad) && Contains("converted 1 tensor(s) from f64 to f32"));
    require_same_state(*model, *target);
  }
  SECTION("data_offsets that do not fit the shape") {
    nlohmann::ordered_json h = nlohmann::ordered_json::parse(header);
    h["bn1.bias"]["shape"] = {33};
    REQUIRE_THROWS_WITH(load_bad(with_header(bytes, h.dump(), h.dump().size())),
                        Contains(file) && Contains("tensor 'bn1.bias'") && Contains("hold 128 bytes") &&
                            Contains("F32 [33] needs 132"));
  }
  SECTION("an entry without data_offsets") {
    nlohmann::ordered_json h = nlohmann::ordered_json::parse(header);
    h["fc2.bias"].erase("data_offsets");
    REQUIRE_THROWS_WITH(load_bad(with_header(bytes, h.dump(), h.dump().size())),
                        Contains(file) && Contains("tensor 'fc2.bias'") &&
                            Contains("needs dtype, shape and data_offsets"));
  }
  SECTION("missing tensors") {
    safetensors::TensorMap state;
    for (const auto& [name, t] : model->state_dict())
      if (name != "bn2.running_var" && name != "conv1.weight") state.emplace(name, t);
    safetensors::save(bad, state);
    auto target = build("cnn-small", 10, {}, 9);
    REQUIRE_THROWS_WITH(nn::load_weights(*target, bad),
                        Contains("load_weights '" + bad + "'") &&
                            Contains("2 missing key(s): conv1.weight, bn2.running_var"));
    // Tolerated when not strict: the present tensors are loaded.
    nn::load_weights(*target, bad, /*strict=*/false);
    CHECK(target->state_dict()[2].first == "bn1.bias");
    CHECK(target->state_dict()[2].second.to_vector<float>() == model->state_dict()[2].second.to_vector<float>());
  }
  SECTION("unexpected tensors") {
    safetensors::TensorMap state;
    for (const auto& [name, t] : model->state_dict()) state.emplace(name, t);
    state.emplace("fc3.weight", Tensor::ones({3, 3}));
    safetensors::save(bad, state);
    auto target = build("cnn-small", 10, {}, 9);
    REQUIRE_THROWS_WITH(nn::load_weights(*target, bad),
                        Contains("load_weights '" + bad + "'") && Contains("1 unexpected key(s): fc3.weight"));
    nn::load_weights(*target, bad, /*strict=*/false);
    require_same_state(*model, *target);
  }
  SECTION("wrong shapes: a 10-class file into a 100-class model") {
    auto target = build("cnn-small", 100, {}, 9);
    REQUIRE_THROWS_WITH(nn::load_weights(*target, good),
                        Contains("load_weights '" + good + "'") &&
                            Contains("2 mismatched key(s): fc2.weight (expected [100, 128] f32, got [10, 128] f32), "
                                     "fc2.bias (expected [100] f32, got [10] f32)"));
  }
}
