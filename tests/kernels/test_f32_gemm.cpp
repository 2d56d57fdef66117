// Every supported f32-gemm variant against a naive double-accumulated GEMM: awkward sizes, all three
// entry points, trans flags, bias per row / column, residual, every activation, and bit-identical
// results for 1, 2 and 3 threads.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-gemm/gemm.h"

namespace edgerun::kernels {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<const GemmUkernel*> supported_ukernels() {
  std::vector<const GemmUkernel*> out;
  for (const GemmUkernel& uk : gemm_ukernels())
    if (uk.supported()) out.push_back(&uk);
  return out;
}

// One problem: A(i, p) = a[i*lda + p] (or a[p*lda + i] when trans_a), same for B.
struct Problem {
  int64_t m, n, k;
  bool trans_a = false, trans_b = false;
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, bias, residual;
  Epilogue ep;

  Problem(int64_t m_, int64_t n_, int64_t k_, bool ta, bool tb, uint32_t seed) : m(m_), n(n_), k(k_), trans_a(ta), trans_b(tb) {
    lda = (ta ? m : k) + 3;  // padded leading dimensions catch ld mix-ups
    ldb = (tb ? k : n) + 1;
    ldc = n + 2;
    a = random_floats(static_cast<size_t>((ta ? k : m) * lda), seed);
    b = random_floats(static_cast<size_t>((tb ? n : k) * ldb), seed + 1);
    bias = random_floats(static_cast<size_t>(std::max(m, n)), seed + 2);
    residual = random_floats(static_cast<size_t>(m * ldc), seed + 3);
  }
  float av(int64_t i, int64_t p) const { return trans_a ? a[static_cast<size_t>(p * lda + i)] : a[static_cast<size_t>(i * lda + p)]; }
  float bv(int64_t p, int64_t j) const { return trans_b ? b[static_cast<size_t>(j * ldb + p)] : b[static_cast<size_t>(p * ldb + j)]; }

  // Checks c against the double reference; tolerance scales with sum |a||b|.
  void check(const std::vector<float>& c, const std::string& what) const {
    int failures = 0;
    for (int64_t i = 0; i < m && failures < 5; ++i)
      for (int64_t j = 0; j < n && failures < 5; ++j) {
        double s = 0, abs_sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          const double t = static_cast<double>(av(i, p)) * bv(p, j);
          s += t;
          abs_sum += std::fabs(t);
        }
        if (ep.bias) s += ep.bias_per_column ? ep.bias[j] : ep.bias[i];
        if (ep.residual) s += ep.residual[i * ep.ld_residual + j];
        const float want = activation_ref(ep.act, static_cast<float>(s));
        const float got = c[static_cast<size_t>(i * ldc + j)];
        const double tol = 2e-5 + 4e-6 * (abs_sum + std::fabs(s));
        if (!(std::fabs(static_cast<double>(got) - want) <= tol)) {
          ADD_FAILURE() << what << " m=" << m << " n=" << n << " k=" << k << " at (" << i << ", " << j << "): got " << got
                        << ", want " << want;
          ++failures;
        }
      }
  }
};

enum class Entry { kPackedLhs, kPackedRhs, kGemm };

// Runs the problem through one entry point; returns C (ldc layout, padding left at a sentinel).
std::vector<float> run_entry(const Problem& pr, Entry e, const GemmUkernel* uk, ThreadPool* pool) {
  std::vector<float> c(static_cast<size_t>(pr.m * pr.ldc), 12345.0f);
  switch (e) {
    case Entry::kPackedLhs: {
      EXPECT_FALSE(pr.trans_a);
      PackedLhs pa = pack_lhs(pr.a.data(), pr.m, pr.k, pr.lda, uk);
      EXPECT_EQ(pa.uk, uk);
      EXPECT_FALSE(pr.trans_b);
      gemm_packed_lhs(pa, pr.b.data(), pr.n, pr.ldb, c.data(), pr.ldc, pr.ep, pool);
      break;
    }
    case Entry::kPackedRhs: {
      EXPECT_FALSE(pr.trans_a);
      PackedRhs pb = pack_rhs(pr.b.data(), pr.k, pr.n, pr.ldb, pr.trans_b, uk);
      gemm_packed_rhs(pr.a.data(), pr.m, pr.lda, pb, c.data(), pr.ldc, pr.ep, pool);
      break;
    }
    case Entry::kGemm:
      gemm(pr.m, pr.n, pr.k, pr.a.data(), pr.lda, pr.trans_a, pr.b.data(), pr.ldb, pr.trans_b, c.data(), pr.ldc, pr.ep,
           pool, uk);
      break;
  }
  for (int64_t i = 0; i < pr.m; ++i)
    for (int64_t j = pr.n; j < pr.ldc; ++j) EXPECT_EQ(c[static_cast<size_t>(i * pr.ldc + j)], 12345.0f) << "wrote past n";
  return c;
}

