#include "datasets/synthetic.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/random.h"
#include "datasets/seeding.h"
#include "datasets/transforms.h"
#include "kernels/common/philox.h"

namespace cohort::data {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kBasePeriod = 4.0, kPeriodRatio = 1.6;
constexpr double kNoise = 16.0;  // half-width of the uniform pixel noise, in grey levels
}  // namespace

SyntheticDataset::SyntheticDataset(SyntheticOptions options) : options_(options) {
  COHORT_CHECK(options.size > 0, "synthetic dataset: size must be positive, got {}", options.size);
  COHORT_CHECK(options.num_classes >= 2 && options.num_classes <= 60,
               "synthetic dataset: num_classes must be in [2, 60], got {}", options.num_classes);
  COHORT_CHECK(options.side >= 8 && options.side <= 512, "synthetic dataset: side must be in [8, 512], got {}",
               options.side);
  stream_seed_ = mix_seed(options.seed, options.train ? 0x747261696eull : 0x74657374ull);
  n_orient_ = std::min<int64_t>(options.num_classes, 6);
  for (int64_t k = 0; k < options.num_classes; ++k) {
    int64_t o = k % n_orient_, f = k / n_orient_;
    class_names_.push_back(fmt::format("grating-{}deg-{:.1f}px", 180 * o / n_orient_,
                                       kBasePeriod * std::pow(kPeriodRatio, static_cast<double>(f))));
  }
}

Example SyntheticDataset::get(int64_t index) const {
  check_index(index);
  Generator gen(mix_seed(stream_seed_, static_cast<uint64_t>(index)));
  const int64_t label = index % options_.num_classes;
  const double side = static_cast<double>(options_.side), unit = side / 32.0;
  auto between = [&gen](double lo, double hi) { return lo + (hi - lo) * gen.uniform(); };

  // One windowed grating of class k's orientation and period, with per-example jitter and a
  // random position, width and phase.
  struct Patch {
    double kx, ky, phase, cx, cy, sigma, amplitude;
  };
  auto draw_patch = [&](int64_t k, double amplitude) {
    const int64_t ko = k % n_orient_, kf = k / n_orient_;
    const double spacing = kPi / static_cast<double>(n_orient_);
    const double theta = spacing * (static_cast<double>(ko) + between(-0.1, 0.1));
    const double period = kBasePeriod * std::pow(kPeriodRatio, static_cast<double>(kf)) * between(0.9, 1.1) * unit;
    Patch p;
    p.kx = 2 * kPi * std::cos(theta) / period;
    p.ky = 2 * kPi * std::sin(theta) / period;
    p.phase = between(0.0, 2 * kPi);
    p.cx = between(0.25, 0.75) * side;
    p.cy = between(0.25, 0.75) * side;
    p.sigma = between(4.5, 7.5) * unit;
    p.amplitude = amplitude;
    return p;
  };
  const double contrast = between(50.0, 90.0);
  const Patch signal = draw_patch(label, contrast);
  // A weaker grating of another class: the net must weigh the two, not just detect a pattern.
  const int64_t other = (label + 1 + static_cast<int64_t>(gen.randint(static_cast<uint64_t>(options_.num_classes - 1)))) %
                        options_.num_classes;
  const Patch distractor = draw_patch(other, contrast * between(0.3, 0.55));
  double background[3], colour[3];
  for (double& b : background) b = between(50.0, 205.0);
  // A random colour direction scaled so its strongest channel is +-1: the gratings are always
  // visible in at least one channel, but which one (and its sign) says nothing about the class.
  double strongest = 0;
  for (double& c : colour) {
    c = between(-1.0, 1.0);
    strongest = std::max(strongest, std::abs(c));
  }
  for (double& c : colour) c /= std::max(strongest, 1e-6);

  const int64_t n = options_.side;
  Example ex;
  ex.label = label;
  ex.image = Image(n, n, 3);
  // Uniform noise in [-kNoise, kNoise]: one Philox block gives four 32-bit words.
  const int64_t count = n * n * 3;
  const uint64_t noise_start = gen.reserve(static_cast<uint64_t>(count), DType::f32, false);
  std::vector<float> noise(static_cast<size_t>((count + 3) / 4 * 4));
  for (size_t b = 0; b < noise.size() / 4; ++b) {
    const philox::Block blk = philox::philox4x32_10(noise_start + b, gen.seed());
    for (size_t k = 0; k < 4; ++k) {
      noise[4 * b + k] = static_cast<float>((static_cast<double>(blk.v[k] >> 8) / 16777216.0 * 2.0 - 1.0) * kNoise);
    }
  }
  // Both factors of a patch separate over x and y: the window exp(-(dx^2 + dy^2) / 2s^2) is
  // ex(x) * ey(y) and sin(kx dx + ky dy + phase) = sin(u) cos(v) + cos(u) sin(v) with
  // u = kx dx + phase, v = ky dy. Tabulating per column and row turns 2 transcendental calls per
  // pixel and patch into 4 per row/column.
  struct Axis {
    std::vector<double> window, sin, cos;
  };
  auto axis = [n](double centre, double k, double offset, double sigma) {
    Axis a{std::vector<double>(static_cast<size_t>(n)), std::vector<double>(static_cast<size_t>(n)),
           std::vector<double>(static_cast<size_t>(n))};
    for (int64_t i = 0; i < n; ++i) {
      const double d = static_cast<double>(i) + 0.5 - centre;
      a.window[static_cast<size_t>(i)] = std::exp(-d * d / (2 * sigma * sigma));
      a.sin[static_cast<size_t>(i)] = std::sin(k * d + offset);
      a.cos[static_cast<size_t>(i)] = std::cos(k * d + offset);
    }
    return a;
  };
  const Axis sx = axis(signal.cx, signal.kx, signal.phase, signal.sigma), sy = axis(signal.cy, signal.ky, 0.0, signal.sigma);
  const Axis dx = axis(distractor.cx, distractor.kx, distractor.phase, distractor.sigma),
             dy = axis(distractor.cy, distractor.ky, 0.0, distractor.sigma);
  uint8_t* px = ex.image.pixels.data();
  for (int64_t y = 0; y < n; ++y) {
    const size_t yi = static_cast<size_t>(y);
    for (int64_t x = 0; x < n; ++x) {
      const size_t xi = static_cast<size_t>(x);
      const double wave =
          signal.amplitude * sx.window[xi] * sy.window[yi] * (sx.sin[xi] * sy.cos[yi] + sx.cos[xi] * sy.sin[yi]) +
          distractor.amplitude * dx.window[xi] * dy.window[yi] * (dx.sin[xi] * dy.cos[yi] + dx.cos[xi] * dy.sin[yi]);
      for (int64_t ch = 0; ch < 3; ++ch) {
        const int64_t p = (y * n + x) * 3 + ch;
        const double v = background[ch] + colour[ch] * wave + noise[static_cast<size_t>(p)];
        px[p] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return ex;
}

NormStats synthetic_stats() { return {{0.5, 0.5, 0.5}, {0.187, 0.187, 0.187}}; }

std::string SyntheticDataset::describe(int64_t index) const {
  return fmt::format("{} example {} (seed {})", name(), index, options_.seed);
}

}  // namespace cohort::data
