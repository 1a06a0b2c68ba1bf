#include <catch2/catch.hpp>
#include <filesystem>

#include "core/error.h"
#include "datasets/factory.h"
#include "datasets/subset.h"
#include "tests/data/data_files.h"

using namespace cohort;
using namespace cohort::data;
namespace fs = std::filesystem;

TEST_CASE("make_dataset builds every named dataset", "[data]") {
  fs::path root = test::fresh_dir("factory");
  // Tiny files for each format.
  test::write_bytes(root / "cifar-100-binary" / "test.bin", test::cifar_record({3, 42}, 0));
  test::write_bytes(root / "cifar-10-batches-bin" / "test_batch.bin", test::cifar_record({9}, 0));
  auto images = test::idx_bytes({1, 28, 28}, std::vector<uint8_t>(784, 7));
  auto labels = test::idx_bytes({1}, {4});
  for (const char* sub : {"mnist", "fashion-mnist"}) {
    test::write_bytes(root / sub / "t10k-images-idx3-ubyte", images);
    test::write_bytes(root / sub / "t10k-labels-idx1-ubyte", labels);
  }
  auto png = test::encode_png(test::smooth_image(5, 6, 3, 0));
  test::write_bytes(root / "folders" / "train" / "cat" / "a.png", png);
  test::write_bytes(root / "folders" / "train" / "dog" / "b.png", png);
  test::write_bytes(root / "market" / "query" / "0002_c1s1_000451_03.png", png);

  REQUIRE(make_dataset("cifar100", root.string(), "test")->get(0).label == 42);
  DatasetOptions coarse;
  coarse.coarse_labels = true;
  REQUIRE(make_dataset("cifar100", root.string(), "test", coarse)->get(0).label == 3);
  REQUIRE(make_dataset("cifar10", root.string(), "test")->get(0).label == 9);
  REQUIRE(make_dataset("mnist", root.string(), "test")->get(0).label == 4);
  REQUIRE(make_dataset("fashion-mnist", root.string(), "test")->name() == "fashion-mnist/test");
  REQUIRE(make_dataset("imagefolder", (root / "folders").string(), "train")->num_classes() == 2);
  REQUIRE(make_dataset("imagefolder", (root / "folders" / "train").string(), "all")->size() == 2);
  REQUIRE(*make_dataset("market1501", (root / "market").string(), "query")->get(0).camera_id == 1);
  DatasetOptions syn;
  syn.synthetic_size = 12;
  syn.synthetic_classes = 4;
  auto s = make_dataset("synthetic", "", "train", syn);
  REQUIRE((s->size() == 12 && s->num_classes() == 4));
  REQUIRE(make_dataset("synthetic", "", "test")->size() == 10000);

  REQUIRE_THROWS_WITH(make_dataset("imagenet", "", "train"),
                      Catch::Contains("unknown dataset 'imagenet'") && Catch::Contains("cifar100"));
  REQUIRE_THROWS_WITH(make_dataset("cifar10", root.string(), "val"), Catch::Contains("unknown split 'val'"));
  REQUIRE_THROWS_WITH(make_dataset("imagefolder", (root / "folders").string(), "test"),
                      Catch::Contains("split folder"));
  REQUIRE_THROWS_AS(make_dataset("cifar100", root.string(), "train"), IOError);
}

TEST_CASE("normalisation constants by dataset name", "[data]") {
  REQUIRE(normalization_for("cifar100").mean[0] == 0.5071);
  REQUIRE(normalization_for("cifar10").mean[0] == 0.4914);
  REQUIRE(normalization_for("mnist").std[0] == 0.3081);
  REQUIRE(normalization_for("fashion-mnist").mean.size() == 1);
  REQUIRE(normalization_for("market1501").mean[0] == 0.485);
  REQUIRE(normalization_for("imagefolder", 1).mean.size() == 1);
  REQUIRE(normalization_for("synthetic").mean.size() == 3);
  REQUIRE_THROWS_WITH(normalization_for("nope"), Catch::Contains("nope"));
  REQUIRE(cifar_augmentation()->str() ==
          "Compose(RandomCrop(32x32, padding=4, reflect), RandomHorizontalFlip(p=0.5))");
  for (const std::string& name : dataset_names()) REQUIRE_NOTHROW(normalization_for(name));
}

TEST_CASE("subsets view some examples of a dataset", "[data]") {
  DatasetOptions o;
  o.synthetic_size = 20;
  std::shared_ptr<const Dataset> full = make_dataset("synthetic", "", "train", o);
  auto head = first_n(full, 5);
  REQUIRE(head->size() == 5);
  REQUIRE(head->get(3).image.pixels == full->get(3).image.pixels);
  REQUIRE(head->num_classes() == full->num_classes());
  REQUIRE(head->name() == "synthetic/train[5 of 20]");
  REQUIRE(first_n(full, 0) == full);
  REQUIRE(first_n(full, 99) == full);
  SubsetDataset picked(full, {19, 0, 7});
  REQUIRE(picked.get(0).label == 19 % 10);
  REQUIRE(picked.base_index(2) == 7);
  REQUIRE_THAT(picked.describe(0), Catch::Contains("example 19"));
  REQUIRE_THROWS_WITH(SubsetDataset(full, {3, 20}), Catch::Contains("index 20") && Catch::Contains("position 1"));
  REQUIRE_THROWS_WITH(picked.get(3), Catch::Contains("out of range"));
}
