// lossfn — pseudo-Huber loss.
#pragma once

#include <cmath>
#include <limits>
#include <type_traits>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Pseudo-Huber loss, one term per coefficient, d = pred − target, δ = delta:
/// a smooth Huber loss, quadratic (d²/2) near 0 and linear (δ·|d|) far out.
///   l = δ²·(√(1 + (d/δ)²) − 1)
///   dl/dp = d / √(1 + (d/δ)²)          (tends to ±δ)
///   d²l/dp² = (1 + (d/δ)²)^{−3/2}       (> 0: convex, and smooth)
/// Stable forms, with a = |d|, m and n the larger and smaller of δ and a,
/// ρ = n/m ∈ [0, 1], v = 1 + ρ², s = √v and c = δ/m (1 where a ≤ δ, else ρ):
/// √(1 + (d/δ)²) is s where a ≤ δ and s/ρ beyond, so
///   l = a·n/(c + s)   (= d²/(1 + √(1 + (d/δ)²)): no cancellation near d = 0,
///                      no overflow of d², a sum of positive numbers),
///   dl/dp = ±n/s,     d²l/dp² = c³/(v·s),
/// each a few roundings of ρ; the rounding errors of d (a two-sum) and of δ
/// to float enter l through its slopes. l and dl/dp are within 4 ulp of the
/// float64 value of the same inputs, d²l/dp² within 10, as it triples the
/// relative error of d/δ (objectives_accuracy_test).
/// At d = ±inf: l = inf, dl/dp = ±δ, d²l/dp² = 0, the limits.
/// Options: delta (1, > 0), reduction (mean). XGBoost: reg:pseudohubererror
/// with huber_slope δ (the same terms); PyTorch and Keras have none.
class PseudoHuberLoss : public detail::Elementwise<PseudoHuberLoss> {
 public:
  static constexpr const char* name = "PseudoHuberLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  /// The scale δ > 0 where the loss turns from quadratic to linear.
  PseudoHuberLoss& delta(double d) & {
    if (!(d > 0) || !std::isfinite(d))
      detail::fail_option(name, "delta", d, "is not a finite number > 0");
    delta_ = d;
    return *this;
  }
  PseudoHuberLoss delta(double d) && { return std::move(this->delta(d)); }
  double delta() const { return delta_; }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    using detail::select;
    const S delta = static_cast<S>(delta_);
    const S d = p - t, a = detail::abs(d);
    // d's rounding error, exactly (Knuth's two-sum; 0 where d is not
    // finite): it enters l through its slope below.
    const S back = d - p;
    const S rest = S(p - S(d - back)) - S(t + back);
    const auto finite = a < S(std::numeric_limits<double>::infinity());
    const S d_error = select(finite, rest, S(0));
    // m ≥ n; a NaN d makes both NaN (max_nan/min_nan keep a NaN first argument).
    const S m = detail::max_nan(a, delta), n = detail::min_nan(a, delta);
    const S ratio = n / m;
    const S v = S(1) + ratio * ratio, root = detail::sqrt(v);
    const S c = select(a <= delta, S(1), ratio);                                  // δ/m
    const S slope = n / root, signed_slope = select(d < S(0), S(-slope), slope);  // dl/dp
    detail::Derivatives<S> r;
    r.value = a * S(n / S(c + root)) + signed_slope * d_error;
    // δ's rounding to S (none in double, nor for δ = 1), through the
    // homogeneity of l, of degree 2 in (d, δ): δ·∂l/∂δ = 2l − d·l′ (0 where d
    // is not finite: the limits stay exact).
    const double delta_error = relative_rounding<S>(delta_);
    if (delta_error != 0) {
      const S e = select(finite, static_cast<S>(delta_error), S(0));
      r.value += S(S(2) * S(r.value * e) - a * S(slope * e));
    }
    if constexpr (Order >= 1) r.first = signed_slope;
    if constexpr (Order >= 2) r.second = S(c * c) * c / S(v * root);
    return r;
  }

 private:
  double delta_ = 1.0;

  /// (x − x rounded to S's lanes)/x: 0 in double.
  template <class S>
  static double relative_rounding(double x) {
    if constexpr (std::is_arithmetic_v<S>)
      return (x - static_cast<double>(static_cast<S>(x))) / x;
    else
      return relative_rounding<typename S::Scalar>(x);
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
