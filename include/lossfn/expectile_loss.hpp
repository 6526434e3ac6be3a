// lossfn — expectile loss (asymmetric squared error).
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Expectile loss, one term per coefficient, for the expectile τ: squared
/// error weighted τ for under-prediction and 1 − τ for over-prediction.
/// With u = t − p and a = τ where u ≥ 0, 1 − τ where u < 0:
///   l = a·u²,   dl/dp = −2a·u,   d²l/dp² = 2a   (2τ at u = 0)
/// Minimising its mean over p gives the τ-expectile of t (τ = 0.5: half the
/// squared error, whose minimiser is the mean). C¹ (the gradient is
/// continuous, 0 at u = 0) but the second derivative jumps at u = 0: smooth
/// is false. Formed as (a·u)·u, so that a small a keeps a huge u's term
/// finite where a·u² is.
/// Options: expectile τ (0.5, in (0, 1)), reduction (mean). PyTorch and
/// Keras have none; as the quantile loss, but squared (expectile
/// regression, Newey & Powell).
class ExpectileLoss : public detail::Elementwise<ExpectileLoss> {
 public:
  static constexpr const char* name = "ExpectileLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  /// The expectile τ ∈ (0, 1) to estimate.
  ExpectileLoss& expectile(double tau) & {
    if (!(tau > 0 && tau < 1)) detail::fail_option(name, "expectile", tau, "is outside (0, 1)");
    expectile_ = tau;
    return *this;
  }
  ExpectileLoss expectile(double tau) && { return std::move(this->expectile(tau)); }
  double expectile() const { return expectile_; }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    // 1 − τ is formed in double, then rounded once.
    const S under = static_cast<S>(expectile_), over = static_cast<S>(1.0 - expectile_);
    const S u = t - p;
    const S a = detail::select(u >= S(0), under, over);  // NaN: over, and the terms stay NaN
    const S au = a * u;
    detail::Derivatives<S> r;
    r.value = au * u;
    if constexpr (Order >= 1) r.first = S(-2) * au;
    if constexpr (Order >= 2) r.second = S(2) * a;
    return r;
  }

 private:
  double expectile_ = 0.5;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
