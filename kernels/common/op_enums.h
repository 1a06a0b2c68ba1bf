// Operation selectors shared by the op front-ends, the CPU kernels and the CUDA kernels.
#pragma once

#include <cstdint>

namespace cohort {

// ge yields 1 where a >= b, else 0 (masks for subgradients).
enum class BinaryOp : uint8_t { add, sub, mul, div, rsub, rdiv, maximum, minimum, ge };
enum class UnaryOp : uint8_t { neg, exp, log, sqrt, pow, relu, sigmoid, tanh, abs };

// How a DML student's mimicry term combines its peers (ops::dml_mimicry).
enum class DmlMode : uint8_t { average, sum, ensemble };
// The most students one CUDA cohort launch takes (the simple and the lab kernels): their
// per-student row state lives in register arrays sized at compile time.
constexpr int kMaxCohort = 8;

}  // namespace cohort
