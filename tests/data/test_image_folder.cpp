#include <catch2/catch.hpp>
#include <cstdlib>

#include "core/error.h"
#include "datasets/image_codec.h"
#include "datasets/image_folder.h"
#include "datasets/market1501.h"
#include "tests/data/data_files.h"

using namespace cohort;
using namespace cohort::data;
namespace fs = std::filesystem;

namespace {

int max_abs_diff(const Image& a, const Image& b) {
  REQUIRE((a.h == b.h && a.w == b.w && a.c == b.c));
  int worst = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) worst = std::max(worst, std::abs(a.pixels[i] - b.pixels[i]));
  return worst;
}

}  // namespace

TEST_CASE("JPEG and PNG decode to the encoded pixels", "[data]") {
  Image rgb = test::smooth_image(12, 20, 3, 1);
  auto jpeg = test::encode_jpeg(rgb, 100);
  REQUIRE(sniff_image_format(jpeg.data(), jpeg.size()) == ImageFormat::jpeg);
  Image dj = decode_image(jpeg, 3, "a.jpg");
  REQUIRE(max_abs_diff(dj, rgb) <= 3);  // lossy, but quality 100 4:4:4 on a smooth image
  auto png = test::encode_png(rgb);
  REQUIRE(sniff_image_format(png.data(), png.size()) == ImageFormat::png);
  REQUIRE(decode_image(png, 3, "a.png").pixels == rgb.pixels);  // lossless
  // Grey output from colour input, and grey files.
  Image grey = test::smooth_image(9, 7, 1, 2);
  REQUIRE(decode_image(test::encode_png(grey), 1, "g.png").pixels == grey.pixels);
  Image gj = decode_image(test::encode_jpeg(grey, 100), 1, "g.jpg");
  REQUIRE(max_abs_diff(gj, grey) <= 2);
  Image g3 = decode_image(test::encode_png(grey), 3, "g.png");
  REQUIRE(g3.c == 3);
  REQUIRE((g3.at(4, 3, 0) == grey.at(4, 3, 0) && g3.at(4, 3, 2) == grey.at(4, 3, 0)));
}

TEST_CASE("corrupt and truncated images are errors naming the file", "[data]") {
  Image rgb = test::smooth_image(32, 48, 3, 3);
  auto jpeg = test::encode_jpeg(rgb, 90);
  auto png = test::encode_png(rgb);
  SECTION("not an image") {
    REQUIRE_THROWS_AS(decode_image({'h', 'e', 'l', 'l', 'o'}, 3, "x.jpg"), IOError);
    REQUIRE_THROWS_WITH(decode_image({'h', 'e', 'l', 'l', 'o'}, 3, "x.jpg"),
                        Catch::Contains("x.jpg") && Catch::Contains("neither a JPEG nor a PNG"));
  }
  SECTION("truncated JPEG (libjpeg would pad with grey and only warn)") {
    auto cut = std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() * 2 / 3));
    REQUIRE_THROWS_AS(decode_image(cut, 3, "cut.jpg"), IOError);
    REQUIRE_THROWS_WITH(decode_image(cut, 3, "cut.jpg"), Catch::Contains("cut.jpg") && Catch::Contains("JPEG"));
  }
  SECTION("JPEG header only") {
    auto cut = std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + 20);
    REQUIRE_THROWS_WITH(decode_image(cut, 3, "h.jpg"), Catch::Contains("h.jpg"));
  }
  SECTION("truncated PNG") {
    auto cut = std::vector<uint8_t>(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2));
    REQUIRE_THROWS_AS(decode_image(cut, 3, "cut.png"), IOError);
    REQUIRE_THROWS_WITH(decode_image(cut, 3, "cut.png"), Catch::Contains("cut.png") && Catch::Contains("PNG"));
  }
  SECTION("PNG with a damaged image chunk") {
    auto bad = png;
    for (size_t i = 60; i < 80 && i < bad.size(); ++i) bad[i] ^= 0xff;
    REQUIRE_THROWS_WITH(decode_image(bad, 3, "bad.png"), Catch::Contains("bad.png"));
  }
  SECTION("a failed decode does not spoil the next one on the same thread") {
    for (size_t cut : {size_t{20}, jpeg.size() / 3, jpeg.size() - 10}) {
      REQUIRE_THROWS_AS(decode_image(std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(cut)),
                                     3, "cut.jpg"),
                        IOError);
      REQUIRE(decode_image(jpeg, 3, "good.jpg").w == 48);
    }
  }
  SECTION("channel count must be 1 or 3") {
    REQUIRE_THROWS_WITH(decode_image(png, 4, "a.png"), Catch::Contains("channels must be 1 or 3"));
  }
}

