// lossfn — Huber loss.
#pragma once

#include <cmath>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Huber loss, one term per coefficient, d = pred − target, δ = delta:
///   l = d²/2              where |d| < δ
///     = δ·(|d| − δ/2)     elsewhere (linear: robust to outliers)
///   dl/dp = clamp(d, −δ, δ)   (continuous: ±δ at the kink |d| = δ)
///   d²l/dp² = 1 where |d| < δ, else 0 (0 at the kink, where the second
///             derivative jumps: Huber is not twice continuously differentiable)
/// Options: delta (1, > 0), reduction (mean). PyTorch: torch.nn.HuberLoss /
/// F.huber_loss (identical terms); Keras: Huber (same, delta 1).
class HuberLoss : public detail::Elementwise<HuberLoss> {
 public:
  static constexpr const char* name = "HuberLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  /// The threshold δ > 0 between the quadratic and the linear part.
  HuberLoss& delta(double d) & {
    if (!(d > 0) || !std::isfinite(d))
      detail::fail_option(name, "delta", d, "is not a finite number > 0");
    delta_ = d;
    return *this;
  }
  HuberLoss delta(double d) && { return std::move(this->delta(d)); }
  double delta() const { return delta_; }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    const S d = p - t, a = detail::abs(d), delta = static_cast<S>(delta_);
    const auto inside = a < delta;
    detail::Derivatives<S> r;
    r.value = detail::select(inside, S(S(0.5) * d * d), S(delta * (a - S(0.5) * delta)));
    if constexpr (Order >= 1) r.first = detail::max_nan(detail::min_nan(d, delta), S(-delta));
    if constexpr (Order >= 2) r.second = detail::select(inside, S(1), S(0));
    return r;
  }

 private:
  double delta_ = 1.0;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
