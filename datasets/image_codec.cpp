#include "datasets/image_codec.h"

#include <cstring>
#include <memory>
#include <png.h>
#include <turbojpeg.h>

#include "core/error.h"

namespace cohort::data {

namespace {

void check_channels(int channels, const std::string& source) {
  if (channels != 1 && channels != 3) {
    throw ValueError(fmt::format("decoding '{}': channels must be 1 or 3, got {}", source, channels));
  }
}

void check_dimensions(int64_t w, int64_t h, const char* format, const std::string& source) {
  if (w <= 0 || h <= 0 || w * h > kMaxDecodedPixels) {
    throw IOError(fmt::format("{} '{}': implausible size {}x{} in the header (corrupt file?)",
                              format, source, w, h));
  }
}

// One decompressor per thread: creating one costs more than decoding a small image, and a
// handle must not be shared between threads. After a failed decode the handle is replaced: a
// TurboJPEG 2.1 handle that aborted mid-stream can reject the next, valid, file ("Bogus Huffman
// table definition").
struct TjHandle {
  tjhandle h = tjInitDecompress();
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
  void reset() {
    if (h) tjDestroy(h);
    h = tjInitDecompress();
  }
};

}  // namespace

ImageFormat sniff_image_format(const uint8_t* bytes, size_t size) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return ImageFormat::jpeg;
  if (size >= 8 && std::memcmp(bytes, kPng, 8) == 0) return ImageFormat::png;
  return ImageFormat::unknown;
}

Image decode_jpeg(const uint8_t* bytes, size_t size, int channels, const std::string& source) {
  check_channels(channels, source);
  thread_local TjHandle tj;
  if (!tj.h) throw IOError(fmt::format("JPEG '{}': cannot create a TurboJPEG decompressor: {}",
                                       source, tjGetErrorStr2(nullptr)));
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.h, bytes, static_cast<unsigned long>(size), &w, &h, &subsamp,
                          &colorspace) != 0) {
    std::string why = tjGetErrorStr2(tj.h);
    tj.reset();
    throw IOError(fmt::format("JPEG '{}' ({} bytes): bad header: {}", source, size, why));
  }
  check_dimensions(w, h, "JPEG", source);
  Image img(h, w, channels);
  // STOPONWARNING: libjpeg treats truncated or corrupt entropy data as a warning and fills the
  // rest of the image with grey; for training data that is an error.
  int flags = TJFLAG_STOPONWARNING;
  if (tjDecompress2(tj.h, bytes, static_cast<unsigned long>(size), img.pixels.data(), w, 0, h,
                    channels == 3 ? TJPF_RGB : TJPF_GRAY, flags) != 0) {
    std::string why = tjGetErrorStr2(tj.h);
    tj.reset();
    throw IOError(fmt::format("JPEG '{}' ({} bytes, {}x{}): corrupt or truncated: {}", source, size,
                              w, h, why));
  }
  return img;
}

Image decode_png(const uint8_t* bytes, size_t size, int channels, const std::string& source) {
  check_channels(channels, source);
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  // png_image_free releases libpng's state on every path out of this function.
  auto release = [](png_image* p) { png_image_free(p); };
  std::unique_ptr<png_image, decltype(release)> guard(&png, release);
  if (!png_image_begin_read_from_memory(&png, bytes, size)) {
    throw IOError(fmt::format("PNG '{}' ({} bytes): bad header: {}", source, size, png.message));
  }
  check_dimensions(png.width, png.height, "PNG", source);
  png.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  Image img(png.height, png.width, channels);
  png_color black{0, 0, 0};
  if (!png_image_finish_read(&png, &black, img.pixels.data(), 0, nullptr)) {
    throw IOError(fmt::format("PNG '{}' ({} bytes, {}x{}): corrupt or truncated: {}", source, size,
                              png.width, png.height, png.message));
  }
  if (png.warning_or_error & PNG_IMAGE_ERROR) {
    throw IOError(fmt::format("PNG '{}': {}", source, png.message));
  }
  return img;
}

Image decode_image(const std::vector<uint8_t>& bytes, int channels, const std::string& source) {
  switch (sniff_image_format(bytes.data(), bytes.size())) {
    case ImageFormat::jpeg: return decode_jpeg(bytes.data(), bytes.size(), channels, source);
    case ImageFormat::png: return decode_png(bytes.data(), bytes.size(), channels, source);
    case ImageFormat::unknown: break;
  }
  throw IOError(fmt::format("'{}' ({} bytes) is neither a JPEG nor a PNG file (magic bytes)", source,
                            bytes.size()));
}

}  // namespace cohort::data
