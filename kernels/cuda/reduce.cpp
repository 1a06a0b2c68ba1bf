// View-facing wrappers of the CUDA reductions (reduce.cu): building the ReducePlan.
#include "kernels/reduce.h"

#include "kernels/cuda/reduce_kernels.cuh"
#include "kernels/cuda/tensor_util.h"

namespace cohort::cuda {

namespace {

// Splits the input dims into kept and reduced ones (a dim is reduced where out has 1 and in
// does not), drops size-1 dims and merges neighbours of the same kind: a contiguous input
// walks merged dims as one.
kern::ReducePlan make_plan(const Dims& in, const Dims& out) {
  struct Dim { int64_t size, stride; bool reduced; };
  std::vector<Dim> dims;
  int64_t stride = 1;
  std::vector<Dim> reversed;
  for (size_t k = in.size(); k-- > 0;) {
    if (in[k] != 1) reversed.push_back({in[k], stride, out[k] == 1});
    stride *= in[k];
  }
  for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) {
    if (!dims.empty() && dims.back().reduced == it->reduced) {
      dims.back().size *= it->size;  // contiguous: the outer stride is inner stride · inner size
      dims.back().stride = it->stride;
    } else {
      dims.push_back(*it);
    }
  }
  kern::ReducePlan p;
  for (const Dim& d : dims) {
    if (d.reduced) {
      COHORT_CHECK(p.red_rank < kern::kMaxReduceDims, "reduce_sum: too many dims in {}", in.str());
      p.red_sizes[p.red_rank] = d.size;
      p.red_strides[p.red_rank++] = d.stride;
      p.reduce_count *= d.size;
    } else {
      COHORT_CHECK(p.kept_rank < kern::kMaxReduceDims, "reduce_sum: too many dims in {}", in.str());
      p.kept_sizes[p.kept_rank] = d.size;
      p.kept_strides[p.kept_rank++] = d.stride;
      p.outputs *= d.size;
    }
  }
  p.inner_reduced = dims.empty() || dims.back().reduced;
  if (in.numel() == 0) {  // an empty input: every output is an empty sum
    p.outputs = out.numel();
    p.reduce_count = 0;
  }
  return p;
}

}  // namespace

void reduce_sum(ConstView in, View out) {
  OpScope scope(out);
  const kern::ReducePlan plan = make_plan(in.shape(), out.shape());
  const int sms = multiprocessor_count(scope.device());
  void* ws = workspace(kern::reduce_sum_workspace_bytes(plan, sms), scope.device());
  COHORT_DISPATCH_FLOATING(in.dtype(), "reduce_sum", [&] {
    kern::reduce_sum(in.data<scalar_t>(), out.data<scalar_t>(), plan, sms, ws, scope.stream());
  });
}

void argmax_lastdim(ConstView in, View out) {
  OpScope scope(out);
  const int64_t cols = in.size(-1), rows = cols > 0 ? in.numel() / cols : 0;
  COHORT_DISPATCH_FLOATING(in.dtype(), "argmax", [&] {
    kern::argmax_lastdim(in.data<scalar_t>(), out.data<int64_t>(), rows, cols, scope.stream());
  });
}

}  // namespace cohort::cuda
