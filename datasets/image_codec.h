// JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libpng's simplified API) decoding to data::Image.
//
// Every failure — not an image, corrupt or truncated data, and libjpeg *warnings* such as
// "premature end of data segment", which would otherwise hand back a partly grey image — throws
// IOError naming `source` (the file) and the decoder's message. Nothing is returned half-decoded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace cohort::data {

enum class ImageFormat { unknown, jpeg, png };

// Sniffs the magic bytes (JPEG: ff d8 ff; PNG: 89 'P' 'N' 'G' 0d 0a 1a 0a).
ImageFormat sniff_image_format(const uint8_t* bytes, size_t size);

// `channels` is 3 (RGB) or 1 (grey); colour is converted as the decoder does it. PNG alpha is
// composited onto black; 16-bit PNG samples are reduced to 8 bits.
Image decode_jpeg(const uint8_t* bytes, size_t size, int channels, const std::string& source);
Image decode_png(const uint8_t* bytes, size_t size, int channels, const std::string& source);
// Dispatches on the magic bytes; anything else is an IOError naming `source`.
Image decode_image(const std::vector<uint8_t>& bytes, int channels, const std::string& source);

// Largest decoded image accepted (pixels), so a corrupt header cannot request gigabytes.
inline constexpr int64_t kMaxDecodedPixels = int64_t{1} << 26;

}  // namespace cohort::data