struct Size {
  int64_t m, n, k;
};
const Size kSizes[] = {{1, 1, 1},    {5, 7, 1},     {7, 5, 3},     {17, 17, 17},  {1, 300, 64},  {300, 1, 64},
                       {127, 33, 1000}, {6, 16, 256}, {12, 32, 257}, {300, 127, 40}, {64, 300, 513}, {13, 1000, 9}};

TEST(F32Gemm, TableHasScalarAndDefaultIsSupported) {
  ASSERT_NE(find_gemm_ukernel("f32-gemm-4x8-scalar"), nullptr);
  EXPECT_EQ(find_gemm_ukernel("no-such-kernel"), nullptr);
  const GemmUkernel* d = default_gemm_ukernel();
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->supported());
  for (const GemmUkernel& uk : gemm_ukernels()) {
    EXPECT_LE(uk.mr, kGemmMaxMr);
    EXPECT_LE(uk.nr, kGemmMaxNr);
  }
}

TEST(F32Gemm, AllEntriesMatchReference) {
  uint32_t seed = 1;
  for (const GemmUkernel* uk : supported_ukernels()) {
    for (const Size& s : kSizes) {
      Problem pr(s.m, s.n, s.k, false, false, seed++);
      for (Entry e : {Entry::kPackedLhs, Entry::kPackedRhs, Entry::kGemm}) {
        SCOPED_TRACE(std::string(uk->name) + " entry " + std::to_string(static_cast<int>(e)));
        pr.check(run_entry(pr, e, uk, nullptr), "plain");
      }
    }
  }
}

TEST(F32Gemm, TransFlags) {
  uint32_t seed = 100;
  for (const GemmUkernel* uk : supported_ukernels()) {
    for (const Size& s : {Size{7, 9, 5}, Size{33, 17, 300}, Size{130, 40, 70}}) {
      for (int t = 0; t < 4; ++t) {
        Problem pr(s.m, s.n, s.k, t & 1, t & 2, seed++);
        SCOPED_TRACE(std::string(uk->name) + " trans " + std::to_string(t));
        pr.check(run_entry(pr, Entry::kGemm, uk, nullptr), "gemm");
        if (!pr.trans_a) pr.check(run_entry(pr, Entry::kPackedRhs, uk, nullptr), "packed rhs");
      }
    }
  }
}

TEST(F32Gemm, EpilogueEveryActivation) {
  const Activation acts[] = {
      {Act::kNone, 0, 0},
      {Act::kClamp, 0.0f, std::numeric_limits<float>::infinity()},
      {Act::kClamp, -0.5f, 0.75f},
      {Act::kHardSwish, 0, 0},
      {Act::kHardSigmoid, 0.2f, 0.5f},
      {Act::kSigmoid, 0, 0},
      {Act::kSiLU, 0, 0},
      {Act::kGelu, 0, 0},
      {Act::kLeakyRelu, 0.1f, 0},
      {Act::kTanh, 0, 0},
  };
  uint32_t seed = 200;
  for (const GemmUkernel* uk : supported_ukernels()) {
    for (const Size& s : {Size{7, 19, 5}, Size{45, 70, 300}, Size{20, 1, 33}}) {
      for (const Activation& act : acts) {
        for (int variant = 0; variant < 3; ++variant) {  // 0: bias per row, 1: bias per column + residual, 2: residual
          Problem pr(s.m, s.n, s.k, false, false, seed++);
          pr.ep.act = act;
          if (variant < 2) pr.ep.bias = pr.bias.data();
          pr.ep.bias_per_column = variant == 1;
          if (variant >= 1) {
            pr.ep.residual = pr.residual.data();
            pr.ep.ld_residual = pr.ldc;
          }
          SCOPED_TRACE(std::string(uk->name) + " act " + std::to_string(static_cast<int>(act.kind)) + " variant " +
                       std::to_string(variant));
          for (Entry e : {Entry::kPackedLhs, Entry::kPackedRhs, Entry::kGemm}) pr.check(run_entry(pr, e, uk, nullptr), "epilogue");
        }
      }
    }
  }
}