TEST_CASE("image folder: classes from sorted subfolders, files in path order", "[data]") {
  fs::path root = test::fresh_dir("imagefolder");
  // Two JPEG classes and one PNG class, with differently sized images and a stray text file.
  std::vector<std::string> classes{"cardinal", "albatross", "bunting"};
  int64_t seed = 0;
  for (const std::string& cls : classes) {
    for (int k = 0; k < 3; ++k, ++seed) {
      Image img = test::smooth_image(10 + k, 14 + 2 * k, 3, seed);
      if (cls == "bunting") test::write_bytes(root / cls / fmt::format("img{}.png", k), test::encode_png(img));
      else test::write_bytes(root / cls / fmt::format("img{}.JPG", k), test::encode_jpeg(img, 100));
    }
  }
  test::write_bytes(root / "albatross" / "notes.txt", {'h', 'i'});
  ImageFolderDataset ds(root);
  REQUIRE(ds.size() == 9);
  REQUIRE(ds.num_classes() == 3);
  REQUIRE(ds.class_names() == std::vector<std::string>{"albatross", "bunting", "cardinal"});
  REQUIRE(ds.ignored_files() == 1);
  // albatross = seeds 3..5, bunting = 6..8 (PNG, exact), cardinal = 0..2.
  for (int k = 0; k < 3; ++k) {
    Example a = ds.get(k);
    REQUIRE(a.label == 0);
    REQUIRE(max_abs_diff(a.image, test::smooth_image(10 + k, 14 + 2 * k, 3, 3 + k)) <= 3);
    Example b = ds.get(3 + k);
    REQUIRE(b.label == 1);
    REQUIRE(b.image.pixels == test::smooth_image(10 + k, 14 + 2 * k, 3, 6 + k).pixels);
    REQUIRE(ds.get(6 + k).label == 2);
    REQUIRE(!a.person_id.has_value());
  }
  REQUIRE_THAT(ds.describe(4), Catch::Contains("bunting") && Catch::Contains("img1.png"));
  ImageFolderDataset grey(root, 1);
  REQUIRE(grey.get(0).image.c == 1);

  SECTION("a corrupt file fails in get() with its path") {
    auto bytes = test::read_bytes(root / "cardinal" / "img1.JPG");
    bytes.resize(bytes.size() / 2);
    test::write_bytes(root / "cardinal" / "img1.JPG", bytes);
    ImageFolderDataset again(root);
    REQUIRE_THROWS_AS(again.get(7), IOError);
    REQUIRE_THROWS_WITH(again.get(7), Catch::Contains("img1.JPG"));
  }
  SECTION("an empty class folder is an error") {
    fs::create_directories(root / "dodo");
    REQUIRE_THROWS_WITH(ImageFolderDataset(root), Catch::Contains("dodo") && Catch::Contains("no .jpg"));
  }
  SECTION("missing root") {
    REQUIRE_THROWS_AS(ImageFolderDataset(root / "nope"), IOError);
  }
}

