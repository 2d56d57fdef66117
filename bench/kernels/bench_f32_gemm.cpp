// f32-gemm micro-kernel variants (the whole table) on GEMM shapes from real models, single thread:
//   ./bench_f32_gemm --benchmark_filter=avx2
// Counters: GFLOP/s (multiply-add = 2 flops).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/f32-gemm/f32-gemm.h"
#include "kernels/f32-gemm/gemm.h"

namespace edgerun::kernels {
namespace {

struct Shape3 {
  const char* name;
  int64_t m, n, k;  // C[m, n] = A[m, k] * B[k, n]
};

// Weights on the left (NCHW conv: Cout x HW x Cin*KH*KW), from resnet50 / mobilenet_v2 1x1 and 3x3 convs,
// plus large square sizes for the peak.
const Shape3 kShapes[] = {
    {"square256", 256, 256, 256},
    {"square512", 512, 512, 512},
    {"square1024", 1024, 1024, 1024},
    {"resnet50_c2_1x1_64x3136x256", 64, 3136, 256},
    {"resnet50_c2_1x1_256x3136x64", 256, 3136, 64},
    {"resnet50_c3_3x3_128x784x1152", 128, 784, 1152},
    {"resnet50_c4_1x1_1024x196x256", 1024, 196, 256},
    {"resnet50_c5_3x3_512x49x4608", 512, 49, 4608},
    {"resnet50_fc_1000x1x2048", 1000, 1, 2048},
    {"resnet18_l3_3x3s2_256x196x1152", 256, 196, 1152},
    {"mobilenetv2_stem_3x3s2_32x12544x27", 32, 12544, 27},
    {"mobilenetv2_1x1_16x12544x32", 16, 12544, 32},
    {"mobilenetv2_1x1_96x12544x16", 96, 12544, 16},
    {"mobilenetv2_1x1_144x3136x24", 144, 3136, 24},
    {"mobilenetv2_1x1_32x784x192", 32, 784, 192},
    {"mobilenetv2_1x1_1280x49x320", 1280, 49, 320},
    {"vit_tiny_qkv_197x576x192", 197, 576, 192},
    {"squeezenet_expand3x3_64x3025x144", 64, 3025, 144},
    {"squeezenet_classifier_1000x169x512", 1000, 169, 512},
    {"v3s_se_fc1_144x1x576", 144, 1, 576},
    {"v3s_se_fc2_576x1x144", 576, 1, 144},
    {"exp_96x1024x16", 96, 1024, 16},
    {"exp_96x2048x16", 96, 2048, 16},
    {"exp_96x12544x64", 96, 12544, 64},
};

std::vector<float> random_floats(size_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void bench_packed_lhs(benchmark::State& state, const GemmUkernel* uk, Shape3 s) {
  if (!uk->supported()) {
    state.SkipWithError("not supported on this CPU");
    return;
  }
  const std::vector<float> a = random_floats(static_cast<size_t>(s.m * s.k));  // [m, k] weights
  const std::vector<float> b = random_floats(static_cast<size_t>(s.k * s.n));  // [k, n] activations
  std::vector<float> c(static_cast<size_t>(s.m * s.n));                         // [m, n]
  std::vector<float> bias = random_floats(static_cast<size_t>(s.m));
  const PackedLhs pa = pack_lhs(a.data(), s.m, s.k, s.k, uk);
  Epilogue ep;
  ep.bias = bias.data();
  ep.act = {Act::kClamp, 0.0f, 6.0f};
  for (auto _ : state) {
    gemm_packed_lhs(pa, b.data(), s.n, s.n, c.data(), s.n, ep, nullptr);
    benchmark::DoNotOptimize(c.data());
  }
  const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = static_cast<double>((s.m * s.k + s.k * s.n + s.m * s.n) * 4);
}

void bench_packed_rhs(benchmark::State& state, const GemmUkernel* uk, Shape3 s) {
  if (!uk->supported()) {
    state.SkipWithError("not supported on this CPU");
    return;
  }
  // NHWC view of the same conv: C[n, m] = X[n, k] * W[k, m].
  const std::vector<float> x = random_floats(static_cast<size_t>(s.n * s.k));
  const std::vector<float> w = random_floats(static_cast<size_t>(s.k * s.m));
  std::vector<float> c(static_cast<size_t>(s.n * s.m));
  const PackedRhs pw = pack_rhs(w.data(), s.k, s.m, s.m, false, uk);
  Epilogue ep;
  for (auto _ : state) {
    gemm_packed_rhs(x.data(), s.n, s.k, pw, c.data(), s.m, ep, nullptr);
    benchmark::DoNotOptimize(c.data());
  }
  const double flops = 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

[[maybe_unused]] const bool kRegistered = [] {
  for (const GemmUkernel& uk : gemm_ukernels())
    for (const Shape3& s : kShapes) {
      benchmark::RegisterBenchmark((std::string(uk.name) + "/lhs/" + s.name).c_str(), bench_packed_lhs, &uk, s)
          ->Unit(benchmark::kMicrosecond);
      benchmark::RegisterBenchmark((std::string(uk.name) + "/rhs/" + s.name).c_str(), bench_packed_rhs, &uk, s)
          ->Unit(benchmark::kMicrosecond);
    }
  return true;
}();

}  // namespace
}  // namespace edgerun::kernels
