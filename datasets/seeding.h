// Seeds for the data pipeline, derived by hashing so that every random decision depends only on
// (loader seed, epoch, dataset index) — never on thread scheduling or on how many workers run.
#pragma once

#include <cstdint>

namespace cohort::data {

// SplitMix64's finaliser (Steele et al. 2014): a bijective 64-bit mix with good avalanche.
constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

constexpr uint64_t mix_seed(uint64_t a, uint64_t b) { return splitmix64(splitmix64(a) ^ b); }

// Streams: the shuffle of an epoch and the augmentation of one example in one epoch.
constexpr uint64_t kShuffleStream = 0x53485546464C45ull;   // "SHUFFLE"
constexpr uint64_t kAugmentStream = 0x4155474D454E54ull;   // "AUGMENT"

constexpr uint64_t shuffle_seed(uint64_t seed, int64_t epoch) {
  return mix_seed(mix_seed(seed, kShuffleStream), static_cast<uint64_t>(epoch));
}

constexpr uint64_t augment_seed(uint64_t seed, int64_t epoch, int64_t index) {
  return mix_seed(mix_seed(mix_seed(seed, kAugmentStream), static_cast<uint64_t>(epoch)),
                  static_cast<uint64_t>(index));
}

}  // namespace cohort::data
