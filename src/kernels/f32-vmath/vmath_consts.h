// Constants shared by every f32-vmath variant, so all ISAs compute the same approximations.
#pragma once

namespace edgerun::kernels::vmath {

// exp: x = n ln2 + r, |r| <= ln2/2 (Cody-Waite split of ln2), e^r by a degree-6 polynomial (minimax for the
// relative error, 1.9e-9 = 0.03 ulp; evaluated in float by Horner's rule: at most 0.88 ulp on the reduced range, as
// the degree-7 Taylor form it replaced, with two operations fewer), then 2^n applied as two factors so results in
// the denormal range round once. tanh keeps expm1's Taylor form (no cancellation near 0).
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;        // 9 significant bits: n * kLn2Hi is exact
inline constexpr float kLn2Lo = -2.12194440e-4f;     // ln2 - kLn2Hi
inline constexpr float kExpMax = 89.0f;              // exp(89) overflows to +inf
inline constexpr float kExpMin = -104.0f;            // exp(-104) rounds to +0
inline constexpr float kTanhMax = 9.0f;              // tanh(9) rounds to 1
// e^r = 1 + r (1 + r (p2 + r (p3 + ... + r p6))) on |r| <= ln2/2 (Remez fit, coefficients rounded to float).
inline constexpr float kP2 = 4.999999106e-01f, kP3 = 1.666641980e-01f, kP4 = 4.166822508e-02f,
                       kP5 = 8.374824189e-03f, kP6 = 1.383683528e-03f;
// expm1(r) = r + r^2 * (c2 + r (c3 + ...)), 1/k!.
inline constexpr float kC2 = 1.0f / 2, kC3 = 1.0f / 6, kC4 = 1.0f / 24, kC5 = 1.0f / 120, kC6 = 1.0f / 720,
                       kC7 = 1.0f / 5040;

// erf on |x| in [0, 4] (clamped; erf(4) rounds to 1) in four pieces k = min(floor|x|, 3):
//   k = 0: erf(x) = x * P0(t), t = 2 x^2 - 1;   k >= 1: erf(x) = Pk(t), t = 2 |x| - (2k + 1).
// Pk are Chebyshev interpolants (degree 9) rewritten as monomials in t in [-1, 1]; fit error < 0.5 ulp.
inline constexpr int kErfDegree = 9;
inline constexpr float kErfCoeffs[kErfDegree + 1][4] = {
    {9.654687643e-01f, 9.661051631e-01f, 9.995930195e-01f, 9.999992847e-01f},
    {-1.405360848e-01f, 5.946514383e-02f, 1.089142170e-03f, 2.699714514e-06f},
    {1.985249668e-02f, -4.459885508e-02f, -1.361434232e-03f, -4.724086011e-06f},
    {-2.285485622e-03f, 1.734402589e-02f, 1.043760334e-03f, 5.286914529e-06f},
    {2.175171685e-04f, -2.787465462e-03f, -5.388449063e-04f, -4.235676897e-06f},
    {-1.753716970e-05f, -4.647138412e-04f, 1.911718718e-04f, 2.566276407e-06f},
    {1.223362574e-06f, 3.020848380e-04f, -4.387831359e-05f, -1.205401759e-06f},
    {-7.511464872e-08f, -3.672784078e-05f, 4.227165391e-06f, 4.542745273e-07f},
    {4.138784426e-09f, -9.382540156e-06f, 1.196530889e-06f, -1.446774576e-07f},
    {-2.045680986e-10f, 3.008616204e-06f, -4.792869959e-07f, 3.035955842e-08f},
};
inline constexpr float kErfMax = 4.0f;
inline constexpr float kInvSqrt2 = 0.70710678118654752f;

}  // namespace edgerun::kernels::vmath