TEST_CASE("Market-1501 names: person, camera, sequence, frame, box", "[data]") {
  auto n = parse_market1501_name("0002_c1s1_000451_03.jpg");
  REQUIRE(n.has_value());
  REQUIRE((n->person_id == 2 && n->camera == 1 && n->sequence == 1 && n->frame == 451 && n->box == 3));
  auto junk = parse_market1501_name("-1_c3s2_012345_00.jpg");
  REQUIRE(junk.has_value());
  REQUIRE((junk->person_id == -1 && junk->camera == 3 && junk->sequence == 2));
  REQUIRE(parse_market1501_name("0000_c6s4_002202_01.jpg")->person_id == 0);
  for (const char* bad : {"2_c1s1_000451_03.jpg", "0002_c0s1_000451_03.jpg", "0002_c1s1_451_03.jpg",
                          "0002_c1s1_000451_03.gif", "-2_c1s1_000451_03.jpg", "Thumbs.db", ""}) {
    INFO(bad);
    REQUIRE(!parse_market1501_name(bad).has_value());
  }
}

TEST_CASE("Market-1501 layout: ids, cameras, junk and distractors", "[data]") {
  fs::path root = test::fresh_dir("market");
  fs::path base = root / "Market-1501-v15.09.15";
  auto jpg = test::encode_jpeg(test::smooth_image(16, 8, 3, 0), 90);
  for (const char* f : {"0002_c1s1_000451_03.jpg", "0002_c2s1_000500_01.jpg", "0007_c3s2_001000_02.jpg",
                        "1501_c6s4_002000_00.jpg"})
    test::write_bytes(base / "bounding_box_train" / f, jpg);
  for (const char* f : {"-1_c1s1_000401_03.jpg", "-1_c2s1_000402_01.jpg", "0000_c2s1_000001_00.jpg",
                        "0002_c4s1_000100_01.jpg", "0009_c5s3_000200_02.jpg"})
    test::write_bytes(base / "bounding_box_test" / f, jpg);
  test::write_bytes(base / "bounding_box_test" / "Thumbs.db", {1, 2, 3});
  test::write_bytes(base / "query" / "0002_c1s1_000300_00.jpg", jpg);

  Market1501Dataset train(root, "train");
  REQUIRE(train.size() == 4);
  REQUIRE(train.num_classes() == 3);  // ids 2, 7, 1501
  std::vector<int64_t> labels, pids, cams;
  for (int64_t i = 0; i < train.size(); ++i) {
    Example ex = train.get(i);
    REQUIRE((ex.image.h == 16 && ex.image.w == 8));
    labels.push_back(ex.label);
    pids.push_back(*ex.person_id);
    cams.push_back(*ex.camera_id);
  }
  REQUIRE(labels == std::vector<int64_t>{0, 0, 1, 2});
  REQUIRE(pids == std::vector<int64_t>{2, 2, 7, 1501});
  REQUIRE(cams == std::vector<int64_t>{1, 2, 3, 6});
  REQUIRE(train.num_junk() == 0);

  Market1501Dataset gallery(root, "test");
  REQUIRE(gallery.name() == "market1501/gallery");
  REQUIRE(gallery.size() == 5);  // junk and distractors are kept; Thumbs.db is not an image
  REQUIRE(gallery.ignored_files() == 1);
  REQUIRE(gallery.num_junk() == 2);
  REQUIRE(gallery.num_distractors() == 1);
  REQUIRE(gallery.num_classes() == 2);  // ids 2 and 9
  // Sorted paths: "-1_..." < "0000_..." < "0002_..." < "0009_...".
  REQUIRE((gallery.get(0).label == -1 && *gallery.get(0).person_id == -1));
  REQUIRE((gallery.get(2).label == -1 && *gallery.get(2).person_id == 0));
  REQUIRE((gallery.get(3).label == 0 && *gallery.get(3).person_id == 2 && *gallery.get(3).camera_id == 4));
  REQUIRE(gallery.get(4).label == 1);

  Market1501Dataset query(root, "query");
  REQUIRE(query.size() == 1);

  REQUIRE_THROWS_WITH(Market1501Dataset(root, "val"), Catch::Contains("unknown split 'val'"));
  test::write_bytes(base / "query" / "person7.jpg", jpg);
  REQUIRE_THROWS_WITH(Market1501Dataset(root, "query"),
                      Catch::Contains("person7.jpg") && Catch::Contains("naming pattern"));
  REQUIRE_THROWS_AS(Market1501Dataset(test::fresh_dir("market-empty"), "train"), IOError);
}