TEST(F32Gemm, ZeroK) {
  Problem pr(5, 7, 0, false, false, 7);
  pr.ep.bias = pr.bias.data();
  pr.ep.bias_per_column = true;
  pr.check(run_entry(pr, Entry::kGemm, default_gemm_ukernel(), nullptr), "k=0");
}

// The residual stored in C itself (the memory plan lets a conv write its output over its residual): every entry
// point must read each residual element before it writes that element of C, also across K blocks (k > 256 writes
// partial sums into C), on the GEMV paths (n == 1, m == 1) and for k == 0; the same for 1, 2 and 3 threads.
TEST(F32Gemm, ResidualInC) {
  ThreadPool pool2(2), pool3(3);
  uint32_t seed = 250;
  for (const GemmUkernel* uk : supported_ukernels()) {
    for (const Size& s : {Size{45, 70, 300}, Size{64, 300, 513}, Size{13, 40, 9}, Size{300, 1, 600}, Size{1, 300, 600},
                          Size{5, 7, 0}}) {
      Problem pr(s.m, s.n, s.k, false, false, seed++);
      pr.ep.bias = pr.bias.data();
      pr.ep.act = {Act::kClamp, 0.0f, std::numeric_limits<float>::infinity()};
      pr.ep.residual = pr.residual.data();
      pr.ep.ld_residual = pr.ldc;
      for (Entry e : {Entry::kPackedLhs, Entry::kPackedRhs, Entry::kGemm}) {
        SCOPED_TRACE(std::string(uk->name) + " m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) + " k=" +
                     std::to_string(s.k) + " entry " + std::to_string(static_cast<int>(e)));
        std::vector<float> first;
        for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2, &pool3}) {
          std::vector<float> c = pr.residual;  // C starts as the residual; the padding columns are not written
          Epilogue ep = pr.ep;
          ep.residual = c.data();
          switch (e) {
            case Entry::kPackedLhs:
              gemm_packed_lhs(pack_lhs(pr.a.data(), pr.m, pr.k, pr.lda, uk), pr.b.data(), pr.n, pr.ldb, c.data(),
                              pr.ldc, ep, pool);
              break;
            case Entry::kPackedRhs:
              gemm_packed_rhs(pr.a.data(), pr.m, pr.lda, pack_rhs(pr.b.data(), pr.k, pr.n, pr.ldb, false, uk), c.data(),
                              pr.ldc, ep, pool);
              break;
            case Entry::kGemm:
              gemm(pr.m, pr.n, pr.k, pr.a.data(), pr.lda, false, pr.b.data(), pr.ldb, false, c.data(), pr.ldc, ep, pool,
                   uk);
              break;
          }
          pr.check(c, "residual in C");
          for (int64_t i = 0; i < pr.m; ++i)
            for (int64_t j = pr.n; j < pr.ldc; ++j)
              EXPECT_EQ(c[static_cast<size_t>(i * pr.ldc + j)], pr.residual[static_cast<size_t>(i * pr.ldc + j)]);
          if (first.empty()) first = c;
          else EXPECT_EQ(c, first) << (pool ? pool->size() : 1) << " threads";
        }
      }
    }
  }
}

TEST(F32Gemm, BitIdenticalAcrossThreadCounts) {
  ThreadPool pool2(2), pool3(3);
  uint32_t seed = 300;
  for (const GemmUkernel* uk : supported_ukernels()) {
    for (const Size& s : {Size{300, 127, 40}, Size{64, 300, 513}, Size{7, 1000, 33}, Size{1000, 7, 33}, Size{127, 33, 1000}, Size{2000, 1, 40}}) {
      Problem pr(s.m, s.n, s.k, false, false, seed++);
      pr.ep.bias = pr.bias.data();
      pr.ep.act = {Act::kGelu, 0, 0};
      for (Entry e : {Entry::kPackedLhs, Entry::kPackedRhs, Entry::kGemm}) {
        SCOPED_TRACE(std::string(uk->name) + " entry " + std::to_string(static_cast<int>(e)));
        const std::vector<float> c1 = run_entry(pr, e, uk, nullptr);
        pr.check(c1, "threads");
        EXPECT_EQ(run_entry(pr, e, uk, &pool2), c1);
        EXPECT_EQ(run_entry(pr, e, uk, &pool3), c1);
      }
    }
  }
}

