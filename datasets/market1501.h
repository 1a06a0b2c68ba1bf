// Market-1501 person re-identification (Zheng et al., ICCV 2015), the layout of
// Market-1501-v15.09.15.zip:
//
//   root[/Market-1501-v15.09.15]/bounding_box_train/   split "train"    (751 ids, 12,936 images)
//                                bounding_box_test/    split "gallery" or "test"
//                                query/                split "query"
//
// File names are <pid>_c<camera>s<sequence>_<frame>_<box>.jpg, e.g. 0002_c1s1_000451_03.jpg:
// person 2, camera 1, sequence 1, frame 451, detection box 3. Two ids are special, as the
// dataset's own evaluation code defines them:
//   -1    "junk" detections (bad boxes, body parts): they count neither as matches nor as
//         mismatches; the official evaluation removes them from every ranking (together with
//         gallery images of the query's own person seen by the query's own camera);
//   0000  "distractors": false detections kept in the gallery as guaranteed mismatches.
// Every image is kept. Example::person_id is the raw id (-1, 0 or 1..1501) and camera_id the
// camera (1..6), so a CMC/mAP evaluator can apply the rules above. Example::label is the index of
// the person among the real identities (id >= 1) of the split, in increasing id order, and -1
// for junk and distractor images. A file name that does not follow the pattern is an error;
// non-image files (the archive ships a Thumbs.db) are not examples and are only counted.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "datasets/image_files.h"

namespace cohort::data {

struct Market1501Name {
  int64_t person_id = 0;  // -1 junk, 0 distractor, else the identity
  int64_t camera = 0;     // 1-based
  int64_t sequence = 0;
  int64_t frame = 0;
  int64_t box = 0;
};

// Parses a file name (without directories); nullopt when it does not follow the pattern.
std::optional<Market1501Name> parse_market1501_name(const std::string& filename);

class Market1501Dataset : public ImageFileDataset {
 public:
  // split: "train", "query", "gallery" (= "test").
  Market1501Dataset(const std::filesystem::path& root, const std::string& split, int channels = 3);

  int64_t num_classes() const override { return num_identities_; }
  std::string name() const override { return "market1501/" + split_; }

  int64_t num_junk() const { return num_junk_; }
  int64_t num_distractors() const { return num_distractors_; }

 private:
  std::string split_;
  int64_t num_identities_ = 0, num_junk_ = 0, num_distractors_ = 0;
};

}  // namespace cohort::data
