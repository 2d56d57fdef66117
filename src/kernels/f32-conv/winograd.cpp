// Winograd kernel table, weight transform and the tile-block driver (portable C++; the transforms
// themselves are the per-ISA table entries).
#include "kernels/f32-conv/winograd.h"

#include <algorithm>
#include <cstring>

#include "core/cpu_features.h"
#include "kernels/f32-conv/conv_scratch.h"
#include "kernels/f32-conv/winograd-variants.h"
#include "kernels/f32-conv/winograd_transform.h"
#include "kernels/f32-gemm/f32-gemm.h"

namespace edgerun::kernels {
namespace {

bool always() { return true; }
[[maybe_unused]] bool has_avx2() { return cpu_features().avx2 && cpu_features().fma; }
[[maybe_unused]] bool has_neon() { return cpu_features().neon; }

constexpr int kLanes = kWinogradLanes;
constexpr int64_t kMaxGroups = 16;  // lane groups per block: blocks of at most 128 tiles

using WeightBuffer = std::vector<float, LargeAllocator<float>>;  // every element written below: no zero fill

// Positions (i, 0 .. alpha-1) of U = G g G^T for every (out, in) channel pair into u [alpha][Cout][Cin]. One output
// channel at a time into [alpha][Cin], then contiguous row copies: storing each value straight to its position's
// matrix (alpha^2 streams Cout * Cin floats apart) made this most of resnet18's load time.
template <class T>
void transform_weight_row(const float* w, int64_t cout, int64_t cin, int i, float* u) {
  constexpr int A = T::kAlpha;
  std::vector<float> rows(static_cast<size_t>(A * cin));
  for (int64_t o = 0; o < cout; ++o) {
    for (int64_t c = 0; c < cin; ++c) {
      const float* g = w + (o * cin + c) * 9;  // [3][3]
      double tmp[3];                            // row i of G * g
      for (int k = 0; k < 3; ++k)
        tmp[k] = T::g[i][0] * g[0 * 3 + k] + T::g[i][1] * g[1 * 3 + k] + T::g[i][2] * g[2 * 3 + k];
      for (int j = 0; j < A; ++j) {
        const double v = tmp[0] * T::g[j][0] + tmp[1] * T::g[j][1] + tmp[2] * T::g[j][2];
        rows[static_cast<size_t>(j * cin + c)] = static_cast<float>(v);
      }
    }
    for (int j = 0; j < A; ++j)
      std::memcpy(u + (j * cout + o) * cin, rows.data() + j * cin, static_cast<size_t>(cin) * sizeof(float));
  }
}

// Floats between the positions of V (or M) holding n floats each: a whole number of cache lines, and an odd one,
// so a transform's alpha^2 loads or stores at this stride fall into different L1 sets. With the plain n * 4 bytes,
// a multiple of 2 or 4 KiB for most channel counts, they shared one or two sets and evicted each other (resnet18:
// the input transforms spent two thirds of their time on those stores).
int64_t position_stride(int64_t n) {
  const int64_t lines = (n + 15) / 16;
  return (lines | 1) * 16;
}

// Tiles per block: V and M of one block ([alpha^2][Cin + Cout][tiles]) stay around 1 MiB.
int64_t block_tiles(const WinogradConv& wc) {
  const int64_t per_tile = int64_t{wc.alpha()} * wc.alpha() * (wc.in_channels + wc.out_channels);
  const int64_t t = (int64_t{1} << 18) / std::max<int64_t>(per_tile, 1);
  return std::clamp<int64_t>(t / 16 * 16, 16, 64);
}

// How the tiles are cut into blocks, and who works on them.
//  - block_parallel: whole blocks per thread (static chunks of the block list);
//  - otherwise (fewer blocks than threads, or one thread): each block's three phases (input transform over
//    channels, GEMMs over positions, output transform over output channels) are shared out.
// Results do not depend on the choice: every tile is transformed alone and every GEMM column is computed by
// the same sequence of operations. The choice minimises the busiest thread's GEMM columns (each block's tile
// count rounded up to the micro-kernel's nr, the padding the GEMM really computes) plus a per-block overhead,
// over block sizes that are multiples of 8 up to the limit below. A few hundred integer operations per run: cheaper
// than caching a plan per thread count.
struct BlockPlan {
  int64_t tiles = 0;  // tiles per block
  bool block_parallel = false;
};

BlockPlan plan_blocks(int64_t tiles, int64_t target, int nr, int threads) {
  constexpr int64_t kBlockCost = 8;   // columns' worth of per-block work (transform loops, GEMM calls)
  constexpr int64_t kPhaseCost = 16;  // columns' worth of the three barriers of a phase-parallel block
  auto padded = [&](int64_t nt) { return (nt + nr - 1) / nr * nr; };
  BlockPlan best;
  int64_t best_cost = -1;
  // Up to the cache-sized target and a half, and at least two micro-kernel widths: with AVX-512's nr = 32 a
  // target of 16 tiles would leave every GEMM half empty (resnet50 28x28x128 F(4x4) at 2 threads: blocks of 24
  // tiles 1.04 ms, of 32 tiles 0.79 ms).
  const int64_t cap = std::min<int64_t>(std::max<int64_t>(target + target / 2, 2 * nr), kMaxGroups * kLanes);
  const int64_t limit = std::max<int64_t>(kLanes, std::min<int64_t>(cap, (tiles + kLanes - 1) / kLanes * kLanes));
  for (int64_t bt = kLanes; bt <= limit; bt += kLanes) {
    const int64_t blocks = (tiles + bt - 1) / bt;
    const bool block_parallel = threads > 1 && blocks >= threads;
    int64_t cost = 0;
    if (block_parallel) {
      for (int t = 0; t < threads; ++t) {
        int64_t b0, b1;
        ThreadPool::chunk(blocks, threads, t, &b0, &b1);
        int64_t c = 0;
        for (int64_t b = b0; b < b1; ++b) c += padded(std::min(bt, tiles - b * bt)) + kBlockCost;
        cost = std::max(cost, c);
      }
    } else {
      for (int64_t b = 0; b < blocks; ++b) cost += padded(std::min(bt, tiles - b * bt)) + kBlockCost;
      cost = (cost + threads - 1) / threads + (threads > 1 ? kPhaseCost * blocks : 0);
    }
    if (best_cost < 0 || cost <= best_cost) {  // ties: the larger block (fewer GEMM calls)
      best_cost = cost;
      best.tiles = bt;
      best.block_parallel = block_parallel;
    }
  }
  return best;
}

}  // namespace

const std::vector<WinogradUkernel>& winograd_ukernels() {
  static const std::vector<WinogradUkernel> table = {
#if defined(__x86_64__) || defined(_M_X64)
      {"f32-winograd-6x6-3x3-avx2", 6, has_avx2, f32_winograd_input_6x6__avx2, f32_winograd_output_6x6__avx2},
      {"f32-winograd-4x4-3x3-avx2", 4, has_avx2, f32_winograd_input_4x4__avx2, f32_winograd_output_4x4__avx2},
      {"f32-winograd-2x2-3x3-avx2", 2, has_avx2, f32_winograd_input_2x2__avx2, f32_winograd_output_2x2__avx2},
#endif
#if defined(__aarch64__)
      {"f32-winograd-6x6-3x3-neon", 6, has_neon, f32_winograd_input_6x6__neon, f32_winograd_output_6x6__neon},
      {"f32-winograd-4x4-3x3-neon", 4, has_neon, f32_winograd_input_4x4__neon, f32_winograd_output_4x4__neon},
      {"f32-winograd-2x2-3x3-neon", 2, has_neon, f32_winograd_input_2x2__neon, f32_winograd_output_2x2__neon},
#endif
      {"f32-winograd-6x6-3x3-scalar", 6, always, f32_winograd_input_6x6__scalar, f32_winograd_output_6x6__scalar},
      {"f32-winograd-4x4-3x3-scalar", 4, always, f32_winograd_input_4x4__scalar, f32_winograd_output_4x4__scalar},
      {"f32-winograd-2x2-3x3-scalar", 2, always, f32_winograd_input_2x2__scalar, f32_winograd_output_2x2__scalar},
  };
  return table;
}

const WinogradUkernel* select_winograd(int m) {
  for (const WinogradUkernel& k : winograd_ukernels())
    if (k.m == m && k.supported()) return &k;
  return nullptr;
}

size_t WinogradConv::packed_bytes() const {
  size_t b = 0;
  for (const PackedLhs& p : u) b += p.bytes();
  return b;
}

WinogradConv winograd_prepare(const WinogradUkernel* uk, const float* w, int64_t out_channels, int64_t in_channels,
                              int64_t in_h, int64_t in_w, int64_t out_h, int64_t out_w, int64_t pad_top,
                              int64_t pad_left) {
  WinogradConv wc;
  wc.uk = uk;
  wc.in_channels = in_channels;
  wc.out_channels = out_channels;
  wc.in_h = in_h;
  wc.in_w = in_w;
  wc.out_h = out_h;
  wc.out_w = out_w;
  wc.pad_top = pad_top;
  wc.pad_left = pad_left;
  // A row of positions at a time (alpha matrices), packed before the next: the unpacked transform never holds more
  // than alpha of the alpha^2 matrices (resnet50's F(2x2) convs: peak RSS 15 MB lower than transforming all first).
  const int a = wc.alpha();
  const int64_t plane = out_channels * in_channels;
  WeightBuffer u(static_cast<size_t>(a * plane));  // [alpha][Cout][Cin]
  for (int i = 0; i < a; ++i) {
    if (uk->m == 6)
      transform_weight_row<winograd::F6>(w, out_channels, in_channels, i, u.data());
    else if (uk->m == 4)
      transform_weight_row<winograd::F4>(w, out_channels, in_channels, i, u.data());
    else
      transform_weight_row<winograd::F2>(w, out_channels, in_channels, i, u.data());
    for (int j = 0; j < a; ++j) wc.u.push_back(pack_lhs(u.data() + j * plane, out_channels, in_channels, in_channels));
  }
  return wc;
}

void winograd_conv2d(const WinogradConv& wc, const float* x, float* y, const Epilogue& ep, ThreadPool* pool) {
  const int A = wc.alpha(), m = wc.uk->m, a2 = A * A;
  const int64_t cin = wc.in_channels, cout = wc.out_channels;
  const int64_t tx_count = wc.tiles_x(), tiles = wc.tiles_y() * tx_count;
  const int threads = pool ? pool->size() : 1;
  const int nr = wc.u.empty() ? kLanes : wc.u[0].uk->nr;
  const BlockPlan plan = plan_blocks(tiles, block_tiles(wc), nr, threads);
  const int64_t bt = plan.tiles, blocks = (tiles + bt - 1) / bt;
  const bool block_parallel = plan.block_parallel;
  ThreadPool* phase_pool = block_parallel ? nullptr : pool;
  const int64_t in_plane = wc.in_h * wc.in_w, out_plane = wc.out_h * wc.out_w;
  const bool inline_act = ep.act.kind == Act::kNone || ep.act.kind == Act::kClamp;
  const float lo = ep.act.kind == Act::kClamp ? ep.act.alpha : -__builtin_inff();
  const float hi = ep.act.kind == Act::kClamp ? ep.act.beta : __builtin_inff();
  auto for_range = [](ThreadPool* p, int64_t n, auto&& fn) {
    if (p && p->size() > 1 && n > 1)
      p->parallel_for(n, [&](int64_t b, int64_t e, int) { fn(b, e); });
    else
      fn(int64_t{0}, n);
  };

  auto body = [&](int64_t b0, int64_t b1) {
    const int64_t btp = (bt + kLanes - 1) / kLanes * kLanes;
    float* v = conv_scratch(ConvScratchSlot::kWinogradV,
                            static_cast<size_t>(a2 * (position_stride(cin * btp) + position_stride(cout * btp))));
    float* mb = v + a2 * position_stride(cin * btp);  // [alpha^2][Cout][ntp], position stride ms
    WinogradTiles in_tiles[kMaxGroups], out_tiles[kMaxGroups];  // per group of 8 GEMM columns
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t t0 = blk * bt, nt = std::min(bt, tiles - t0);
      const int64_t ntp = (nt + kLanes - 1) / kLanes * kLanes;  // GEMM columns (lanes padded)
      const int64_t groups = ntp / kLanes;
      const int64_t vs = position_stride(cin * ntp), ms = position_stride(cout * ntp);
      for (int64_t g = 0; g < groups; ++g) {
        WinogradTiles& ti = in_tiles[g];
        WinogradTiles& to = out_tiles[g];
        ti.h = wc.in_h, ti.w = wc.in_w, to.h = wc.out_h, to.w = wc.out_w;
        ti.lanes = to.lanes = static_cast<int>(std::min<int64_t>(kLanes, nt - g * kLanes));
        for (int lane = 0; lane < kLanes; ++lane) {
          const int64_t t = t0 + std::min<int64_t>(g * kLanes + lane, nt - 1);  // empty lanes repeat the last
          to.y0[lane] = static_cast<int32_t>((t / tx_count) * m);
          to.x0[lane] = static_cast<int32_t>((t % tx_count) * m);
          ti.y0[lane] = static_cast<int32_t>(to.y0[lane] - wc.pad_top);
          ti.x0[lane] = static_cast<int32_t>(to.x0[lane] - wc.pad_left);
        }
      }
      // Input transform: V[pos][c][t] for t in [0, ntp).
      for_range(phase_pool, cin, [&](int64_t c_begin, int64_t c_end) {
        for (int64_t c = c_begin; c < c_end; ++c)
          for (int64_t g = 0; g < groups; ++g) wc.uk->input(x + c * in_plane, in_tiles[g], v + c * ntp + g * kLanes, vs);
      });
      // alpha^2 independent GEMMs: M[pos] [Cout, ntp] = U[pos] [Cout, Cin] * V[pos] [Cin, ntp].
      for_range(phase_pool, a2, [&](int64_t p_begin, int64_t p_end) {
        for (int64_t p = p_begin; p < p_end; ++p)
          gemm_packed_lhs(wc.u[static_cast<size_t>(p)], v + p * vs, ntp, ntp, mb + p * ms, ntp,
                          Epilogue{}, nullptr);
      });
      // Output transform + epilogue, clipped to the image.
      for_range(phase_pool, cout, [&](int64_t o_begin, int64_t o_end) {
        for (int64_t o = o_begin; o < o_end; ++o) {
          WinogradStore st;
          st.plane = y + o * out_plane;
          st.residual = ep.residual ? ep.residual + o * ep.ld_residual : nullptr;
          st.bias = ep.bias ? ep.bias[o] : 0.0f;
          st.lo = lo;
          st.hi = hi;
          for (int64_t g = 0; g < groups; ++g) {
            const WinogradTiles& to = out_tiles[g];
            wc.uk->output(mb + o * ntp + g * kLanes, ms, to, st);
            if (inline_act) continue;
            Epilogue act_only;
            act_only.act = ep.act;
            for (int lane = 0; lane < to.lanes; ++lane) {
              const int64_t rows = std::min<int64_t>(m, wc.out_h - to.y0[lane]);
              const int64_t cols = std::min<int64_t>(m, wc.out_w - to.x0[lane]);
              for (int64_t i = 0; i < rows; ++i)
                apply_epilogue_ref(act_only, st.plane + (to.y0[lane] + i) * wc.out_w + to.x0[lane], out_plane, 0, 1, 0,
                                   cols);
            }
          }
        }
      });
    }
  };
  if (block_parallel)
    pool->parallel_for(blocks, [&](int64_t b0, int64_t b1, int) { body(b0, b1); });
  else
    body(0, blocks);
}

}  // namespace edgerun::kernels
