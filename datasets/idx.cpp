#include "datasets/idx.h"

#include "core/error.h"
#include "datasets/file_io.h"

namespace cohort::data {

IdxArray parse_idx(const std::vector<uint8_t>& bytes, const std::string& path, int expected_dims) {
  const size_t size = bytes.size();
  if (size < 4) {
    throw IOError(fmt::format("IDX file '{}' is truncated: {} bytes, the header needs 4", path, size));
  }
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw IOError(fmt::format("'{}' is not an IDX file: magic starts {:02x} {:02x}, expected 00 00",
                              path, bytes[0], bytes[1]));
  }
  if (bytes[2] != 0x08) {
    throw IOError(fmt::format("IDX file '{}': element type 0x{:02x} at offset 2 is not supported "
                              "(only 0x08, unsigned byte)", path, bytes[2]));
  }
  const int ndims = bytes[3];
  if (ndims != expected_dims) {
    throw IOError(fmt::format("IDX file '{}' has {} dimensions (offset 3), expected {}", path,
                              ndims, expected_dims));
  }
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  if (size < header) {
    throw IOError(fmt::format("IDX file '{}' is truncated in its header: {} bytes, the header "
                              "needs {}", path, size, header));
  }
  IdxArray out;
  uint64_t count = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint8_t* p = bytes.data() + 4 + 4 * d;
    uint64_t n = (uint64_t{p[0]} << 24) | (uint64_t{p[1]} << 16) | (uint64_t{p[2]} << 8) | p[3];
    out.dims.push_back(static_cast<int64_t>(n));
    count *= n;
    // Sizes are < 2^32 each; stop before the product could overflow.
    if (count > (uint64_t{1} << 40)) {
      throw IOError(fmt::format("IDX file '{}': implausible sizes in the header", path));
    }
  }
  if (size - header < count) {
    throw IOError(fmt::format("IDX file '{}' is truncated: the header promises {} data bytes, the "
                              "file ends at offset {} (element {})",
                              path, count, size, size - header));
  }
  if (size - header > count) {
    throw IOError(fmt::format("IDX file '{}' has {} trailing bytes after its {} data bytes "
                              "(from offset {})", path, size - header - count, count, header + count));
  }
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

IdxArray read_idx(const std::filesystem::path& path, int expected_dims) {
  return parse_idx(read_maybe_gzip(path), path.string(), expected_dims);
}

}  // namespace cohort::data
