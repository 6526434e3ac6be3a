// lossfn — numerically stable scalar primitives shared by the losses.
//
// Each is written once, generically, so that the same formula serves float,
// double, and (through the packet wrapper of the driver) SIMD lanes.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "config.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

/// a where c holds, else b. Both sides are evaluated (as SIMD lanes would be),
/// so neither may have side effects; a NaN in the unused side is harmless.
template <class S>
inline S select(bool c, const S& a, const S& b) {
  return c ? a : b;
}

/// An option (a double) as a V: a scalar, or the same number in every SIMD lane.
template <class V>
inline V constant(double x) {
  if constexpr (std::is_arithmetic_v<V>)
    return static_cast<V>(x);
  else
    return V(static_cast<typename V::Scalar>(x));
}

/// max/min that propagate a NaN in `a` (std::fmax would drop it).
/// Written with select() so that the same line serves SIMD lanes.
/// x ∈ [0, 1] (a probability); false for NaN. A bool, or a Mask for
/// SIMD lanes (the value checks of detail/elementwise.hpp).
template <class S>
inline auto is_probability(const S& x) {
  return x >= S(0) && x <= S(1);
}

template <class S>
inline S max_nan(const S& a, const S& b) {
  return select(a < b, b, a);
}

/// min that propagates a NaN in `a`, like max_nan.
template <class S>
inline S min_nan(const S& a, const S& b) {
  return select(b < a, b, a);
}

/// 0, or NaN where x is NaN: added to a result that a select() or a clamp
/// would otherwise make finite, so that a NaN prediction still propagates.
template <class S>
inline S nan_of(const S& x) {
  return select(x == x, S(0), x);
}

// Elementary functions, one-line forwards to std:: for float and double. A
// loss's evaluate() calls these (never std:: directly on its scalar type) so
// that the SIMD driver can overload them for its packet type.
template <class S>
inline S abs(const S& x) {
  using std::abs;
  return abs(x);
}
template <class S>
inline S exp(const S& x) {
  using std::exp;
  return exp(x);
}
/// exp(x) for x ≤ 0 (or NaN): the same for scalars; packets skip the
/// overflow check (vector_math.hpp).
template <class S>
inline S exp_nonpositive(const S& x) {
  using std::exp;
  return exp(x);
}
template <class S>
inline S log(const S& x) {
  using std::log;
  return log(x);
}
template <class S>
inline S log1p(const S& x) {
  using std::log1p;
  return log1p(x);
}
template <class S>
inline S sqrt(const S& x) {
  using std::sqrt;
  return sqrt(x);
}
template <class S>
inline S sinh(const S& x) {
  using std::sinh;
  return sinh(x);
}
template <class S>
inline S tanh(const S& x) {
  using std::tanh;
  return tanh(x);
}

/// log1p(e) for e ∈ [0, 1]: the tail log(1 + exp(−|x|)) of softplus. std::
/// for scalars; packets have their own (vector_math.hpp), cheaper than a general log1p.
template <class S>
inline S log1p_unit(const S& e) {
  using std::log1p;
  return log1p(e);
}

/// softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)).
/// No overflow for any x; relative error a few ulp (log1p is accurate where
/// exp(-|x|) is tiny, so softplus(-30) = 9.4e-14 keeps all its digits).
template <class S>
inline S softplus(const S& x) {
  using std::abs;
  return max_nan(x, S(0)) + log1p_unit(S(exp_nonpositive(S(-abs(x)))));
}

/// sigmoid(x) = 1 / (1 + exp(-x)), evaluated as exp(x)/(1+exp(x)) for x < 0
/// so that sigmoid(-800) = 0 and sigmoid(-30) = 9.4e-14 with full precision
/// (1 - sigmoid(x) is then sigmoid(-x), which callers use instead of 1 - p).
template <class S>
inline S sigmoid(const S& x) {
  using std::abs;
  const S e = exp_nonpositive(S(-abs(x)));  // in (0, 1]: never overflows
  const S r = S(1) / (S(1) + e);
  return select(x >= S(0), r, S(e * r));
}

/// softplus(±x) and sigmoid(±x) together, from one exp and one log1p (the
/// losses on logits need all four): the same formulas, and the same bits, as
/// softplus() and sigmoid() above, which compute exp(−|x|) twice each.
template <class S>
struct Logistic {
  S softplus;      // softplus(x)
  S softplus_neg;  // softplus(−x)
  S sigmoid;       // σ(x)
  S sigmoid_neg;   // σ(−x) = 1 − σ(x) without cancellation
};
/// e^{−|x|}, in (0, 1]: the one exponential of the losses on logits, which
/// they name as their transcendental input (detail/elementwise.hpp).
template <class S>
inline S exp_minus_abs(const S& x) {
  using std::abs;
  return exp_nonpositive(S(-abs(x)));
}
/// The four from x and its e = exp_minus_abs(x).
template <class S>
inline Logistic<S> logistic(const S& x, const S& e) {
  const S tail = log1p_unit(e);
  const S r = S(1) / (S(1) + e), er = e * r;
  const auto positive = x >= S(0);
  return {max_nan(x, S(0)) + tail, max_nan(S(-x), S(0)) + tail, select(positive, r, er),
          select(x <= S(0), r, er)};
}

/// base^exponent for base ≥ 0 and an exponent that is an option (a double,
/// the same for every term): 0^0 = 1, 0^γ = 0 for γ > 0; 1 and 2 are exact
/// products. The branches are on the option, never on data, so the SIMD
/// version (vector_math.hpp) has the same shape.
template <class S>
inline S pow_option(const S& base, double exponent) {
  using std::pow;
  if (exponent == 0) return S(1);
  if (exponent == 1) return base;
  if (exponent == 2) return base * base;
  return pow(base, static_cast<S>(exponent));
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
