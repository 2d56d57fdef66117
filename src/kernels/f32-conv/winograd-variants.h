// The Winograd transform micro-kernels' interface and the per-ISA functions listed in the table (winograd.cpp).
// Named f32_winograd_<input|output>_<m>x<m>__<isa>; the -avx2 ones exist on x86-64 only, the -neon ones on arm64 only.
//
// Each call handles 8 tiles of one channel plane (the 8 lanes of the transform's vectors). The kernels read the
// tiles' patches from the plane and write the results into it themselves, so an ISA can move whole patch rows and
// transpose them in registers instead of moving single floats.
#pragma once

#include <cstdint>

namespace edgerun::kernels {

constexpr int kWinogradLanes = 8;

// Where the 8 tiles of a call lie. Lane l's tile has its top-left corner at (y0[l], x0[l]) in a plane of h x w
// floats (row stride w): for the input the corner of its alpha x alpha patch (may be negative or reach past the
// plane: those taps read as 0), for the output the corner of its m x m output block (clipped to the plane).
// Lanes >= lanes are empty (input: all zero; output: nothing written).
struct WinogradTiles {
  int64_t h = 0, w = 0;
  int lanes = 0;
  int32_t y0[kWinogradLanes] = {}, x0[kWinogradLanes] = {};
};

// What the output transform adds before it stores: y = clamp(value + bias [+ residual], lo, hi), the residual
// (nullptr: none) laid out like the output plane. NaN passes through the clamp.
struct WinogradStore {
  float* plane = nullptr;
  const float* residual = nullptr;
  float bias = 0.0f, lo = 0.0f, hi = 0.0f;
};

// input: V[pos * v_stride + lane] = (Bt d B)[pos] of lane's patch d from plane x.
using WinogradInputFn = void (*)(const float* x, const WinogradTiles& t, float* v, int64_t v_stride);
// output: lane's tile of (At M A) with M[pos] = m[pos * m_stride + lane], stored through s.
using WinogradOutputFn = void (*)(const float* m, int64_t m_stride, const WinogradTiles& t, const WinogradStore& s);

void f32_winograd_input_6x6__scalar(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_6x6__scalar(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);
void f32_winograd_input_4x4__scalar(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_4x4__scalar(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);
void f32_winograd_input_2x2__scalar(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_2x2__scalar(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);

#if defined(__x86_64__) || defined(_M_X64)
void f32_winograd_input_6x6__avx2(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_6x6__avx2(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);
void f32_winograd_input_4x4__avx2(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_4x4__avx2(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);
void f32_winograd_input_2x2__avx2(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_2x2__avx2(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);
#endif

#if defined(__aarch64__)
void f32_winograd_input_6x6__neon(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_6x6__neon(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);
void f32_winograd_input_4x4__neon(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_4x4__neon(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);
void f32_winograd_input_2x2__neon(const float* x, const WinogradTiles& t, float* v, int64_t vs);
void f32_winograd_output_2x2__neon(const float* m, int64_t ms, const WinogradTiles& t, const WinogradStore& s);
#endif

}  // namespace edgerun::kernels
