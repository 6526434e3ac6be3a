// lossfn — quantile (pinball) loss.
#pragma once

#include <cmath>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Quantile (pinball) loss, one term per coefficient, for the quantile q:
///   l = max(q·(t − p), (q − 1)·(t − p))    (q·(t − p) under-, (1 − q)·(p − t) over-prediction)
///   dl/dp = −q where p < t, 1 − q where p > t, 0 at p = t (subgradient 0 at the kink)
///   d²l/dp² = 0 (piecewise linear)
/// Minimising its mean over p gives the q-th quantile of t; q = 0.5 is half
/// the absolute error. Options: quantile (0.5, in (0, 1)), reduction (mean).
/// PyTorch has none (the reference composes q·relu(t − p) + (1 − q)·relu(p − t));
/// Keras: none (TensorFlow Addons: PinballLoss, with tau = q).
class QuantileLoss : public detail::Elementwise<QuantileLoss> {
 public:
  static constexpr const char* name = "QuantileLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  /// The quantile q ∈ (0, 1) to estimate.
  QuantileLoss& quantile(double q) & {
    if (!(q > 0 && q < 1)) detail::fail_option(name, "quantile", q, "is outside (0, 1)");
    quantile_ = q;
    return *this;
  }
  QuantileLoss quantile(double q) && { return std::move(this->quantile(q)); }
  double quantile() const { return quantile_; }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    using detail::select;
    // 1 − q is formed in double, then rounded once (as PyTorch's (1 - q) in float64).
    const S under = static_cast<S>(quantile_), over = static_cast<S>(1.0 - quantile_);
    const S d = p - t;
    const auto above = d > S(0);
    detail::Derivatives<S> r;
    r.value = select(above, S(over * d), S(-under * d));  // NaN: the second branch, NaN
    if constexpr (Order >= 1)
      r.first = select(above, over, select(d < S(0), S(-under), S(d * S(0))));
    return r;
  }

 private:
  double quantile_ = 0.5;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
