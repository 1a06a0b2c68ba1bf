#include "core/safetensors.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <fcntl.h>

namespace cohort::safetensors {

namespace {

const char* dtype_tag(DType t) {
  switch (t) {
    case DType::f32: return "F32";
    case DType::f64: return "F64";
    case DType::i64: return "I64";
    case DType::u8: return "U8";
  }
  return "?";
}

bool parse_dtype(const std::string& tag, DType* out) {
  if (tag == "F32") *out = DType::f32;
  else if (tag == "F64") *out = DType::f64;
  else if (tag == "I64") *out = DType::i64;
  else if (tag == "U8") *out = DType::u8;
  else return false;
  return true;
}

// IEEE 754 binary16 -> binary32, exactly (subnormals, infinities and NaN included).
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
  uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: m · 2^-24, exact in f32
    float v = std::ldexp(static_cast<float>(mantissa), -24);
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

// bfloat16 is the upper half of a binary32.
float bfloat16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw IOError(fmt::format("safetensors file '{}': {}", path, what));
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw IOError(fmt::format("cannot create '{}': {}", tmp, std::strerror(errno)));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      int err = errno;
      ::close(fd);
      std::remove(tmp.c_str());
      throw IOError(fmt::format("writing '{}' failed: {}", tmp, std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  // fsync before rename: after a crash the file is either the old one or the complete new one.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::remove(tmp.c_str());
    throw IOError(fmt::format("flushing '{}' failed: {}", tmp, std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    throw IOError(fmt::format("renaming '{}' to '{}' failed: {}", tmp, path, std::strerror(err)));
  }
}

void save(const std::string& path, const TensorMap& tensors, const Metadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    COHORT_CHECK(t.defined(), "safetensors::save: tensor '{}' is undefined", name);
    COHORT_CHECK(name != "__metadata__", "safetensors::save: '__metadata__' is a reserved name");
    Tensor h = t.detach().to(Device::cpu());
    header[name] = {{"dtype", dtype_tag(h.dtype())},
                    {"shape", h.shape()},
                    {"data_offsets", {offset, offset + h.nbytes()}}};
    offset += h.nbytes();
    host.push_back(h);
  }
  std::string json = header.dump();
  // The format asks for the data section to start 8-byte aligned: pad the header with spaces.
  while ((8 + json.size()) % 8 != 0) json.push_back(' ');
  std::string bytes;
  bytes.reserve(8 + json.size() + offset);
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  bytes += json;
  for (const Tensor& h : host) bytes.append(static_cast<const char*>(h.raw_data()), h.nbytes());
  write_file_atomically(path, bytes);
}

namespace {

// The open file, its size and its parsed JSON header (validated as far as the header goes).
struct Header {
  std::ifstream in;
  uint64_t file_size = 0, header_len = 0;
  nlohmann::json json;
};

void read_header(const std::string& path, Header& h) {
  h.in.open(path, std::ios::binary);
  std::ifstream& in = h.in;
  if (!in) fail(path, fmt::format("cannot open ({})", std::strerror(errno)));
  in.seekg(0, std::ios::end);
  const uint64_t file_size = h.file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8) fail(path, fmt::format("truncated: {} bytes, the 8-byte header length is missing", file_size));
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(len_bytes[i]) << (8 * i);
  if (header_len > file_size - 8)
    fail(path, fmt::format("header length {} at offset 0 exceeds the {} bytes after it", header_len,
                           file_size - 8));
  h.header_len = header_len;
  std::string json(header_len, '\0');
  in.read(json.data(), static_cast<std::streamsize>(header_len));
  try {
    h.json = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    fail(path, fmt::format("header (bytes 8..{}) is not valid JSON: {}", 8 + header_len, e.what()));
  }
  if (!h.json.is_object()) fail(path, "header is not a JSON object");
}

Metadata parse_metadata(const std::string& path, const nlohmann::json& entry) {
  if (!entry.is_object()) fail(path, "__metadata__ is not an object");
  Metadata out;
  for (auto m = entry.begin(); m != entry.end(); ++m) {
    if (!m.value().is_string()) fail(path, fmt::format("__metadata__['{}'] is not a string", m.key()));
    out[m.key()] = m.value().get<std::string>();
  }
  return out;
}

}  // namespace

Metadata load_metadata(const std::string& path) {
  Header h;
  read_header(path, h);
  auto it = h.json.find("__metadata__");
  return it == h.json.end() ? Metadata{} : parse_metadata(path, *it);
}

Contents load(const std::string& path) {
  Header h;
  read_header(path, h);
  std::ifstream& in = h.in;
  const nlohmann::json& header = h.json;
  const uint64_t data_start = 8 + h.header_len, data_size = h.file_size - data_start;
  Contents out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const nlohmann::json& entry = it.value();
    if (name == "__metadata__") {
      out.metadata = parse_metadata(path, entry);
      continue;
    }
    auto bad = [&](const std::string& what) { fail(path, fmt::format("tensor '{}': {}", name, what)); };
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets"))
      bad("entry needs dtype, shape and data_offsets");
    if (!entry["dtype"].is_string()) bad("dtype is not a string");
    DType dtype;
    std::string tag = entry["dtype"].get<std::string>();
    const bool half = tag == "F16" || tag == "BF16";  // stored 2 bytes each, widened to f32
    if (half) dtype = DType::f32;
    else if (!parse_dtype(tag, &dtype)) bad(fmt::format("unsupported dtype '{}' (F32, F64, F16, BF16, I64, U8 are)", tag));
    Shape shape;
    if (!entry["shape"].is_array()) bad("shape is not an array");
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned()) bad("shape has a non-integer or negative dimension");
      shape.push_back(d.get<int64_t>());
    }
    const auto& offs = entry["data_offsets"];
    if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() || !offs[1].is_number_unsigned())
      bad("data_offsets must be [begin, end]");
    uint64_t begin = offs[0].get<uint64_t>(), end = offs[1].get<uint64_t>();
    uint64_t expected = static_cast<uint64_t>(shape_numel(shape)) * (half ? 2 : dtype_size(dtype));
    if (end < begin || end - begin != expected)
      bad(fmt::format("data_offsets [{}, {}) hold {} bytes but {} {} needs {}", begin, end,
                      end - begin, tag, shape_str(shape), expected));
    if (end > data_size)
      bad(fmt::format("data [{}, {}) runs past the end of the file (data section is {} bytes; "
                      "file truncated?)", data_start + begin, data_start + end, data_size));
    Tensor t = Tensor::empty(shape, dtype);
    in.seekg(static_cast<std::streamoff>(data_start + begin));
    std::vector<uint16_t> halves(half ? static_cast<size_t>(shape_numel(shape)) : 0);
    in.read(half ? reinterpret_cast<char*>(halves.data()) : static_cast<char*>(t.raw_data()),
            static_cast<std::streamsize>(expected));
    if (!in) bad(fmt::format("read failed at offset {}", data_start + begin));
    if (half) {
      float* dst = static_cast<float*>(t.raw_data());
      for (size_t i = 0; i < halves.size(); ++i)
        dst[i] = tag == "F16" ? half_to_float(halves[i]) : bfloat16_to_float(halves[i]);
      out.widened[name] = tag;
    }
    out.tensors.emplace(name, t);
  }
  return out;
}

}  // namespace cohort::safetensors
