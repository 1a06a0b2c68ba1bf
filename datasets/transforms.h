// Image transforms (uint8 HWC -> uint8 HWC) and the final normalisation to f32 CHW.
//
// A Transform draws all of its random numbers from the Generator it is given, in a documented
// order, so a run is reproducible from the generator's seed alone. The loader gives every
// example its own generator seeded from (loader seed, epoch, dataset index) (datasets/seeding.h).
//
// Random draws, in order, per call:
//   RandomCrop            top = randint(H + 2p - h + 1), then left = randint(W + 2p - w + 1)
//   RandomHorizontalFlip  flip when uniform() < p
//   Resize, CenterCrop    none
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "datasets/dataset.h"

namespace cohort::data {

class Transform {
 public:
  virtual ~Transform() = default;
  // Replaces `img` with its transformed version. Throws ValueError naming the transform when the
  // image does not fit (e.g. smaller than the crop).
  virtual void apply(Image& img, Generator& gen) const = 0;
  virtual std::string str() const = 0;
};

enum class PadMode {
  zero,     // padded pixels are 0
  reflect,  // mirror without repeating the edge (PyTorch/NumPy "reflect"): ... 2 1 | 0 1 2 ...
};

// Pads every side by `padding` then takes a random h x w window (torchvision's
// RandomCrop(size, padding, padding_mode)). Reflect needs padding < image side.
class RandomCrop : public Transform {
 public:
  RandomCrop(int64_t height, int64_t width, int64_t padding, PadMode mode = PadMode::zero);
  void apply(Image& img, Generator& gen) const override;
  std::string str() const override;

 private:
  int64_t h_, w_, pad_;
  PadMode mode_;
};

// Mirrors left-right with probability p.
class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  void apply(Image& img, Generator& gen) const override;
  std::string str() const override;

 private:
  double p_;
};

// Bilinear resampling to height x width with half-pixel centres (PyTorch's
// interpolate(mode="bilinear", align_corners=False), no antialiasing): source coordinate
// (x + 0.5) * in/out - 0.5, clamped to the image; results rounded to nearest.
class Resize : public Transform {
 public:
  Resize(int64_t height, int64_t width);
  void apply(Image& img, Generator& gen) const override;
  std::string str() const override;

 private:
  int64_t h_, w_;
};

// The central h x w window (top = (H - h) / 2, left = (W - w) / 2, rounded down).
class CenterCrop : public Transform {
 public:
  CenterCrop(int64_t height, int64_t width);
  void apply(Image& img, Generator& gen) const override;
  std::string str() const override;

 private:
  int64_t h_, w_;
};

// Applies its transforms in order, with the same generator.
class Compose : public Transform {
 public:
  Compose() = default;
  explicit Compose(std::vector<std::shared_ptr<const Transform>> steps) : steps_(std::move(steps)) {}
  Compose& add(std::shared_ptr<const Transform> step);
  void apply(Image& img, Generator& gen) const override;
  std::string str() const override;
  bool empty() const { return steps_.empty(); }

 private:
  std::vector<std::shared_ptr<const Transform>> steps_;
};

// Per-channel mean and standard deviation of pixel values scaled to [0, 1].
struct NormStats {
  std::vector<double> mean, std;
};

// Channel statistics of the training sets (computed over every training pixel).
NormStats cifar10_stats();   // mean (0.4914, 0.4822, 0.4465), std (0.2470, 0.2435, 0.2616)
NormStats cifar100_stats();  // mean (0.5071, 0.4865, 0.4409), std (0.2673, 0.2564, 0.2762)
NormStats mnist_stats();     // mean 0.1307, std 0.3081
NormStats fashion_mnist_stats();  // mean 0.2860, std 0.3530
NormStats identity_stats(int64_t channels);  // mean 0, std 1: only the scaling to [0, 1]

// u8 HWC -> f32 CHW with out = (v / 255 - mean[c]) / std[c]. Each channel uses a 256-entry table
// computed in double and rounded once to f32, so every output is the correctly rounded value of
// that formula.
class Normalize {
 public:
  explicit Normalize(NormStats stats);
  // Writes img.c * img.h * img.w floats at `out` (overwrites). The image must have as many
  // channels as the statistics.
  void apply(const Image& img, float* out) const;
  int64_t channels() const { return static_cast<int64_t>(stats_.mean.size()); }
  const NormStats& stats() const { return stats_; }

 private:
  NormStats stats_;
  std::vector<std::array<float, 256>> table_;
};

}  // namespace cohort::data
