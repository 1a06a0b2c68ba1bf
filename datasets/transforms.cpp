#include "datasets/transforms.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace cohort::data {

namespace {

// Index into [0, n) of padded coordinate i (may be negative or >= n); -1 means a zero pixel.
int64_t source_index(int64_t i, int64_t n, PadMode mode) {
  if (i >= 0 && i < n) return i;
  if (mode == PadMode::zero) return -1;
  // Reflect without repeating the edge; padding < n guarantees one reflection suffices.
  return i < 0 ? -i : 2 * (n - 1) - i;
}

const char* mode_name(PadMode m) { return m == PadMode::zero ? "zero" : "reflect"; }

}  // namespace

// ---- RandomCrop ------------------------------------------------------------------------------

RandomCrop::RandomCrop(int64_t height, int64_t width, int64_t padding, PadMode mode)
    : h_(height), w_(width), pad_(padding), mode_(mode) {
  COHORT_CHECK(height > 0 && width > 0 && padding >= 0,
               "RandomCrop: size {}x{} and padding {} must be positive (padding >= 0)", height,
               width, padding);
}

void RandomCrop::apply(Image& img, Generator& gen) const {
  const int64_t ph = img.h + 2 * pad_, pw = img.w + 2 * pad_;
  COHORT_CHECK(ph >= h_ && pw >= w_, "{}: image {}x{} padded to {}x{} is smaller than the crop",
               str(), img.h, img.w, ph, pw);
  COHORT_CHECK(mode_ != PadMode::reflect || (pad_ < img.h && pad_ < img.w),
               "{}: reflect padding {} needs an image larger than that, got {}x{}", str(), pad_,
               img.h, img.w);
  const int64_t top = static_cast<int64_t>(gen.randint(static_cast<uint64_t>(ph - h_ + 1)));
  const int64_t left = static_cast<int64_t>(gen.randint(static_cast<uint64_t>(pw - w_ + 1)));
  const int64_t c = img.c;
  Image out(h_, w_, c);
  // Output columns [x0, x1) read source columns inside the image: one memcpy per row. Only the
  // at most `pad` columns on either side need the padding rule.
  const int64_t shift = left - pad_;  // source column of output column 0
  const int64_t x0 = std::clamp<int64_t>(-shift, 0, w_), x1 = std::clamp<int64_t>(img.w - shift, x0, w_);
  std::vector<int64_t> border_src;  // source column (or -1 for zero) of each border column
  std::vector<int64_t> border_dst;
  for (int64_t x = 0; x < w_; ++x) {
    if (x >= x0 && x < x1) continue;
    border_dst.push_back(x);
    border_src.push_back(source_index(x + shift, img.w, mode_));
  }
  for (int64_t y = 0; y < h_; ++y) {
    uint8_t* dst = out.pixels.data() + y * w_ * c;
    const int64_t sy = source_index(top + y - pad_, img.h, mode_);
    if (sy < 0) {
      std::memset(dst, 0, static_cast<size_t>(w_ * c));
      continue;
    }
    const uint8_t* src_row = img.pixels.data() + sy * img.w * c;
    if (x1 > x0) std::memcpy(dst + x0 * c, src_row + (x0 + shift) * c, static_cast<size_t>((x1 - x0) * c));
    for (size_t k = 0; k < border_dst.size(); ++k) {
      uint8_t* d = dst + border_dst[k] * c;
      if (border_src[k] < 0) std::memset(d, 0, static_cast<size_t>(c));
      else std::memcpy(d, src_row + border_src[k] * c, static_cast<size_t>(c));
    }
  }
  img = std::move(out);
}

std::string RandomCrop::str() const {
  return fmt::format("RandomCrop({}x{}, padding={}, {})", h_, w_, pad_, mode_name(mode_));
}

// ---- RandomHorizontalFlip --------------------------------------------------------------------

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  COHORT_CHECK(p >= 0.0 && p <= 1.0, "RandomHorizontalFlip: p must be in [0, 1], got {}", p);
}

void RandomHorizontalFlip::apply(Image& img, Generator& gen) const {
  if (!(gen.uniform() < p_)) return;
  const int64_t c = img.c;
  for (int64_t y = 0; y < img.h; ++y) {
    uint8_t* row = img.pixels.data() + y * img.w * c;
    if (c == 3) {  // the common case, without the inner channel loop
      for (int64_t a = 0, b = img.w - 1; a < b; ++a, --b) {
        uint8_t* pa = row + 3 * a;
        uint8_t* pb = row + 3 * b;
        std::swap(pa[0], pb[0]);
        std::swap(pa[1], pb[1]);
        std::swap(pa[2], pb[2]);
      }
      continue;
    }
    for (int64_t a = 0, b = img.w - 1; a < b; ++a, --b) {
      for (int64_t ch = 0; ch < c; ++ch) std::swap(row[a * c + ch], row[b * c + ch]);
    }
  }
}

std::string RandomHorizontalFlip::str() const { return fmt::format("RandomHorizontalFlip(p={})", p_); }

// ---- Resize ----------------------------------------------------------------------------------

Resize::Resize(int64_t height, int64_t width) : h_(height), w_(width) {
  COHORT_CHECK(height > 0 && width > 0, "Resize: size {}x{} must be positive", height, width);
}

