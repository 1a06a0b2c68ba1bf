#include "datasets/market1501.h"

#include <map>
#include <regex>

#include "core/error.h"

namespace cohort::data {

namespace fs = std::filesystem;

std::optional<Market1501Name> parse_market1501_name(const std::string& filename) {
  // <pid: -1 or 4 digits>_c<camera digit>s<sequence digit>_<frame: 6 digits>_<box: 2 digits>.<ext>
  static const std::regex kPattern(R"(^(-1|\d{4})_c([1-9])s(\d)_(\d{6})_(\d{2})\.(jpg|jpeg|png)$)",
                                   std::regex::icase);
  std::smatch m;
  if (!std::regex_match(filename, m, kPattern)) return std::nullopt;
  Market1501Name n;
  n.person_id = std::stoll(m[1].str());
  n.camera = std::stoll(m[2].str());
  n.sequence = std::stoll(m[3].str());
  n.frame = std::stoll(m[4].str());
  n.box = std::stoll(m[5].str());
  return n;
}

Market1501Dataset::Market1501Dataset(const fs::path& root, const std::string& split, int channels)
    : ImageFileDataset(channels), split_(split == "test" ? "gallery" : split) {
  const char* folder = nullptr;
  if (split_ == "train") folder = "bounding_box_train";
  else if (split_ == "gallery") folder = "bounding_box_test";
  else if (split_ == "query") folder = "query";
  COHORT_CHECK(folder != nullptr, "Market-1501: unknown split '{}' (expected train, query, gallery/test)",
               split);
  std::error_code ec;
  fs::path base = root;
  for (const char* sub : {"Market-1501-v15.09.15", "Market-1501"}) {
    if (!fs::is_directory(base / folder, ec) && fs::is_directory(root / sub / folder, ec)) base = root / sub;
  }
  fs::path dir = base / folder;
  if (!fs::is_directory(dir, ec)) {
    throw IOError(fmt::format("Market-1501: '{}' not found (looked in '{}', '{}/Market-1501-v15.09.15')",
                              folder, root.string(), root.string()));
  }
  std::vector<fs::path> files = list_images(dir);
  if (files.empty()) throw IOError(fmt::format("Market-1501: '{}' holds no images", dir.string()));
  std::map<int64_t, int64_t> label_of;  // identity -> label, in increasing id order
  std::vector<Market1501Name> names;
  for (const fs::path& f : files) {
    std::optional<Market1501Name> n = parse_market1501_name(f.filename().string());
    if (!n) {
      throw IOError(fmt::format("Market-1501: '{}' does not follow the naming pattern "
                                "<pid>_c<cam>s<seq>_<frame>_<box>.jpg (e.g. 0002_c1s1_000451_03.jpg)",
                                f.string()));
    }
    if (n->person_id >= 1) label_of.emplace(n->person_id, 0);
    names.push_back(*n);
  }
  int64_t next = 0;
  for (auto& [id, label] : label_of) label = next++;
  num_identities_ = next;
  for (size_t i = 0; i < files.size(); ++i) {
    const Market1501Name& n = names[i];
    int64_t label = -1;
    if (n.person_id >= 1) label = label_of.at(n.person_id);
    else if (n.person_id == 0) ++num_distractors_;
    else ++num_junk_;
    entries_.push_back(Entry{files[i], label, n.person_id, n.camera});
  }
}

}  // namespace cohort::data
