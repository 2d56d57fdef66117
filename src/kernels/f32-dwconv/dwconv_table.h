// The f32-dwconv variant table: select_dwconv(), the kernel tests and benchmarks iterate this one list.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/f32-dwconv/dwconv.h"

namespace edgerun::kernels {

// Computes channels [c0, c1) of one image (same buffers and epilogue as dwconv2d_f32).
using DwConvFn = void (*)(const DwConvParams& p, const float* in, const float* weights, float* out,
                          const Epilogue& ep, int64_t c0, int64_t c1);

struct DwConvKernel {
  const char* name;      // f32-dwconv-<kernel>s<stride>-<isa>
  bool (*supported)();   // from cpu_features()
  int kernel;            // square kernel size, dilation 1, pads >= 0; 0 = any shape (generic)
  int stride;            // both axes; 0 = any
  DwConvFn fn;
  int max_out_w = 0;     // > 0: only for output rows at most this wide (channel-blocked variants)
};

// Every variant built into this binary, most specific first; the last is the generic -scalar one.
std::span<const DwConvKernel> dwconv_variants();
// Whether variant k can compute p (shape match; CPU support is checked separately).
bool dwconv_matches(const DwConvKernel& k, const DwConvParams& p);

// Adds bias / residual and applies the activation (f32-vmath) to output row [pix0, pix0 + n) of channel c.
void dwconv_epilogue_row(const Epilogue& ep, int64_t c, int64_t pix0, float* y, int64_t n);

void dwconv_f32__scalar(const DwConvParams& p, const float* in, const float* weights, float* out,
                        const Epilogue& ep, int64_t c0, int64_t c1);
#if defined(__x86_64__)
void dwconv_f32_3x3s1__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                              const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_3x3s2__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                              const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_5x5s1__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                              const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_5x5s2__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                              const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_3x3s1_c16__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                                  const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_3x3s2_c16__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                                  const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_5x5s1_c16__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                                  const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_5x5s2_c16__avx512(const DwConvParams& p, const float* in, const float* weights, float* out,
                                  const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_3x3s1__avx2(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_3x3s2__avx2(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_5x5s1__avx2(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_5x5s2__avx2(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1);
#endif
#if defined(__aarch64__)
void dwconv_f32_3x3s1__neon(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_3x3s2__neon(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_5x5s1__neon(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1);
void dwconv_f32_5x5s2__neon(const DwConvParams& p, const float* in, const float* weights, float* out,
                            const Epilogue& ep, int64_t c0, int64_t c1);
#endif

}  // namespace edgerun::kernels