TEST(F32Gemv, TableHasScalarAndDefaultIsSupported) {
  ASSERT_NE(find_gemv_ukernel("f32-gemv-scalar"), nullptr);
  EXPECT_EQ(find_gemv_ukernel("no-such-kernel"), nullptr);
  ASSERT_NE(default_gemv_ukernel(), nullptr);
  EXPECT_TRUE(default_gemv_ukernel()->supported());
  EXPECT_EQ(pack_lhs(nullptr, 0, 0, 0).gemv, default_gemv_ukernel());
}

// n == 1 through gemm_packed_lhs and m == 1 through gemm_packed_rhs, for every gemv variant on the panels of
// every gemm variant (mr 4 / 6 / 12, nr 8 / 16 / 32), K with and without chunk tails, epilogues, threads.
TEST(F32Gemv, VectorProductsMatchReference) {
  ThreadPool pool2(2), pool3(3);
  uint32_t seed = 400;
  const Activation acts[] = {{Act::kNone, 0, 0}, {Act::kClamp, 0.0f, 6.0f}, {Act::kHardSigmoid, 0.2f, 0.5f},
                             {Act::kSiLU, 0, 0}};
  for (const GemmUkernel* uk : supported_ukernels()) {
    for (const GemvUkernel& gv : gemv_ukernels()) {
      if (!gv.supported()) continue;
      for (int64_t big : {int64_t{1}, int64_t{7}, int64_t{13}, int64_t{96}, int64_t{1000}}) {
        for (int64_t k : {int64_t{1}, int64_t{3}, int64_t{4}, int64_t{9}, int64_t{64}, int64_t{577}, int64_t{1280}}) {
          for (int variant = 0; variant < 4; ++variant) {
            SCOPED_TRACE(std::string(uk->name) + " " + gv.name + " big=" + std::to_string(big) + " k=" +
                         std::to_string(k) + " variant " + std::to_string(variant));
            // Column vector: C[big, 1] = A[big, k] * b[k, 1] (SE 1x1 conv); bias per row.
            Problem col(big, 1, k, false, false, seed++);
            col.ep.act = acts[variant];
            if (variant & 1) col.ep.bias = col.bias.data();
            if (variant & 2) {
              col.ep.residual = col.residual.data();
              col.ep.ld_residual = col.ldc;
            }
            PackedLhs pa = pack_lhs(col.a.data(), col.m, col.k, col.lda, uk);
            pa.gemv = &gv;
            std::vector<float> c1(static_cast<size_t>(col.m * col.ldc), 12345.0f);
            gemm_packed_lhs(pa, col.b.data(), 1, col.ldb, c1.data(), col.ldc, col.ep, nullptr);
            col.check(c1, "gemv lhs");
            for (int64_t i = 0; i < col.m; ++i) EXPECT_EQ(c1[static_cast<size_t>(i * col.ldc + 1)], 12345.0f);
            for (ThreadPool* pool : {&pool2, &pool3}) {
              std::vector<float> c(c1.size(), 12345.0f);
              gemm_packed_lhs(pa, col.b.data(), 1, col.ldb, c.data(), col.ldc, col.ep, pool);
              EXPECT_EQ(c, c1) << pool->size() << " threads";
            }
            // Row vector: C[1, big] = a[1, k] * B[k, big] (classifier Gemm); bias per column, B^T stored.
            Problem row(1, big, k, false, variant >= 2, seed++);
            row.ep.act = acts[variant];
            if (variant & 1) {
              row.ep.bias = row.bias.data();
              row.ep.bias_per_column = true;
            }
            PackedRhs pb = pack_rhs(row.b.data(), row.k, row.n, row.ldb, row.trans_b, uk);
            pb.gemv = &gv;
            std::vector<float> r1(static_cast<size_t>(row.ldc), 12345.0f);
            gemm_packed_rhs(row.a.data(), 1, row.lda, pb, r1.data(), row.ldc, row.ep, nullptr);
            row.check(r1, "gemv rhs");
            for (int64_t j = row.n; j < row.ldc; ++j) EXPECT_EQ(r1[static_cast<size_t>(j)], 12345.0f);
            for (ThreadPool* pool : {&pool2, &pool3}) {
              std::vector<float> r(r1.size(), 12345.0f);
              gemm_packed_rhs(row.a.data(), 1, row.lda, pb, r.data(), row.ldc, row.ep, pool);
              EXPECT_EQ(r, r1) << pool->size() << " threads";
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace edgerun::kernels
