// lossfn — sigmoid focal loss (RetinaNet).
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Focal loss on logits x with targets t ∈ [0, 1] (Lin et al., RetinaNet):
///   p = σ(x),  u = 1 − p_t = t·σ(−x) + (1 − t)·σ(x),  ce = BCE-with-logits(x, t)
///   l = α_t · u^γ · ce,    α_t = α·t + (1 − α)·(1 − t)  (α < 0: α_t = 1)
///   dl/dx = α_t·u^γ·(γ·r·ce + p − t),                r = u′/u = (1 − 2t)·p(1 − p)/u
///   d²l/dx² = α_t·u^γ·(γ(γ−1)r²ce + γ·r(1−2p)ce + 2γ·r(p − t) + p(1 − p))
/// u is formed from σ(±x) rather than as 1 − p_t, so it keeps its precision
/// where p_t rounds to 1; where u is exactly 0 the term and its derivatives
/// are their limit, 0. Options: alpha (0.25; negative disables it), gamma (2,
/// ≥ 0), reduction (mean: the terms are averaged like every loss's, whereas
/// torchvision.ops.sigmoid_focal_loss defaults to reduction='none').
class SigmoidFocalLoss : public detail::Elementwise<SigmoidFocalLoss> {
 public:
  static constexpr const char* name = "SigmoidFocalLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = false;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too
  static constexpr const char* target_rule = "is outside [0, 1]";

  template <class S>
  static auto target_ok(const S& t) {
    return detail::is_probability(t);
  }

  /// Weight of the positive class, α_t = α·t + (1 − α)·(1 − t); a negative α disables it.
  SigmoidFocalLoss& alpha(double a) & {
    if (!std::isfinite(a) || a > 1)
      detail::fail_option(name, "alpha", a, "is not in [0, 1] (or negative to disable it)");
    alpha_ = a;
    return *this;
  }
  SigmoidFocalLoss alpha(double a) && { return std::move(this->alpha(a)); }
  double alpha() const { return alpha_; }
  /// The focusing exponent γ ≥ 0 (0: weighted cross-entropy).
  SigmoidFocalLoss& gamma(double g) & {
    if (!(g >= 0) || !std::isfinite(g))
      detail::fail_option(name, "gamma", g, "is not a finite number >= 0");
    gamma_ = g;
    return *this;
  }
  SigmoidFocalLoss gamma(double g) && { return std::move(this->gamma(g)); }
  double gamma() const { return gamma_; }

  /// The formula's transcendental input, e^{−|x|} (detail/elementwise.hpp).
  template <class S>
  S transcendentals(const S& x, const S&) const {
    return detail::exp_minus_abs(x);
  }
  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& x, const S& t, const S& e) const {
    using detail::select;
    const S g = static_cast<S>(gamma_);
    const detail::Logistic<S> f = detail::logistic(x, e);  // softplus(±x), σ(±x)
    const S p = f.sigmoid, p_neg = f.sigmoid_neg;
    const S u = t * p_neg + (S(1) - t) * p;
    const S ce = select(t == S(0), S(0), S(t * f.softplus_neg)) +
                 select(t == S(1), S(0), S((S(1) - t) * f.softplus));
    const S a = alpha_ < 0 ? S(1) : S(static_cast<S>(alpha_) * t + S(1 - alpha_) * (S(1) - t));
    const S factor = a * detail::pow_option(u, gamma_);
    // Where u = 0 (and γ > 0) the term and its derivatives are their limit, 0.
    auto limit = [&](const S& v) { return gamma_ > 0 ? select(u == S(0), S(0), v) : v; };
    detail::Derivatives<S> d;
    d.value = limit(S(factor * ce));
    if constexpr (Order >= 1) {
      const S pq = p * p_neg;
      const S r = select(u == S(0), S(0), S((S(1) - S(2) * t) * pq / u));  // γ = 0 needs no r
      // p − t without cancellation: (1 − t)·σ(x) − t·σ(−x), as BCE-with-logits
      // (σ(88) − 1 is 0 in double; −σ(−88) is 6e-39).
      const S grad_ce = (S(1) - t) * p - t * p_neg;
      // r·ce is 0 where r is: at x = ±inf on the wrong side ce is inf and r
      // exactly 0, and the limit of their product is 0, not NaN.
      const S r_ce = select(r == S(0), S(0), S(r * ce));
      d.first = limit(S(factor * (g * r_ce + grad_ce)));
      if constexpr (Order >= 2) {
        const S inner =
            g * (g - S(1)) * r * r_ce + g * (S(1) - S(2) * p) * r_ce + S(2) * g * r * grad_ce + pq;
        d.second = limit(S(factor * inner));
      }
    }
    return d;
  }

 private:
  double alpha_ = 0.25;
  double gamma_ = 2.0;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