void Resize::apply(Image& img, Generator&) const {
  if (img.h == h_ && img.w == w_) return;
  COHORT_CHECK(img.h > 0 && img.w > 0, "{}: empty input image", str());
  // Per output coordinate: the two source taps and the weight of the second.
  struct Tap {
    int64_t i0, i1;
    float t;
  };
  auto taps = [](int64_t out_n, int64_t in_n) {
    std::vector<Tap> v(static_cast<size_t>(out_n));
    const double scale = static_cast<double>(in_n) / static_cast<double>(out_n);
    for (int64_t o = 0; o < out_n; ++o) {
      double s = std::max(0.0, (static_cast<double>(o) + 0.5) * scale - 0.5);
      int64_t i0 = std::min(static_cast<int64_t>(s), in_n - 1);
      int64_t i1 = std::min(i0 + 1, in_n - 1);
      v[static_cast<size_t>(o)] = Tap{i0, i1, static_cast<float>(s - static_cast<double>(i0))};
    }
    return v;
  };
  const std::vector<Tap> ty = taps(h_, img.h), tx = taps(w_, img.w);
  const int64_t c = img.c;
  Image out(h_, w_, c);
  for (int64_t y = 0; y < h_; ++y) {
    const Tap& a = ty[static_cast<size_t>(y)];
    for (int64_t x = 0; x < w_; ++x) {
      const Tap& b = tx[static_cast<size_t>(x)];
      for (int64_t ch = 0; ch < c; ++ch) {
        float top = img.at(a.i0, b.i0, ch) * (1 - b.t) + img.at(a.i0, b.i1, ch) * b.t;
        float bottom = img.at(a.i1, b.i0, ch) * (1 - b.t) + img.at(a.i1, b.i1, ch) * b.t;
        float v = top * (1 - a.t) + bottom * a.t;
        out.at(y, x, ch) = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  img = std::move(out);
}

std::string Resize::str() const { return fmt::format("Resize({}x{})", h_, w_); }

// ---- CenterCrop ------------------------------------------------------------------------------

CenterCrop::CenterCrop(int64_t height, int64_t width) : h_(height), w_(width) {
  COHORT_CHECK(height > 0 && width > 0, "CenterCrop: size {}x{} must be positive", height, width);
}

void CenterCrop::apply(Image& img, Generator&) const {
  COHORT_CHECK(img.h >= h_ && img.w >= w_, "{}: image {}x{} is smaller than the crop", str(), img.h, img.w);
  const int64_t top = (img.h - h_) / 2, left = (img.w - w_) / 2, c = img.c;
  Image out(h_, w_, c);
  for (int64_t y = 0; y < h_; ++y) {
    std::memcpy(out.pixels.data() + y * w_ * c, img.pixels.data() + ((top + y) * img.w + left) * c,
                static_cast<size_t>(w_ * c));
  }
  img = std::move(out);
}

std::string CenterCrop::str() const { return fmt::format("CenterCrop({}x{})", h_, w_); }

// ---- Compose ---------------------------------------------------------------------------------

Compose& Compose::add(std::shared_ptr<const Transform> step) {
  COHORT_CHECK(step != nullptr, "Compose::add: null transform");
  steps_.push_back(std::move(step));
  return *this;
}

void Compose::apply(Image& img, Generator& gen) const {
  for (const auto& s : steps_) s->apply(img, gen);
}

std::string Compose::str() const {
  std::string s = "Compose(";
  for (size_t i = 0; i < steps_.size(); ++i) s += (i ? ", " : "") + steps_[i]->str();
  return s + ")";
}

// ---- normalisation ---------------------------------------------------------------------------

NormStats cifar10_stats() { return {{0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}}; }
NormStats cifar100_stats() { return {{0.5071, 0.4865, 0.4409}, {0.2673, 0.2564, 0.2762}}; }
NormStats mnist_stats() { return {{0.1307}, {0.3081}}; }
NormStats fashion_mnist_stats() { return {{0.2860}, {0.3530}}; }
NormStats identity_stats(int64_t channels) {
  return {std::vector<double>(static_cast<size_t>(channels), 0.0),
          std::vector<double>(static_cast<size_t>(channels), 1.0)};
}

Normalize::Normalize(NormStats stats) : stats_(std::move(stats)) {
  COHORT_CHECK(!stats_.mean.empty() && stats_.mean.size() == stats_.std.size(),
               "Normalize: {} means and {} standard deviations", stats_.mean.size(), stats_.std.size());
  for (size_t c = 0; c < stats_.mean.size(); ++c) {
    COHORT_CHECK(stats_.std[c] > 0, "Normalize: std[{}] = {} must be positive", c, stats_.std[c]);
    std::array<float, 256> t{};
    for (int v = 0; v < 256; ++v) t[static_cast<size_t>(v)] = static_cast<float>((v / 255.0 - stats_.mean[c]) / stats_.std[c]);
    table_.push_back(t);
  }
}

void Normalize::apply(const Image& img, float* out) const {
  COHORT_CHECK(img.c == channels(), "Normalize: image has {} channels, the statistics {}", img.c, channels());
  const int64_t plane = img.h * img.w, c = img.c;
  const uint8_t* src = img.pixels.data();
  for (int64_t ch = 0; ch < c; ++ch) {
    const float* table = table_[static_cast<size_t>(ch)].data();
    float* dst = out + ch * plane;
    for (int64_t p = 0; p < plane; ++p) dst[p] = table[src[p * c + ch]];
  }
}

}  // namespace cohort::data
