#include "datasets/file_io.h"

#include <fstream>
#include <zlib.h>

#include "core/error.h"

namespace cohort::data {

namespace fs = std::filesystem;

std::vector<uint8_t> read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw IOError(fmt::format("cannot read '{}': {}", path.string(),
                              fs::exists(path, ec) ? "not a regular file" : "no such file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError(fmt::format("cannot open '{}'", path.string()));
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0) throw IOError(fmt::format("cannot determine the size of '{}'", path.string()));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw IOError(fmt::format("read error in '{}' after {} of {} bytes", path.string(),
                              static_cast<long long>(in.gcount()), static_cast<long long>(size)));
  }
  return bytes;
}

bool is_gzip(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& path,
                            size_t max_bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip header and trailer (CRC and length are verified by zlib).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    throw IOError(fmt::format("'{}': zlib initialisation failed", path));
  }
  std::vector<uint8_t> out(std::min(max_bytes, std::max<size_t>(compressed.size() * 4, 4096)));
  zs.next_in = const_cast<Bytef*>(compressed.data());
  zs.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  while (true) {
    if (zs.total_out == out.size()) {
      if (out.size() >= max_bytes) {
        inflateEnd(&zs);
        throw IOError(fmt::format("'{}': gzip stream inflates to more than {} bytes", path, max_bytes));
      }
      out.resize(std::min(max_bytes, out.size() * 2));
    }
    zs.next_out = out.data() + zs.total_out;
    zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - zs.total_out, 1u << 30));
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      std::string why = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "truncated stream" : zError(rc));
      size_t at = zs.total_in;
      inflateEnd(&zs);
      throw IOError(fmt::format("'{}': corrupt or truncated gzip data at compressed offset {}: {}",
                                path, at, why));
    }
  }
  size_t used = zs.total_in, produced = zs.total_out;
  inflateEnd(&zs);
  if (used != compressed.size()) {
    throw IOError(fmt::format("'{}': {} unexpected bytes after the gzip stream (offset {})", path,
                              compressed.size() - used, used));
  }
  out.resize(produced);
  return out;
}

std::vector<uint8_t> read_maybe_gzip(const fs::path& path) {
  std::vector<uint8_t> bytes = read_file(path);
  return is_gzip(bytes) ? gunzip(bytes, path.string()) : bytes;
}

fs::path find_first_existing(const std::vector<fs::path>& candidates, const std::string& what) {
  std::error_code ec;
  for (const fs::path& p : candidates) {
    if (fs::exists(p, ec)) return p;
  }
  std::string tried;
  for (const fs::path& p : candidates) tried += (tried.empty() ? "" : ", ") + p.string();
  throw IOError(fmt::format("{} not found (tried {})", what, tried));
}

}  // namespace cohort::data
