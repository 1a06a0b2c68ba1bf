// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
//
// Header: two zero bytes, a type code (0x08 = unsigned byte, the only type these datasets use),
// the number of dimensions d, then d big-endian uint32 sizes; then the row-major data. Files may
// be gzip-compressed (.gz); the reader inflates them. The data must be exactly as long as the
// header says: a short file is "truncated at offset", a long one has "trailing bytes".
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cohort::data {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // row-major, prod(dims) bytes
};

// Parses an in-memory IDX file; `path` names it in errors. `expected_dims` (1 for labels,
// 3 for images) is checked.
IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& path, int expected_dims);

// Reads `path` (raw or gzip) and parses it.
IdxArray read_idx(const std::filesystem::path& path, int expected_dims);

}  // namespace cohort::data
