// The f32 GEMM driver: BLIS-style cache blocking around the f32-gemm micro-kernels.
//
//   for jc in N step NC            (B block: kc x nc, packed per call unless pre-packed or read in place)
//     for pc in K step KC          (a K block: all tiles accumulate into C in the same order)
//       for ic in M step MC        (A block: mc x kc stays in L2, packed per call unless pre-packed)
//         for ir in mc step mr     (one A panel kc x mr stays in L1; the B block is read from L2)
//           for jr in nc step nr   micro-kernel -> C tile (+ epilogue on the last K block)
//
// Threads split the N panels (or the M panels when N is narrow), never K, and tile boundaries are
// global, so every element sees the same sequence of operations for any thread count.
#include "kernels/f32-gemm/gemm.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-vmath/vmath.h"

namespace edgerun::kernels {
namespace {

constexpr int64_t kKc = 256;        // K block: an A panel (kc x 12 floats = 12 KiB) stays in L1
constexpr int64_t kMcTarget = 144;  // A block rows: mc x kc (144 KiB) stays in L2
constexpr int64_t kNcTarget = 512;  // B block columns: kc x nc (512 KiB, in L2)
constexpr int64_t kSerialMacs = 32 * 1024;  // below this many multiply-adds one thread is faster

// One side of the product: either fully pre-packed or raw memory packed block by block into per-thread
// scratch. Pre-packed operands are K-block major: K block b (k0 = b * kKc, kcb = min(kKc, k - k0) rows)
// starts at k0 * panels * r and holds `panels` panels of [kcb][r] one after the other. A K block of the
// weights is thus one sequential stream (the GEMM walks every panel of a K block before the next block);
// panel-major storage made each K block `panels` short runs a whole panel apart. Measured on resnet50's
// 512 x 4608 stage-5 weights (9.4 MB, N = 49) with cold caches: 2.69 -> 1.88 ms per GEMM at one thread and
// 3.04 -> 0.99 ms at two (the panel-major walk was slower with two threads than with one).
struct Operand {
  const float* packed = nullptr;
  int64_t panels = 0;  // pre-packed: panel count (ceil(rows / r))
  const float* raw = nullptr;
  int64_t ld = 0;
  bool trans = false;
};

// Offset of panel p of the K block that starts at row k0 and has kcb rows, in a pre-packed operand of `panels`
// panels of width r (the K-block-major layout above; the packers, the GEMM and the GEMVs all address it here).
int64_t packed_offset(int64_t panels, int r, int64_t k0, int64_t kcb, int64_t p) {
  return k0 * panels * r + p * kcb * r;
}

// What the micro-kernel does in registers and what needs a pass over the finished block.
struct TileAct {
  float min = -__builtin_inff(), max = __builtin_inff();
  bool hardswish = false;
  bool post = false;  // activation_f32 over the finished rows (sigmoid, gelu, ...)
  // The in-register part as the micro-kernel's tile parameters.
  GemmTileParams params() const {
    GemmTileParams p;
    p.min = min;
    p.max = max;
    p.hardswish = hardswish;
    return p;
  }
};

TileAct split_activation(const Activation& act) {
  TileAct t;
  switch (act.kind) {
    case Act::kNone: break;
    case Act::kClamp:
      t.min = act.alpha;
      t.max = act.beta;
      break;
    case Act::kHardSwish: t.hardswish = true; break;
    default: t.post = true; break;
  }
  return t;
}

// 64-byte aligned per-thread scratch; grows to the largest request and then stays.
float* scratch(size_t count, int which) {
  thread_local std::vector<float> buf[2];
  std::vector<float>& v = buf[which];
  if (v.size() < count + 16) v.resize(count + 16);
  const uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
  return reinterpret_cast<float*>((p + 63) & ~uintptr_t{63});
}

int64_t round_up(int64_t x, int64_t r) { return (x + r - 1) / r * r; }

// A's rows [i0, i0 + rows) x k range [k0, k0 + kc) into uk's panels: the kernel's own packer where it has one.
void pack_a(const GemmUkernel& uk, const float* a, int64_t lda, bool trans, int64_t i0, int64_t rows, int64_t k0,
            int64_t kc, float* dst) {
  if (!trans && uk.pack_a) uk.pack_a(a, lda, i0, rows, k0, kc, dst);
  else gemm_pack_a(a, lda, trans, i0, rows, k0, kc, uk.mr, dst);
}

// A residual stored in C itself (the memory plan wrote the output over the residual's buffer): C already holds the
// residual, so every K block accumulates into C (acc_c) and the epilogue has no residual term. Element (i, j) of the
// residual is read by the tile that writes C(i, j), before it writes it, and by nothing else.
struct CEpilogue {
  Epilogue ep;
  bool acc_c = false;
};

CEpilogue residual_in_c(const Epilogue& ep, const float* c, int64_t ldc) {
  CEpilogue r{ep, ep.residual && ep.residual == c && ep.ld_residual == ldc};
  if (r.acc_c) {
    r.ep.residual = nullptr;
    r.ep.ld_residual = 0;
  }
  return r;
}

// The epilogue's bias and residual offset to the tile at C(i, j) (only on the last K block).
void offset_epilogue(GemmTileParams& p, const Epilogue& ep, int64_t i, int64_t j) {
  if (!p.epilogue) return;
  if (ep.bias) {
    p.bias = ep.bias + (ep.bias_per_column ? j : i);
    p.bias_per_column = ep.bias_per_column;
  }
  if (ep.residual) {
    p.residual = ep.residual + i * ep.ld_residual + j;
    p.ld_residual = ep.ld_residual;
  }
}

// One tile at C(i, j) of m_eff x n_eff (<= mr x nr) valid elements; B panel rows ldb floats apart.
// `base` by reference, copied here: passed by value, GCC built the argument from byte stores and 16-byte loads of
// the same bytes, a failed store-to-load forward that waited for the previous tile's stores of C to drain (27 % of
// a K = 16 GEMM).
void run_tile(const GemmUkernel& uk, int64_t kc, const float* ap, const float* bp, int64_t ldb, float* c,
              int64_t ldc, int64_t i, int64_t j, int64_t m_eff, int64_t n_eff, const GemmTileParams& base,
              const Epilogue& ep) {
  GemmTileParams p = base;
  offset_epilogue(p, ep, i, j);
  if (uk.any) {
    uk.any(kc, ap, bp, ldb, c + i * ldc + j, ldc, static_cast<int>(m_eff), static_cast<int>(n_eff), p);
    return;
  }
  float* ct = c + i * ldc + j;
  const int mr = uk.mr, nr = uk.nr;
  if (m_eff == mr && n_eff == nr) {
    uk.fn(kc, ap, bp, ct, ldc, p);
    return;
  }
  // Edge tile: run the full tile on padded copies, keep the valid part.
  alignas(64) float tile[kGemmMaxMr * kGemmMaxNr];  // [mr][nr]
  alignas(64) float res[kGemmMaxMr * kGemmMaxNr];   // [mr][nr]
  alignas(64) float bias[kGemmMaxNr];               // [max(mr, nr)]
  if (p.accumulate) {
    std::fill(tile, tile + mr * nr, 0.0f);
    for (int64_t r = 0; r < m_eff; ++r) std::memcpy(tile + r * nr, ct + r * ldc, static_cast<size_t>(n_eff) * 4);
  }
  if (p.bias) {
    const int64_t count = p.bias_per_column ? n_eff : m_eff;
    std::fill(bias, bias + std::max(mr, nr), 0.0f);
    std::memcpy(bias, p.bias, static_cast<size_t>(count) * 4);
    p.bias = bias;
  }
  if (p.residual) {
    std::fill(res, res + mr * nr, 0.0f);
    for (int64_t r = 0; r < m_eff; ++r)
      std::memcpy(res + r * nr, p.residual + r * p.ld_residual, static_cast<size_t>(n_eff) * 4);
    p.residual = res;
    p.ld_residual = nr;
  }
  uk.fn(kc, ap, bp, tile, nr, p);
  for (int64_t r = 0; r < m_eff; ++r) std::memcpy(ct + r * ldc, tile + r * nr, static_cast<size_t>(n_eff) * 4);
}

// C[i_begin:i_end, j_begin:j_end]; i_begin / j_begin are multiples of mr / nr. acc_c: add to what C holds (the
// residual, see residual_in_c) from the first K block on.
void gemm_range(const GemmUkernel& uk, int64_t k, const Operand& a, const Operand& b, int64_t i_begin, int64_t i_end,
                int64_t j_begin, int64_t j_end, float* c, int64_t ldc, const Epilogue& ep, const TileAct& act,
                bool acc_c) {
  const int64_t mr = uk.mr, nr = uk.nr;
  const int64_t mc_block = std::max(mr, kMcTarget / mr * mr);
  const int64_t nc_block = std::max(nr, kNcTarget / nr * nr);
  const int64_t kc_max = std::min(kKc, k);
  float* a_buf = a.packed ? nullptr : scratch(static_cast<size_t>(round_up(std::min(mc_block, i_end - i_begin), mr) * kc_max), 0);
  // A kernel that takes any tile shape and a B row stride reads a plain row-major B in place: no pack copy.
  // Measured on the models (resnet50 at one thread: 98.1 -> 94.0 ms summed over nodes; mobilenet_v2 9.36 -> 8.77
  // with the exact partial tiles), also where the rows' stride puts a panel into few L1 sets (layer1's
  // 64 x 3136 x 256: 1.34 -> 1.15 ms), so there is no pack fallback for plain B.
  const bool direct_b = uk.any && !b.packed && !b.trans;
  float* b_buf = b.packed || direct_b ? nullptr : scratch(static_cast<size_t>(round_up(std::min(nc_block, j_end - j_begin), nr) * kc_max), 1);
  GemmTileParams p = act.params();
  for (int64_t jc = j_begin; jc < j_end; jc += nc_block) {
    const int64_t nc = std::min(nc_block, j_end - jc);
    for (int64_t pc = 0; pc < k; pc += kKc) {
      const int64_t kc = std::min(kKc, k - pc);
      p.accumulate = pc > 0 || acc_c;
      p.epilogue = pc + kc == k;
      const float* b_panels;  // ceil(nc/nr) panels of [kc][nr], stride b_stride, rows b_ld apart
      int64_t b_stride, b_ld = nr;
      if (b.packed) {
        b_panels = b.packed + packed_offset(b.panels, uk.nr, pc, kc, jc / nr);
        b_stride = kc * nr;
      } else if (direct_b) {
        b_panels = b.raw + pc * b.ld + jc;
        b_stride = nr;
        b_ld = b.ld;
      } else {
        gemm_pack_b(b.raw, b.ld, b.trans, pc, kc, jc, nc, uk.nr, b_buf);
        b_panels = b_buf;
        b_stride = kc * nr;
      }
      for (int64_t ic = i_begin; ic < i_end; ic += mc_block) {
        const int64_t mc = std::min(mc_block, i_end - ic);
        const float* a_panels;  // ceil(mc/mr) panels of [kc][mr], stride a_stride
        int64_t a_stride;
        if (a.packed) {
          a_panels = a.packed + packed_offset(a.panels, uk.mr, pc, kc, ic / mr);
          a_stride = kc * mr;
        } else {
          pack_a(uk, a.raw, a.ld, a.trans, ic, mc, pc, kc, a_buf);
          a_panels = a_buf;
          a_stride = kc * mr;
        }
        // Row panels outer: consecutive tiles continue the same mr rows of C (and of the residual) left to right,
        // which the prefetchers follow; column panels outer wrote 128 bytes into each of mr rows and jumped back
        // up (mobilenet_v2's 16 -> 96 1x1 at 112x112: 0.78 -> 0.57 ms; no model slower).
        for (int64_t ir = 0; ir < mc; ir += mr)
          for (int64_t jr = 0; jr < nc; jr += nr)
            run_tile(uk, kc, a_panels + (ir / mr) * a_stride, b_panels + (jr / nr) * b_stride, b_ld, c, ldc, ic + ir,
                     jc + jr, std::min(mr, mc - ir), std::min(nr, nc - jr), p, ep);
        if (p.epilogue && act.post)
          for (int64_t r = ic; r < ic + mc; ++r) activation_f32(ep.act, c + r * ldc + jc, c + r * ldc + jc, nc);
      }
    }
  }
}

}  // namespace

GemmPartition gemm_partition(const GemmUkernel& uk, int64_t m, int64_t n, int64_t k, int threads) {
  const int64_t mp = (m + uk.mr - 1) / uk.mr, np = (n + uk.nr - 1) / uk.nr;
  if (threads <= 1 || m * n * k <= kSerialMacs || mp * np < 2) return {GemmSplit::kSerial, mp * np};
  // Tiles of the busiest thread for each split. Column panels are preferred (each thread streams its own columns of
  // the activations) unless the row split is better balanced: 14x14 maps have 7 column panels (4 + 3 over two
  // threads) but e.g. 22 or 48 row panels (resnet50's layer3 1x1 convs at two threads: 0.78 -> 0.61 ms).
  const int64_t by_columns = (np + threads - 1) / threads * mp, by_rows = (mp + threads - 1) / threads * np;
  if ((np >= 2 * threads || np >= mp) && by_columns <= by_rows) return {GemmSplit::kColumns, by_columns};
  return {GemmSplit::kRows, by_rows};
}

namespace {

void run_gemm(const GemmUkernel& uk, int64_t m, int64_t n, int64_t k, const Operand& a, const Operand& b, float* c,
              int64_t ldc, const Epilogue& ep_in, ThreadPool* pool) {
  if (m <= 0 || n <= 0) return;
  const auto [ep, acc_c] = residual_in_c(ep_in, c, ldc);
  if (k <= 0) {  // empty sum: the epilogue of zeros (of the residual already in C)
    if (!acc_c)
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    apply_epilogue_ref(ep, c, ldc, 0, m, 0, n);
    return;
  }
  const TileAct act = split_activation(ep.act);
  const int threads = pool ? pool->size() : 1;
  const int64_t mp = (m + uk.mr - 1) / uk.mr, np = (n + uk.nr - 1) / uk.nr;
  const GemmSplit split = gemm_partition(uk, m, n, k, threads).split;
  if (split == GemmSplit::kSerial) {
    gemm_range(uk, k, a, b, 0, m, 0, n, c, ldc, ep, act, acc_c);
  } else if (split == GemmSplit::kColumns) {
    pool->parallel_for(np, [&](int64_t pb, int64_t pe, int) {
      gemm_range(uk, k, a, b, 0, m, pb * uk.nr, std::min(n, pe * uk.nr), c, ldc, ep, act, acc_c);
    });
  } else {
    pool->parallel_for(mp, [&](int64_t pb, int64_t pe, int) {
      gemm_range(uk, k, a, b, pb * uk.mr, std::min(m, pe * uk.mr), 0, n, c, ldc, ep, act, acc_c);
    });
  }
}

// C[m, 1] = packed A * b (a column, stride ldb) through the gemv kernel: one A panel per step, the b
// column expanded once to the panel layout (bx[k*mr + r] = b[k]; k*mr floats, stays in L1/L2).
void gemv_packed_lhs(const PackedLhs& a, const float* b, int64_t ldb, float* c, int64_t ldc, const Epilogue& ep_in,
                     ThreadPool* pool) {
  const auto [ep, acc_c] = residual_in_c(ep_in, c, ldc);
  const GemvUkernel& gv = a.gemv ? *a.gemv : *default_gemv_ukernel();
  const int mr = a.uk->mr;
  const int64_t k = a.k, panels = (a.m + mr - 1) / mr;
  std::vector<float> bx(static_cast<size_t>(k * mr));  // [k][mr]
  for (int64_t kk = 0; kk < k; ++kk) std::fill_n(bx.data() + kk * mr, mr, b[kk * ldb]);
  auto run = [&](int64_t pb, int64_t pe, int) {
    float acc[kGemmMaxMr], part[kGemmMaxMr];  // [mr]
    for (int64_t p = pb; p < pe; ++p) {
      for (int64_t k0 = 0; k0 < k; k0 += kKc) {  // K blocks in order (the packed layout), partial sums added
        const int64_t kcb = std::min(kKc, k - k0);
        gv.lhs(kcb * mr, mr, a.data.data() + packed_offset(panels, mr, k0, kcb, p), bx.data() + k0 * mr,
               k0 == 0 ? acc : part);
        if (k0 > 0)
          for (int r = 0; r < mr; ++r) acc[r] += part[r];
      }
      const int64_t rows = std::min<int64_t>(mr, a.m - p * mr);
      for (int64_t r = 0; r < rows; ++r) c[(p * mr + r) * ldc] = acc_c ? c[(p * mr + r) * ldc] + acc[r] : acc[r];
    }
    const int64_t r0 = pb * mr, r1 = std::min(a.m, pe * mr);
    if (r1 > r0) apply_epilogue_ref(ep, c + r0 * ldc, ldc, r0, r1 - r0, 0, 1);
  };
  if (pool && pool->size() > 1 && a.m * k > kSerialMacs)
    pool->parallel_for(panels, run);
  else
    run(0, panels, 0);
}

// C[1, n] = a (a row) * packed B: one B panel per step, a read from L1 by every panel.
void gemv_packed_rhs(const float* a, const PackedRhs& b, float* c, const Epilogue& ep_in, ThreadPool* pool) {
  const auto [ep, acc_c] = residual_in_c(ep_in, c, ep_in.ld_residual);  // one row: the stride does not matter
  const GemvUkernel& gv = b.gemv ? *b.gemv : *default_gemv_ukernel();
  const int nr = b.uk->nr;
  const int64_t k = b.k, panels = (b.n + nr - 1) / nr;
  auto run = [&](int64_t pb, int64_t pe, int) {
    float acc[kGemmMaxNr], part[kGemmMaxNr];  // [nr]
    for (int64_t p = pb; p < pe; ++p) {
      for (int64_t k0 = 0; k0 < k; k0 += kKc) {  // K blocks in order (the packed layout), partial sums added
        const int64_t kcb = std::min(kKc, k - k0);
        gv.rhs(kcb, nr, a + k0, b.data.data() + packed_offset(panels, nr, k0, kcb, p), k0 == 0 ? acc : part);
        if (k0 > 0)
          for (int j = 0; j < nr; ++j) acc[j] += part[j];
      }
      const int64_t cols = std::min<int64_t>(nr, b.n - p * nr);
      for (int64_t j = 0; j < cols; ++j) c[p * nr + j] = acc_c ? c[p * nr + j] + acc[j] : acc[j];
    }
    const int64_t j0 = pb * nr, j1 = std::min(b.n, pe * nr);
    if (j1 > j0) apply_epilogue_ref(ep, c + j0, 0, 0, 1, j0, j1 - j0);
  };
  if (pool && pool->size() > 1 && b.n * k > kSerialMacs)
    pool->parallel_for(panels, run);
  else
    run(0, panels, 0);
}

const GemmUkernel& pick(const GemmUkernel* uk) { return uk ? *uk : *default_gemm_ukernel(); }

}  // namespace

PackedLhs pack_lhs(const float* a, int64_t m, int64_t k, int64_t lda, const GemmUkernel* uk) {
  PackedLhs p;
  p.uk = &pick(uk);
  p.m = m;
  p.k = k;
  p.gemv = default_gemv_ukernel();
  p.data.resize(static_cast<size_t>(round_up(m, p.uk->mr) * k));
  const int64_t panels = (m + p.uk->mr - 1) / p.uk->mr;
  if (m > 0)
    for (int64_t k0 = 0; k0 < k; k0 += kKc)
      pack_a(*p.uk, a, lda, false, 0, m, k0, std::min(kKc, k - k0),
             p.data.data() + packed_offset(panels, p.uk->mr, k0, 0, 0));
  return p;
}

PackedRhs pack_rhs(const float* b, int64_t k, int64_t n, int64_t ldb, bool transposed, const GemmUkernel* uk) {
  PackedRhs p;
  p.uk = &pick(uk);
  p.k = k;
  p.n = n;
  p.gemv = default_gemv_ukernel();
  p.data.resize(static_cast<size_t>(round_up(n, p.uk->nr) * k));
  const int64_t panels = (n + p.uk->nr - 1) / p.uk->nr;
  if (n > 0)
    for (int64_t k0 = 0; k0 < k; k0 += kKc)
      gemm_pack_b(b, ldb, transposed, k0, std::min(kKc, k - k0), 0, n, p.uk->nr,
                  p.data.data() + packed_offset(panels, p.uk->nr, k0, 0, 0));
  return p;
}

void gemm_packed_lhs(const PackedLhs& a, const float* b, int64_t n, int64_t ldb, float* c, int64_t ldc,
                     const Epilogue& ep, ThreadPool* pool) {
  if (n == 1 && a.uk && a.m > 0 && a.k > 0) {
    gemv_packed_lhs(a, b, ldb, c, ldc, ep, pool);
    return;
  }
  Operand oa, ob;
  oa.packed = a.data.data();
  oa.panels = (a.m + pick(a.uk).mr - 1) / pick(a.uk).mr;
  ob.raw = b;
  ob.ld = ldb;
  run_gemm(pick(a.uk), a.m, n, a.k, oa, ob, c, ldc, ep, pool);
}

void gemm_packed_lhs_rows(const PackedLhs& a, const float* const* b_rows, int64_t b_row_step, int64_t rows, int64_t n,
                          float* c, int64_t ldc, int64_t c_row_step, const Epilogue& ep_in, ThreadPool* pool) {
  const GemmUkernel& uk = pick(a.uk);
  const auto [ep, acc_c] = residual_in_c(ep_in, c, ldc);
  assert(uk.indirect && "gemm_packed_lhs_rows needs a micro-kernel with an indirect entry");
  const int64_t m = a.m, k = a.k, mr = uk.mr, nr = uk.nr;
  if (m <= 0 || n <= 0 || rows <= 0 || k <= 0) return;  // k = 0 has no conv (a kernel has at least one tap)
  const int64_t panels = (m + mr - 1) / mr;
  const TileAct act = split_activation(ep.act);
  // Output rows per pass over the weights: about a B block's worth of columns, so each A panel (kc x mr, in L1)
  // serves that many tiles before the next one is loaded.
  const int64_t group = std::max<int64_t>(1, kNcTarget / n);
  auto range = [&](int64_t r0, int64_t r1, int64_t p0, int64_t p1) {
    GemmTileParams p = act.params();
    for (int64_t rg = r0; rg < r1; rg += group) {
      const int64_t rge = std::min(r1, rg + group);
      for (int64_t pc = 0; pc < k; pc += kKc) {
        const int64_t kc = std::min(kKc, k - pc);
        p.accumulate = pc > 0 || acc_c;
        p.epilogue = pc + kc == k;
        const float* a_block = a.data.data() + packed_offset(panels, static_cast<int>(mr), pc, kc, 0);
        for (int64_t pi = p0; pi < p1; ++pi) {
          const int64_t i = pi * mr, m_eff = std::min(mr, m - i);
          const float* ap = a_block + pi * kc * mr;
          for (int64_t r = rg; r < rge; ++r)
            for (int64_t jr = 0; jr < n; jr += nr) {
              GemmTileParams q = p;
              const int64_t col = r * c_row_step + jr;
              offset_epilogue(q, ep, i, col);
              uk.indirect(kc, ap, b_rows + pc, r * b_row_step + jr, c + i * ldc + col, ldc, static_cast<int>(m_eff),
                          static_cast<int>(std::min(nr, n - jr)), q);
            }
        }
      }
      if (act.post)
        for (int64_t i = p0 * mr; i < std::min(m, p1 * mr); ++i)
          for (int64_t r = rg; r < rge; ++r) {
            float* row = c + i * ldc + r * c_row_step;
            activation_f32(ep.act, row, row, n);
          }
    }
  };
  const int threads = pool ? pool->size() : 1;
  if (threads <= 1 || m * n * rows * k <= kSerialMacs) {
    range(0, rows, 0, panels);
  } else if (rows >= 2 * threads || rows >= panels) {
    pool->parallel_for(rows, [&](int64_t b, int64_t e, int) { range(b, e, 0, panels); });
  } else {
    pool->parallel_for(panels, [&](int64_t b, int64_t e, int) { range(0, rows, b, e); });
  }
}

void gemm_packed_rhs(const float* a, int64_t m, int64_t lda, const PackedRhs& b, float* c, int64_t ldc,
                     const Epilogue& ep, ThreadPool* pool, bool trans_a) {
  if (m == 1 && !trans_a && b.uk && b.n > 0 && b.k > 0) {
    gemv_packed_rhs(a, b, c, ep, pool);
    return;
  }
  Operand oa, ob;
  oa.raw = a;
  oa.ld = lda;
  oa.trans = trans_a;
  ob.packed = b.data.data();
  ob.panels = (b.n + pick(b.uk).nr - 1) / pick(b.uk).nr;
  run_gemm(pick(b.uk), m, b.n, b.k, oa, ob, c, ldc, ep, pool);
}

void gemm_packed_rhs_cols(const float* a, int64_t m, int64_t lda, const PackedRhs& b, int64_t j0, int64_t j1, float* c,
                          int64_t ldc, const Epilogue& ep_in, bool trans_a) {
  const GemmUkernel& uk = pick(b.uk);
  assert(m > 1 && j0 % uk.nr == 0 && "gemm_packed_rhs_cols: m == 1 is a GEMV, column ranges start on a panel");
  j1 = std::min(j1, b.n);
  if (m <= 0 || j1 <= j0 || b.k <= 0) return;  // k = 0 has no caller (a conv has at least one input channel)
  const auto [ep, acc_c] = residual_in_c(ep_in, c, ldc);
  Operand oa, ob;
  oa.raw = a;
  oa.ld = lda;
  oa.trans = trans_a;
  ob.packed = b.data.data();
  ob.panels = (b.n + uk.nr - 1) / uk.nr;
  gemm_range(uk, b.k, oa, ob, 0, m, j0, j1, c, ldc, ep, split_activation(ep.act), acc_c);
}

void gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, bool trans_a, const float* b, int64_t ldb,
          bool trans_b, float* c, int64_t ldc, const Epilogue& ep, ThreadPool* pool, const GemmUkernel* uk) {
  Operand oa, ob;
  oa.raw = a;
  oa.ld = lda;
  oa.trans = trans_a;
  ob.raw = b;
  ob.ld = ldb;
  ob.trans = trans_b;
  run_gemm(pick(uk), m, n, k, oa, ob, c, ldc, ep, pool);
}

}  // namespace edgerun::kernels
