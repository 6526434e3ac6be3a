// lossfn — Tweedie deviance objective (log link), for gradient boosting.
#pragma once

#include <cmath>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Negative log-likelihood of a Tweedie distribution of power ρ, one term per
/// coefficient, with a log link: the prediction x is the log of the mean
/// μ = e^x, targets t ≥ 0 (0 has positive probability: insurance claims,
/// rainfall). Without the terms that do not depend on x:
///   l = −t·e^{(1−ρ)x}/(1−ρ) + e^{(2−ρ)x}/(2−ρ)
///   dl/dx = −t·e^{(1−ρ)x} + e^{(2−ρ)x}
///   d²l/dx² = −(1−ρ)·t·e^{(1−ρ)x} + (2−ρ)·e^{(2−ρ)x}   (> 0: convex in x)
/// For ρ in (1, 2) both parts of l are ≥ 0, so the term is their sum, without
/// cancellation. Every part that carries t is exactly 0 where t = 0, at any
/// x (e^{(1−ρ)x} overflows for very negative x: 0·inf is never formed).
/// Targets must be ≥ 0 (a negative or NaN target is an error); a NaN
/// prediction propagates.
/// Options: power ρ (1.5, in (1, 2)), reduction (mean). XGBoost:
/// reg:tweedie with tweedie_variance_power ρ (the same gradient and Hessian;
/// its tweedie-nloglik metric is l plus terms in t alone); scikit-learn:
/// HalfTweedieLoss (the same terms, see docs/distributions.md); LightGBM:
/// tweedie.
class TweedieLoss : public detail::Elementwise<TweedieLoss> {
 public:
  static constexpr const char* name = "TweedieLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too
  // Float data are evaluated in double (the driver widens and rounds once):
  // in float, (1 − ρ)·x's rounding moves e^{(1−ρ)x} by up to |(1 − ρ)x| ulp
  // (90 at |x| = 88), float's exp adds up to 4 ulp of its own, and dl/dx
  // cancels where t·e^{(1−ρ)x} ≈ e^{(2−ρ)x}.
  using float_compute = double;
  static constexpr const char* target_rule = "is not a target >= 0";

  template <class S>
  static auto target_ok(const S& t) {
    return t >= S(0);
  }

  /// The variance power ρ ∈ (1, 2): Var(y) ∝ μ^ρ (1: Poisson, 2: gamma).
  TweedieLoss& power(double rho) & {
    if (!(rho > 1 && rho < 2)) detail::fail_option(name, "power", rho, "is outside (1, 2)");
    power_ = rho;
    return *this;
  }
  TweedieLoss power(double rho) && { return std::move(this->power(rho)); }
  double power() const { return power_; }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& x, const S& t) const {
    using detail::select;
    // The exponents' factors and the divisors are formed in double, then
    // rounded once.
    const S one_minus = static_cast<S>(1.0 - power_), two_minus = static_cast<S>(2.0 - power_);
    const S mean_part = detail::exp(S(two_minus * x));  // e^{(2−ρ)x}
    const S target_part =
        select(t == S(0), S(0), S(t * detail::exp(S(one_minus * x))));  // t·e^{(1−ρ)x}
    detail::Derivatives<S> r;
    r.value = target_part * static_cast<S>(1.0 / (power_ - 1.0)) +
              mean_part * static_cast<S>(1.0 / (2.0 - power_));
    if constexpr (Order >= 1) r.first = mean_part - target_part;
    if constexpr (Order >= 2)
      r.second = two_minus * mean_part + static_cast<S>(power_ - 1.0) * target_part;
    return r;
  }

 private:
  double power_ = 1.5;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
