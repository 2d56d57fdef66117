// f32 GEMM with packed operands: C[M,N] = A[M,K] * B[K,N], then the epilogue (bias, residual, activation).
//
// Constant weights are packed once at prepare into the micro-kernel's panel layout:
//  - PackedLhs: the weight is the left operand (NCHW conv: W[Cout, Cin*KH*KW] times im2col/activations),
//  - PackedRhs: the weight is the right operand (MatMul/Gemm: X[M,K] times W[K,N], or W^T stored [N,K]).
// The other operand is packed per call into per-thread scratch. `pool` may be nullptr (single thread).
// Results are identical for any thread count (the partition never splits a K reduction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/large_alloc.h"
#include "core/thread_pool.h"
#include "kernels/epilogue.h"

namespace edgerun::kernels {

struct GemmUkernel;  // one entry of the f32-gemm kernel table (f32-gemm.h)
struct GemvUkernel;  // one entry of the f32-gemv table (f32-gemm.h): products with n == 1 or m == 1

// The micro-kernel that pack/gemm use when none is named: the best one the CPU supports.
const GemmUkernel* default_gemm_ukernel();

// How the GEMMs below split an m x n x k product over `threads` with micro-kernel uk: not at all (small products),
// by column panels or by row panels (never K); `busiest` is the busiest thread's count of mr x nr tiles. Callers
// that run column ranges themselves (gemm_packed_rhs_cols) or weigh partitions of their own ask it too.
enum class GemmSplit { kSerial, kColumns, kRows };
struct GemmPartition {
  GemmSplit split = GemmSplit::kSerial;
  int64_t busiest = 0;
};
GemmPartition gemm_partition(const GemmUkernel& uk, int64_t m, int64_t n, int64_t k, int threads);

struct PackedLhs {
  const GemmUkernel* uk = nullptr;
  const GemvUkernel* gemv = nullptr;  // used when n == 1 (set by pack_lhs: the best the CPU supports)
  int64_t m = 0, k = 0;
  std::vector<float, LargeAllocator<float>> data;  // layout owned by the micro-kernel family (huge pages when large)
  size_t bytes() const { return data.size() * sizeof(float); }
};

struct PackedRhs {
  const GemmUkernel* uk = nullptr;
  const GemvUkernel* gemv = nullptr;  // used when m == 1 (set by pack_rhs: the best the CPU supports)
  int64_t k = 0, n = 0;
  std::vector<float, LargeAllocator<float>> data;
  size_t bytes() const { return data.size() * sizeof(float); }
};

// a: [m, k] row-major with leading dimension lda.
PackedLhs pack_lhs(const float* a, int64_t m, int64_t k, int64_t lda, const GemmUkernel* uk = nullptr);
// b: [k, n] with leading dimension ldb, or, when `transposed`, b holds B^T as [n, k] with leading dimension ldb.
PackedRhs pack_rhs(const float* b, int64_t k, int64_t n, int64_t ldb, bool transposed,
                   const GemmUkernel* uk = nullptr);

// C = packed A * B (b: [a.k, n], leading dimension ldb), then epilogue.
void gemm_packed_lhs(const PackedLhs& a, const float* b, int64_t n, int64_t ldb, float* c, int64_t ldc,
                     const Epilogue& ep, ThreadPool* pool);
// Implicit-GEMM convolution (no im2col): for r < rows, C_r = packed A * B_r, where B_r(k, j) = b_rows[k][r * b_row_step
// + j] (j < n: rows of a padded input) and C_r(i, j) is at c[i * ldc + r * c_row_step + j], as are the epilogue's
// residual and columns. Only for weights packed for a micro-kernel that has `indirect` (GemmUkernel::indirect).
void gemm_packed_lhs_rows(const PackedLhs& a, const float* const* b_rows, int64_t b_row_step, int64_t rows, int64_t n,
                          float* c, int64_t ldc, int64_t c_row_step, const Epilogue& ep, ThreadPool* pool);
// C = A * packed B (a: [m, b.k], leading dimension lda; or, when trans_a, A^T stored [b.k, m]), then epilogue.
void gemm_packed_rhs(const float* a, int64_t m, int64_t lda, const PackedRhs& b, float* c, int64_t ldc,
                     const Epilogue& ep, ThreadPool* pool, bool trans_a = false);
// gemm_packed_rhs on the columns [j0, j1) of C only (j0 a multiple of b.uk->nr, m > 1), on the calling thread: for
// callers that split the columns over their own threads and go on at once with the columns they computed. Every
// element sees the operations of gemm_packed_rhs.
void gemm_packed_rhs_cols(const float* a, int64_t m, int64_t lda, const PackedRhs& b, int64_t j0, int64_t j1, float* c,
                          int64_t ldc, const Epilogue& ep, bool trans_a = false);
// Neither operand constant (attention's batched MatMul): A [m,k] (or A^T stored [k,m] when trans_a),
// B [k,n] (or B^T stored [n,k] when trans_b).
void gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, bool trans_a, const float* b, int64_t ldb,
          bool trans_b, float* c, int64_t ldc, const Epilogue& ep, ThreadPool* pool,
          const GemmUkernel* uk = nullptr);

}  // namespace edgerun::kernels
