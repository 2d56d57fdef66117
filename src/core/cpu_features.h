// CPU features detected once at start-up; kernels are chosen from them at prepare.
#pragma once

#include <string>

namespace edgerun {

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false, avx512f = false;  // x86-64
  bool avx512vnni = false;  // x86-64: AVX-512 VNNI (vpdpbusd) on top of avx512f
  bool neon = false, fp16 = false, dotprod = false;                 // arm64
  std::string describe() const;  // "avx2 fma f16c"
};

// The running CPU's features; EDGERUN_ISA=scalar in the environment hides all of them, EDGERUN_ISA=avx2 hides
// AVX-512 only (tests, benchmarks).
const CpuFeatures& cpu_features();

}  // namespace edgerun
