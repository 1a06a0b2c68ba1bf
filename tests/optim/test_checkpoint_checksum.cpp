// A checkpoint stores a checksum of its tensor data and verifies it on load: a bit flipped on
// disk used to resume silently (and the run later called it "the last good checkpoint").
#include <catch2/catch.hpp>
#include <fstream>

#include "core/random.h"
#include "core/safetensors.h"
#include "optim/checkpoint.h"
#include "tests/support/torch_refs.h"

using namespace cohort;
using Catch::Contains;

namespace {

// Flips one bit of the byte at `offset` from the end of the file (inside the tensor data).
void flip_bit_from_end(const std::string& path, std::streamoff offset, int bit) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(-offset, std::ios::end);
  char c;
  f.get(c);
  f.seekp(-offset, std::ios::end);
  f.put(static_cast<char>(c ^ (1 << bit)));
}

}  // namespace

TEST_CASE("a checkpoint whose tensor data changed on disk is refused as corrupt", "[optim][checkpoint]") {
  Generator gen(1);
  NamedTensors model = {{"fc.weight", Tensor::randn({8, 16}, gen)}, {"fc.bias", Tensor::randn({8}, gen)}};
  optim::CheckpointParts parts;
  parts.models.push_back(model);
  const std::string path = test::temp_dir() + "/checksum.safetensors";
  for (std::streamoff offset : {std::streamoff{1}, std::streamoff{37}, std::streamoff{8 * 4 + 3}}) {
    INFO("byte " << offset << " from the end");
    optim::save_checkpoint(path, parts, {{"epoch", 1}});
    const auto doc = nlohmann::json::parse(safetensors::load_metadata(path).at("cohort.checkpoint"));
    REQUIRE(doc.at("checksum").get<std::string>().rfind("xormul64:", 0) == 0);
    REQUIRE(optim::load_checkpoint(path, parts) == nlohmann::json{{"epoch", 1}});  // intact: loads
    flip_bit_from_end(path, offset, static_cast<int>(offset % 8));
    REQUIRE_THROWS_AS(optim::load_checkpoint(path, parts), IOError);
    REQUIRE_THROWS_WITH(optim::load_checkpoint(path, parts),
                        Contains("checksum.safetensors") && Contains("checksum") && Contains("corrupt"));
  }
}
