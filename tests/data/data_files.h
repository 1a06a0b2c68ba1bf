// Helpers for the [data] tests: scratch folders and small files in the real formats, written by
// the tests themselves (CIFAR records, IDX, gzip, JPEG through TurboJPEG, PNG through libpng).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <png.h>
#include <stdexcept>
#include <string>
#include <turbojpeg.h>
#include <vector>
#include <zlib.h>

#include "datasets/dataset.h"
#include "tests/support/torch_refs.h"

namespace cohort::test {

// An empty folder under this process's scratch directory (removed first if it exists).
inline std::filesystem::path fresh_dir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(temp_dir()) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("test helper: cannot write " + path.string());
}

inline std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Pixel value used for test images: a pattern that differs per image, position and channel.
inline uint8_t pattern_value(int64_t image, int64_t y, int64_t x, int64_t ch) {
  return static_cast<uint8_t>((image * 37 + y * 11 + x * 5 + ch * 71) % 256);
}

// A CIFAR record: label bytes then the image in planar (CHW) order, pixels from pattern_value.
inline std::vector<uint8_t> cifar_record(const std::vector<uint8_t>& labels, int64_t image) {
  std::vector<uint8_t> r(labels);
  for (int64_t ch = 0; ch < 3; ++ch)
    for (int64_t y = 0; y < 32; ++y)
      for (int64_t x = 0; x < 32; ++x) r.push_back(pattern_value(image, y, x, ch));
  return r;
}

// An IDX file of unsigned bytes with the given sizes.
inline std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b{0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  }
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

inline std::vector<uint8_t> gzip_bytes(const std::vector<uint8_t>& raw) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::vector<uint8_t> out(deflateBound(&zs, raw.size()) + 64);
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  return out;
}

// A smooth test image (JPEG-friendly): gradients that differ per channel and per `seed`.
inline data::Image smooth_image(int64_t h, int64_t w, int64_t c, int64_t seed) {
  data::Image img(h, w, c);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      for (int64_t ch = 0; ch < c; ++ch)
        img.at(y, x, ch) = static_cast<uint8_t>((40 + seed * 13 + y * 120 / h + x * 60 / w + ch * 30) % 256);
  return img;
}

// JPEG through TurboJPEG, 4:4:4 chroma so colour survives at high quality.
inline std::vector<uint8_t> encode_jpeg(const data::Image& img, int quality = 95) {
  tjhandle h = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(h, img.pixels.data(), static_cast<int>(img.w), 0, static_cast<int>(img.h),
                       img.c == 3 ? TJPF_RGB : TJPF_GRAY, &buf, &size, img.c == 3 ? TJSAMP_444 : TJSAMP_GRAY,
                       quality, 0);
  if (rc != 0) {
    tjDestroy(h);
    throw std::runtime_error("tjCompress2 failed");
  }
  std::vector<uint8_t> out(buf, buf + size);
  tjFree(buf);
  tjDestroy(h);
  return out;
}

// PNG through libpng's simplified writer (lossless).
inline std::vector<uint8_t> encode_png(const data::Image& img) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(img.w);
  png.height = static_cast<png_uint_32>(img.h);
  png.format = img.c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  png_alloc_size_t size = 0;
  if (!png_image_write_to_memory(&png, nullptr, &size, 0, img.pixels.data(), 0, nullptr))
    throw std::runtime_error("png size");
  std::vector<uint8_t> out(size);
  if (!png_image_write_to_memory(&png, out.data(), &size, 0, img.pixels.data(), 0, nullptr))
    throw std::runtime_error("png write");
  out.resize(size);
  return out;
}

}  // namespace cohort::test
