// lossfn — the maths on packets: exp, log, log1p, sinh, tanh, sqrt and the
// power of an option, on Vec<S> (one packet) and Wide<S, K> (K packets), each
// with its error bound. The scalar versions are in math.hpp.
//
// Which of Eigen 3.4's packet functions are really vectorized (x86-64,
// checked in Eigen/src/Core/arch/{SSE,AVX,AVX512}/PacketMath.h):
//   float:  pexp, plog, plog1p, pexpm1 (SSE2, AVX, AVX-512); ptanh only
//           with EIGEN_FAST_MATH.
//   double: pexp, plog (SSE2, AVX, AVX-512); no plog1p, pexpm1, ptanh: the
//           generic versions call std:: on a packet and do not compile.
// So log1p is written here once, for both, from plog (Kahan's trick). With
// AVX-512, exp is lossfn's own table-based kernel (exp_table, packet_x86.hpp):
// fewer FMA-pipe operations than pexp, and exact limits.
#pragma once

#include "packet.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

/// sqrt, Eigen's psqrt: the instruction, correctly rounded.
template <class S>
inline Vec<S> sqrt(const Vec<S>& x) {
  return Vec<S>(pk::psqrt(x.p));
}

/// exp(x) for x ≤ 0 (or NaN) — a logit less its row's maximum, −|x|.
/// With AVX-512, exp_table (packet_x86.hpp): ≤ 1.07 ulp (float) and 0.56
/// (double) where the result is normal, ≤ 1.07 units of the smallest subnormal
/// where it is subnormal, 0 at −inf.
/// Elsewhere Eigen's pexp (Cephes: x = m·ln2 + r, a degree-5 polynomial in r
/// for float, a Padé approximant for double): ≤ 2 ulp with SSE2, ≤ 4 with
/// AVX2 and FMA (driver_packet_test). pexp's results below the smallest
/// normal number are wrong (SSE2 and AVX return the clamp's 2.9e-39 for any
/// x < −88.38), so where a lane is below −87 (float) / −708 (double),
/// exp(x) = exp(x/2)² there: x/2 is exact, exp(x/2) is normal, and the
/// square rounds to the subnormal (or to 0) — within a few units of the
/// smallest subnormal. It costs a second pexp only for packets that hold
/// such a lane. NaN propagates.
template <class S>
inline Vec<S> exp_nonpositive(const Vec<S>& x) {
#if defined(EIGEN_VECTORIZE_AVX512)
  if constexpr (has_exp_table<S>) return Vec<S>(exp_table<true>(x.p));
#endif
  constexpr bool single = std::is_same_v<S, float>;
  const Mask<S> tiny = x < Vec<S>(single ? -87.0 : -708.0);
  Vec<S> e(pk::pexp(x.p));
  if (tiny.any()) {
    const Vec<S> half(pk::pexp((x * Vec<S>(0.5)).p));
    e = select(tiny, half * half, e);
  }
  return e;
}

/// exp for any x: exp_nonpositive's bounds up to log(max), and +inf above
/// (exp_table clamps x to a point beyond, where scalef overflows; pexp clamps
/// its argument to ±88.38 / ±709.78 and would return a finite number there,
/// hence the select). exp_nonpositive saves the clamp or the select (two
/// vector instructions of about 35 per softmax logit).
template <class S>
inline Vec<S> exp(const Vec<S>& x) {
#if defined(EIGEN_VECTORIZE_AVX512)
  if constexpr (has_exp_table<S>) return Vec<S>(exp_table<false>(x.p));
#endif
  constexpr bool single = std::is_same_v<S, float>;
  const Vec<S> hi(single ? 88.7228394 : 709.782712893384);
  return select(x > hi, Vec<S>(std::numeric_limits<S>::infinity()), exp_nonpositive(x));
}

/// log, from Eigen's plog (Cephes): ≤ 2 ulp (driver_packet_test); log(0) =
/// −inf, log(x < 0) and log(NaN) = NaN, log(+inf) = +inf. plog takes a
/// subnormal for 0's neighbourhood; such lanes are scaled into the normal
/// range first (x·2^24 or x·2^54) and the scale's log subtracted after.
template <class S>
inline Vec<S> log(const Vec<S>& x) {
  constexpr bool single = std::is_same_v<S, float>;
  const Vec<S> scale(single ? 16777216.0 : 18014398509481984.0);  // 2^24, 2^54
  const Vec<S> log_scale(single ? 16.635532333438687 : 37.429947750237046);
  const Mask<S> subnormal = x < Vec<S>(std::numeric_limits<S>::min()) && x > Vec<S>(0);
  const Vec<S> r(pk::plog(select(subnormal, x * scale, x).p));
  return select(subnormal, r - log_scale, r);
}

/// log1p(x) = log(u)·x/(u − 1) with u = 1 + x rounded (Kahan): the division
/// cancels u's rounding error, so the result is within a few ulp of log(1 + x)
/// (≤ 4 ulp measured over [−0.999, 1e6] and x ∈ [1e-30, 1e-3]; exact x where
/// u rounds to 1). Eigen's plog1p does this for float only; written once here
/// for both. log1p(+inf) = +inf, log1p(−1) = −inf.
template <class S>
inline Vec<S> log1p(const Vec<S>& x) {
  const Vec<S> one(1);
  const Vec<S> u = one + x;
  const Vec<S> log_u = log(u);
  const Vec<S> large = x * (log_u / (u - one));
  return select(u == one || log_u == u, select(u == one, x, log_u), large);
}

