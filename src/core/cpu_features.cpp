#include "core/cpu_features.h"

#include <cstdlib>
#include <cstring>

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace edgerun {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
  const char* isa = std::getenv("EDGERUN_ISA");
  if (isa && std::strcmp(isa, "scalar") == 0) return f;
#if defined(__x86_64__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  // EDGERUN_ISA=avx2 hides AVX-512: measures the AVX2 kernels on an AVX-512 machine (the Zen3-class targets).
  // avx512f stands for the F + BW + DQ + VL set that the *-avx512.cpp kernels are compiled for (every AVX-512 core
  // since Skylake-SP and Zen 4; not Knights Landing, which would fault on BW/DQ/VL instructions).
  f.avx512f = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
              !(isa && std::strcmp(isa, "avx2") == 0);
  f.avx512vnni = f.avx512f && __builtin_cpu_supports("avx512vnni");
  unsigned eax, ebx, ecx, edx;
  __asm__("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  f.f16c = (ecx >> 29) & 1;
#elif defined(__aarch64__)
  f.neon = true;
#if defined(__linux__)
  unsigned long hw = getauxval(AT_HWCAP);
#ifdef HWCAP_ASIMDHP
  f.fp16 = (hw & HWCAP_ASIMDHP) != 0;
#endif
#ifdef HWCAP_ASIMDDP
  f.dotprod = (hw & HWCAP_ASIMDDP) != 0;
#endif
#endif
#endif
  return f;
}

}  // namespace

std::string CpuFeatures::describe() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2, "avx2");
  add(fma, "fma");
  add(f16c, "f16c");
  add(avx512f, "avx512f");
  add(avx512vnni, "avx512vnni");
  add(neon, "neon");
  add(fp16, "fp16");
  add(dotprod, "dotprod");
  return s.empty() ? "scalar" : s;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures f = detect();
  return f;
}

}  // namespace edgerun
