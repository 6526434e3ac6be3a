// lossfn — pseudo-Huber loss.
#pragma once

#include <cmath>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Pseudo-Huber loss, one term per coefficient, d = pred − target, δ = delta:
/// a smooth Huber loss, quadratic (d²/2) near 0 and linear (δ·|d|) far out.
///   l = δ²·(√(1 + (d/δ)²) − 1)
///   dl/dp = d / √(1 + (d/δ)²)          (tends to ±δ)
///   d²l/dp² = (1 + (d/δ)²)^{−3/2}       (> 0: convex, and smooth)
/// Stable forms: with H = hypot(δ, d) = δ·√(1 + (d/δ)²), formed as
/// m·√(1 + (n/m)²) (m, n the larger and smaller of δ and |d|, so nothing
/// overflows before the result does) and q = δ/H ∈ (0, 1]:
///   l = |d|·(n/s)/(1 + q),  s = √(1 + (n/m)²)   (= d²/(1 + √(1 + (d/δ)²)),
///       with no cancellation near d = 0 and no overflow of d²),
///   dl/dp = ±n/s  (= d·q),   d²l/dp² = q³.
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
    // m ≥ n; a NaN d makes both NaN (max_nan/min_nan keep a NaN first argument).
    const S m = detail::max_nan(a, delta), n = detail::min_nan(a, delta);
    const S ratio = n / m;
    const S s = detail::sqrt(S(S(1) + ratio * ratio));
    const S q = delta / S(m * s);  // δ/H = 1/√(1 + (d/δ)²)
    const S slope = n / s;         // |d|·q, without inf·0 at |d| = inf
    detail::Derivatives<S> r;
    r.value = a * S(slope / S(S(1) + q));  // slope/(1 + q) ≤ δ: no early overflow
    if constexpr (Order >= 1) r.first = select(d < S(0), S(-slope), slope);
    if constexpr (Order >= 2) r.second = q * q * q;
    return r;
  }

 private:
  double delta_ = 1.0;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
