// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and the
// mapping from its output to uniform and normal numbers. Shared by the CPU and CUDA backends so
// the same (seed, offset) gives bit-identical numbers on both.
//
// The stream, as documented in docs/architecture.md:
//   block(c)       = philox4x32_10(counter = {c_lo, c_hi, 0, 0}, key = {seed_lo, seed_hi})
//   u32 word j     = block(offset + j / 4)[j % 4]
//   uniform_f32(i) = (word(i) >> 8) * 2^-24                      in [0, 1)
//   uniform_f64(i) = ((word(2i) << 21) ^ (word(2i+1) >> 11)) * 2^-53 — 53 random bits, [0, 1)
//   normal(i)      = Box–Muller on (u1, u2) = uniforms 2*(i/2), 2*(i/2)+1 of the same type:
//                    sqrt(-2 ln(1-u1)) * (i even ? cos : sin)(2π u2)
// A draw of n numbers advances the generator's offset by the number of blocks it consumed.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/common/hd.h"

namespace cohort::philox {

struct Block {
  uint32_t v[4];
};

COHORT_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  return static_cast<uint32_t>(p);
}

// Ten rounds of Philox 4x32 on counter `ctr` with key (k0, k1).
COHORT_HD Block philox4x32_10(uint64_t ctr, uint64_t key) {
  uint32_t c0 = static_cast<uint32_t>(ctr), c1 = static_cast<uint32_t>(ctr >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;  // golden ratio
    k1 += 0xBB67AE85u;  // sqrt(3) - 1
  }
  return Block{{c0, c1, c2, c3}};
}

// Word j of the u32 stream that starts at block `offset`.
COHORT_HD uint32_t word(uint64_t seed, uint64_t offset, uint64_t j) {
  return philox4x32_10(offset + j / 4, seed).v[j % 4];
}

COHORT_HD float uniform_f32(uint64_t seed, uint64_t offset, uint64_t i) {
  return static_cast<float>(word(seed, offset, i) >> 8) * (1.0f / 16777216.0f);
}

COHORT_HD double uniform_f64(uint64_t seed, uint64_t offset, uint64_t i) {
  uint64_t hi = word(seed, offset, 2 * i), lo = word(seed, offset, 2 * i + 1);
  return static_cast<double>((hi << 21) ^ (lo >> 11)) * (1.0 / 9007199254740992.0);
}

template <typename T>
COHORT_HD T uniform(uint64_t seed, uint64_t offset, uint64_t i) {
  if constexpr (sizeof(T) == 4) return uniform_f32(seed, offset, i);
  else return uniform_f64(seed, offset, i);
}

template <typename T>
COHORT_HD T normal(uint64_t seed, uint64_t offset, uint64_t i) {
  const T kTwoPi = static_cast<T>(6.283185307179586476925);
  uint64_t pair = i / 2;
  T u1 = uniform<T>(seed, offset, 2 * pair), u2 = uniform<T>(seed, offset, 2 * pair + 1);
  T radius = std::sqrt(T(-2) * std::log(T(1) - u1));  // 1 - u1 in (0, 1]: log is finite
  return radius * ((i % 2 == 0) ? std::cos(kTwoPi * u2) : std::sin(kTwoPi * u2));
}

// Number of Philox blocks a draw of n values of element size `bytes` consumes.
COHORT_HD uint64_t blocks_for(uint64_t n, int bytes, bool normal_draw) {
  uint64_t values = normal_draw ? (n + 1) / 2 * 2 : n;  // Box–Muller works in pairs
  uint64_t words = values * (bytes == 8 ? 2 : 1);
  return (words + 3) / 4;
}

}  // namespace cohort::philox
