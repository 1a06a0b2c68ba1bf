// GEMM through cuBLAS, and the view-facing wrapper of the transpose kernel.
//
// cuBLAS is column-major; our matrices are row-major. A row-major X [r, c] is the column-major
// matrix Xᵀ with leading dimension c, so the row-major product C = op(A)·op(B) is computed as
// the column-major product Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands (and m with n), keep each
// operand's transpose flag, and pass each matrix's row length as its leading dimension.
// Batched 3-D operands use the strided-batched call (strides = one matrix each).
// f32: cublasGemm(StridedBatched)Ex with CUBLAS_COMPUTE_32F, or ..._FAST_TF32 when the TF32
// policy allows it; f64: cublasDgemm(StridedBatched).
#include "kernels/linalg.h"

#include "kernels/elementwise.h"
#include "kernels/cuda/linalg_kernels.cuh"
#include "kernels/cuda/tensor_util.h"

namespace cohort::cuda {

namespace {

struct GemmDims {
  int m, n, k;              // C [m, n], inner dim k
  int lda, ldb, ldc;        // row lengths of A, B, C as stored
  long long stride_a, stride_b, stride_c;
  int batch;
};

GemmDims gemm_dims(ConstView a, bool trans_a, ConstView b, ConstView c) {
  constexpr const char* op = "gemm";
  GemmDims d{};
  d.m = to_int(c.size(-2), op, "m");
  d.n = to_int(c.size(-1), op, "n");
  d.k = to_int(trans_a ? a.size(-2) : a.size(-1), op, "k");
  d.lda = std::max(1, to_int(a.size(-1), op, "lda"));
  d.ldb = std::max(1, to_int(b.size(-1), op, "ldb"));
  d.ldc = std::max(1, d.n);
  d.stride_a = a.size(-2) * a.size(-1);
  d.stride_b = b.size(-2) * b.size(-1);
  d.stride_c = c.size(-2) * c.size(-1);
  d.batch = a.dim() == 3 ? to_int(a.size(0), op, "batch") : 1;
  return d;
}

}  // namespace

void gemm(ConstView a, bool trans_a, ConstView b, bool trans_b, View c, double alpha,
          double beta) {
  OpScope scope(c);
  const GemmDims d = gemm_dims(a, trans_a, b, c);
  if (d.m == 0 || d.n == 0 || d.batch == 0) return;
  if (d.k == 0) {  // an empty inner product: C = beta·C (beta == 0: zeros, whatever C held)
    if (beta == 0.0) fill(c, 0.0);
    else scale_(c, beta);
    return;
  }
  cublasHandle_t handle = cublas_handle(scope.device());
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (c.dtype() == DType::f32) {
    const float al = static_cast<float>(alpha), be = static_cast<float>(beta);
    const cublasComputeType_t compute =
        allow_tf32_matmul() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    if (d.batch == 1) {
      COHORT_CUBLAS_CHECK(cublasGemmEx(handle, op_b, op_a, d.n, d.m, d.k, &al, b.data<float>(),
                                       CUDA_R_32F, d.ldb, a.data<float>(), CUDA_R_32F, d.lda, &be,
                                       c.data<float>(), CUDA_R_32F, d.ldc, compute,
                                       CUBLAS_GEMM_DEFAULT));
    } else {
      COHORT_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
          handle, op_b, op_a, d.n, d.m, d.k, &al, b.data<float>(), CUDA_R_32F, d.ldb, d.stride_b,
          a.data<float>(), CUDA_R_32F, d.lda, d.stride_a, &be, c.data<float>(), CUDA_R_32F, d.ldc,
          d.stride_c, d.batch, compute, CUBLAS_GEMM_DEFAULT));
    }
  } else if (c.dtype() == DType::f64) {
    if (d.batch == 1) {
      COHORT_CUBLAS_CHECK(cublasDgemm(handle, op_b, op_a, d.n, d.m, d.k, &alpha, b.data<double>(),
                                      d.ldb, a.data<double>(), d.lda, &beta, c.data<double>(),
                                      d.ldc));
    } else {
      COHORT_CUBLAS_CHECK(cublasDgemmStridedBatched(
          handle, op_b, op_a, d.n, d.m, d.k, &alpha, b.data<double>(), d.ldb, d.stride_b,
          a.data<double>(), d.lda, d.stride_a, &beta, c.data<double>(), d.ldc, d.stride_c, d.batch));
    }
  } else {
    COHORT_FAIL("gemm: dtype {} is not supported (f32 or f64 expected)", dtype_name(c.dtype()));
  }
}

void transpose2d(ConstView in, View out) {
  OpScope scope(out);
  COHORT_DISPATCH_ALL(in.dtype(), "transpose2d", [&] {
    kern::transpose2d(in.data<scalar_t>(), out.data<scalar_t>(), in.dim() == 3 ? in.size(0) : 1,
                      in.size(-2), in.size(-1), scope.stream());
  });
}

}  // namespace cohort::cuda
