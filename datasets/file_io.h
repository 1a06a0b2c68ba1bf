// Whole-file reads for the dataset readers, with errors that name the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cohort::data {

// The bytes of `path`. Throws IOError naming the file when it is missing or unreadable.
std::vector<uint8_t> read_file(const std::filesystem::path& path);

// True when `bytes` start with the gzip magic (1f 8b).
bool is_gzip(const std::vector<uint8_t>& bytes);

// Inflates a gzip stream read from `path` (named in errors, with the compressed offset of the
// damage). Refuses output larger than `max_bytes` (a corrupt or hostile header cannot make it
// allocate without bound) and trailing bytes after the stream.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& path,
                            size_t max_bytes = size_t{1} << 32);

// The bytes of `path`, inflated when the file is gzip-compressed.
std::vector<uint8_t> read_maybe_gzip(const std::filesystem::path& path);

// The first of `candidates` that exists, else an IOError naming `what` and every path tried.
std::filesystem::path find_first_existing(const std::vector<std::filesystem::path>& candidates,
                                          const std::string& what);

}  // namespace cohort::data