/// log1p(e) for e ∈ [0, 1] (softplus's tail log(1 + exp(−|x|))), without a
/// log or a division.
/// float: e + e²·R(e), R(e) = (log1p(e) − e)/e² ∈ [−1/2, −0.31] fitted by a
/// degree-7 polynomial (Lawson's minimax over [0, 1] of the error it makes
/// in log1p(e); coefficients rounded to float): ≤ 1.5 ulp of log1p, checked
/// on every float in [1e-4, 1] (driver_packet_test).
/// double: with u = e/(2 + e) ∈ [0, 1/3], log1p(e) = 2·atanh(u) =
/// 2u·Σ u^2k/(2k+1) summed to u^31, where the next term is below half an
/// ulp (u² ≤ 1/9) (a fit in e would need about 20 terms): ≤ 2 ulp.
/// log1p_unit(0) = 0 exactly, NaN propagates.
template <class S>
inline Vec<S> log1p_unit(const Vec<S>& e) {
  using V = Vec<S>;
  if constexpr (std::is_same_v<S, float>) {
    constexpr float c[] = {0.005364815f, -0.03006582f, 0.07920469f, -0.13753827f,
                           0.19153672f,  -0.2485717f,  0.33321324f, -0.49999648f};
    V r(c[0]);
    for (int k = 1; k < 8; ++k) r = V(pk::pmadd(r.p, e.p, V(c[k]).p));
    return V(pk::pmadd((e * e).p, r.p, e.p));
  } else {
    // In w = 2u = 2e/(2 + e) (e + e is exact; 2u would round e = 4.9e-324 to 0):
    // w·Σ (w²/4)^k/(2k+1).
    const V w = (e + e) / (V(2) + e), w2 = w * w;
    constexpr int terms = 15;   // the series' terms after w
    const auto c = [](int k) {  // 1/((2k + 1)·4^k), exact powers of 4
      double d = 2 * k + 1;
      for (int i = 0; i < k; ++i) d *= 4;
      return 1.0 / d;
    };
    V sum(c(terms));
    for (int k = terms - 1; k >= 1; --k) sum = V(pk::pmadd(sum.p, w2.p, V(c(k)).p));
    return w + w * (w2 * sum);
  }
}

/// sinh: for |x| < 1 its Taylor series x·Σ x^2k/(2k+1)! to x^13 (float) or
/// x^19 (double), where the next term is below half an ulp, so that sinh of
/// a small x keeps its digits; beyond, F − 1/(4F) with F = e^|x|/2 formed as
/// (e^{|x|/2}/2)·e^{|x|/2} (no cancellation once |x| ≥ 1; finite up to where
/// sinh itself overflows). Within 8 ulp of std::sinh (twice exp's error:
/// 5 measured with SSE2, 6 with AVX-512; driver_packet_test).
/// NaN propagates.
template <class S>
inline Vec<S> sinh(const Vec<S>& x) {
  using V = Vec<S>;
  const V a = abs(x), a2 = a * a;
  constexpr int terms = std::is_same_v<S, float> ? 6 : 9;  // the series' terms after x
  // Horner in x²: 1 + x²/3!·(1 + x²/(4·5)·(1 + ...)).
  V sum(1);
  for (int k = terms; k >= 1; --k)
    sum = V(pk::pmadd(sum.p, (a2 * V(1.0 / ((2.0 * k) * (2.0 * k + 1)))).p, V(1).p));
  const V series = a * sum;
  const V E = exp(V(V(0.5) * a)), F = V(0.5) * E * E;  // e^|x| / 2, finite as long as sinh is
  const V large = F - V(0.25) / F;
  const V r = select(a < V(1), series, large);
  return select(x < V(0), V(-r), r);
}

/// tanh: for |x| < 0.55, s/√(1 + s²) with s = sinh(x) (its series: no
/// cancellation near 0); beyond, (1 − e)/(1 + e) with e = e^{−2|x|} ≤ 0.33,
/// which cancels nothing. ±1 at ±inf; within 4 ulp of std::tanh
/// (driver_packet_test). (Eigen's ptanh exists for float only, and only with
/// EIGEN_FAST_MATH.)
template <class S>
inline Vec<S> tanh(const Vec<S>& x) {
  using V = Vec<S>;
  const V a = abs(x);
  const V s = sinh(select(a < V(0.55), a, V(0)));
  const V small = s / sqrt(V(V(1) + s * s));
  const V e = exp_nonpositive(V(V(-2) * a));
  const V large = (V(1) - e) / (V(1) + e);
  const V r = select(a < V(0.55), small, large);
  return select(x < V(0), V(-r), r);
}

/// base^exponent for base ≥ 0 and a scalar exponent ≥ 0 (an option such as
/// the focal γ): exp(exponent·log(base)), so 0^γ = 0 for γ > 0; relative
/// error about |exponent·log(base)| ulp. The scalar version is detail::pow_option.
template <class S>
inline Vec<S> pow_option(const Vec<S>& base, double exponent) {
  if (exponent == 0) return Vec<S>(1);
  if (exponent == 1) return base;
  if (exponent == 2) return base * base;
  return exp(Vec<S>(Vec<S>(exponent) * log(base)));
}


template <class S, int K>
inline Wide<S, K> exp(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return exp(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> exp_nonpositive(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return exp_nonpositive(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> log(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return log(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> log1p(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return log1p(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> pow_option(const Wide<S, K>& base, double exponent) {
  return Wide<S, K>::each([&](int k) { return pow_option(base.v[k], exponent); });
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
