// The f32-gemm kernel family: one table of micro-kernel variants (XNNPACK-style list) that the
// driver (gemm.cpp), the kernel tests and the kernel benchmarks all iterate.
//
// A micro-kernel computes one full mr x nr tile of C from packed panels:
//   a: [kc][mr]  (mr rows of A, k-major, zero-padded past the last row)
//   b: [kc][nr]  (nr columns of B, k-major, zero-padded past the last column)
// then, when `accumulate`, adds the tile already in C (previous kc blocks), and when `epilogue`
// (last kc block) adds bias / residual and applies the in-register activations (clamp, hardswish).
// Edge tiles are handled by the driver (through a padded scratch tile), so `fn` only sees full tiles.
// A variant may also provide `any`: a tile of m_eff x n_eff (1..mr, 1..nr) written straight into C, computing
// only m_eff rows, never touching columns past n_eff, with B's row k at b + k * ldb (a packed panel: ldb = nr;
// or B read in place). The driver then needs no padded copies and does not pack B when B is a plain
// row-major matrix. Every element sees the same operations as through `fn`.
#pragma once

#include <cstdint>
#include <span>

namespace edgerun::kernels {

struct GemmTileParams {
  bool accumulate = false;      // C += tile (false: C = tile)
  bool epilogue = false;        // last kc block: apply what follows
  const float* bias = nullptr;  // [mr] (per row) or [nr] (per column), already offset to the tile
  bool bias_per_column = false;
  const float* residual = nullptr;  // tile origin in the residual, leading dimension ld_residual
  int64_t ld_residual = 0;
  float min = -__builtin_inff(), max = __builtin_inff();  // clamp (Relu / Relu6 / Clip)
  bool hardswish = false;                                 // after the clamp
};

using GemmUkernelFn = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                               const GemmTileParams& p);
using GemmUkernelAnyFn = void (*)(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                                  int m_eff, int n_eff, const GemmTileParams& p);
// `any` with B's row k at b_rows[k] + b_off (implicit-GEMM convolution: rows of a padded input, no im2col).
using GemmUkernelIndirectFn = void (*)(int64_t kc, const float* a, const float* const* b_rows, int64_t b_off,
                                       float* c, int64_t ldc, int m_eff, int n_eff, const GemmTileParams& p);

struct GemmUkernel {
  const char* name;  // "f32-gemm-6x16-avx2"
  int mr, nr;
  bool (*supported)();
  GemmUkernelFn fn;
  GemmUkernelAnyFn any = nullptr;  // optional: any tile shape, B with a row stride (see above)
  GemmUkernelIndirectFn indirect = nullptr;  // optional: any tile shape, B rows through a pointer table
  // Optional: a faster packer of row-major A into this kernel's panels (gemm_pack_a's contract, trans = false).
  void (*pack_a)(const float* a, int64_t lda, int64_t i0, int64_t rows, int64_t k0, int64_t kc, float* dst) = nullptr;
};

inline constexpr int kGemmMaxMr = 16;
inline constexpr int kGemmMaxNr = 64;

// Every variant built into this binary, best first (whether the CPU supports it or not).
std::span<const GemmUkernel> gemm_ukernels();
// By name, or nullptr.
const GemmUkernel* find_gemm_ukernel(const char* name);

// Micro-kernels (one translation unit each).
void f32_gemm_ukernel_4x8__scalar(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                  const GemmTileParams& p);
void f32_gemm_ukernel_6x16__avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                 const GemmTileParams& p);
void f32_gemm_ukernel_12x32__avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                    const GemmTileParams& p);
void f32_gemm_ukernel_12x32__avx512_any(int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                                        int64_t ldc, int m_eff, int n_eff, const GemmTileParams& p);
void f32_gemm_ukernel_12x32__avx512_indirect(int64_t kc, const float* a, const float* const* b_rows, int64_t b_off,
                                             float* c, int64_t ldc, int m_eff, int n_eff, const GemmTileParams& p);
void f32_gemm_ukernel_8x12__neon(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                 const GemmTileParams& p);

// Matrix-vector products on the same packed panels (tiny N or M: SE-block 1x1 convs on a 1x1 map, the
// classifier Gemm [1,K] x [K,N]). The tile kernels would waste nr - 1 of nr (or mr - 1 of mr) lanes there;
// these read each packed weight once and are bound by memory. A panel is never split, so results do not
// depend on the thread count.
//   lhs: out[r] = sum_k a[k*mr + r] * b[k] for one A panel [k][mr]. `bx` is b expanded to the panel's layout
//        (bx[k*mr + r] = b[k], built once per call), so the panel is a flat dot product of `len` = k*mr floats
//        whose lane j belongs to row j % mr. Any mr in 1..kGemmMaxMr.
//   rhs: out[j] = sum_k a[k] * b[k*nr + j] for one B panel [k][nr]. Any nr in 1..kGemmMaxNr.
using GemvLhsFn = void (*)(int64_t len, int mr, const float* a, const float* bx, float* out);
using GemvRhsFn = void (*)(int64_t k, int nr, const float* a, const float* b, float* out);

struct GemvUkernel {
  const char* name;  // "f32-gemv-avx2"
  bool (*supported)();
  GemvLhsFn lhs;
  GemvRhsFn rhs;
};

// Every gemv variant built into this binary, best first; by name; the best one the CPU supports.
std::span<const GemvUkernel> gemv_ukernels();
const GemvUkernel* find_gemv_ukernel(const char* name);
const GemvUkernel* default_gemv_ukernel();

void f32_gemv_lhs__scalar(int64_t len, int mr, const float* a, const float* bx, float* out);
void f32_gemv_rhs__scalar(int64_t k, int nr, const float* a, const float* b, float* out);
void f32_gemv_lhs__avx2(int64_t len, int mr, const float* a, const float* bx, float* out);
void f32_gemv_rhs__avx2(int64_t k, int nr, const float* a, const float* b, float* out);
void f32_gemv_lhs__avx512(int64_t len, int mr, const float* a, const float* bx, float* out);
void f32_gemv_rhs__avx512(int64_t k, int nr, const float* a, const float* b, float* out);
void f32_gemv_lhs__neon(int64_t len, int mr, const float* a, const float* bx, float* out);
void f32_gemv_rhs__neon(int64_t k, int nr, const float* a, const float* b, float* out);

// Packing (f32-gemm-pack.cpp). Rows [i0, i0 + rows) and k range [k0, k0 + kc) of A (A(i, k) = a[i*lda + k],
// or a[k*lda + i] when trans) into ceil(rows/mr) panels of [kc][mr], panel stride kc*mr.
void gemm_pack_a(const float* a, int64_t lda, bool trans, int64_t i0, int64_t rows, int64_t k0, int64_t kc, int mr,
                 float* dst);
// The same for a row-major A (not trans) and mr = 12 with AVX-512: f32-gemm-12x32-avx512's `pack_a`.
void gemm_pack_a_mr12__avx512(const float* a, int64_t lda, int64_t i0, int64_t rows, int64_t k0, int64_t kc,
                              float* dst);
// Columns [j0, j0 + cols) and k range [k0, k0 + kc) of B (B(k, j) = b[k*ldb + j], or b[j*ldb + k] when trans)
// into ceil(cols/nr) panels of [kc][nr], panel stride kc*nr.
void gemm_pack_b(const float* b, int64_t ldb, bool trans, int64_t k0, int64_t kc, int64_t j0, int64_t cols, int nr,
                 float* dst);

}  // namespace edgerun::kernels
