// The one gradient checker every op and layer test calls.
//
// For f(inputs) -> out it compares the autograd gradient of the scalar objective sum(out · R),
// R a fixed random tensor, with central finite differences in f64, for every floating input that
// requires grad (pass module parameters as inputs, or capture them in f and list them in `wrt`).
// Leaf gradients are pre-filled with a sentinel before backward, so a backward that overwrites
// instead of accumulating fails. Elements sitting on a kink (one-sided differences disagree) are
// skipped and counted. f must be deterministic: create any Generator inside f.
#pragma once

#include <functional>
#include <vector>

#include "core/tensor.h"

namespace cohort::test {

struct GradcheckOptions {
  double eps = 1e-6;        // finite-difference step
  double atol = 1e-6;
  double rtol = 1e-4;
  double kink_tol = 1e-3;   // |forward diff - backward diff| / eps above this marks a kink
  double max_skipped = 0.2; // fail if more than this fraction of elements were skipped
  uint64_t seed = 1234;     // for R
};

using TensorFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

// Checks d sum(f(inputs)·R) / d inputs[i] for every floating inputs[i] with requires_grad().
// Inputs must be f64. Fails the current Catch2 test with the worst offender on mismatch.
void gradcheck(const TensorFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& opts = {});

// Same, for tensors captured by f (parameters): `wrt` are perturbed in place.
void gradcheck_wrt(const std::function<Tensor()>& f, const std::vector<Tensor>& wrt,
                   const GradcheckOptions& opts = {});

// Runs f on the f64 inputs and on their f32 copies; outputs and input gradients must agree
// within f32 tolerances. Non-floating inputs (labels) are passed through unchanged.
void check_dtype_agreement(const TensorFn& f, const std::vector<Tensor>& inputs_f64,
                           double atol = 1e-4, double rtol = 1e-3);

// Convenience: an f64 tensor of N(0,1) values (seeded), optionally requiring grad.
Tensor randn64(const Shape& shape, uint64_t seed, bool requires_grad = true);

}  // namespace cohort::test
