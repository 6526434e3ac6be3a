// lossfn — softmax focal loss.
#pragma once

#include <cmath>

#include "detail/math.hpp"
#include "detail/softmax_loss.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Multi-class focal loss on an N x C matrix of logits and N class indices:
///   l = −α_y·q^γ·log s_y,   s = softmax(x),  q = 1 − s_y
///   dl/dx_c = −α_y·q^γ·(γ·r_c·log s_y + [c = y] − s_c)
///   d²l/dx_c² = −α_y·q^γ·(γ(γ−1)r_c²·log s_y + γ·r_c(1 − 2s_c)·log s_y
///                          + 2γ·r_c([c = y] − s_c) − s_c(1 − s_c))
/// with r_c = (dq/dx_c)/q: −s_y for c = y, s_y·s_c/q otherwise. log s_y is
/// computed in log space and q, where y holds the largest logit, as the sum of
/// the other classes' shares, so neither loses precision when s_y is near 0
/// or 1; where q is exactly 0 the term and derivatives are their limit, 0. mean divides by Σ α_y
/// over the samples not ignored. Options: gamma (2, ≥ 0), class_weights as α (none), ignore_index
/// (none), reduction (mean). gamma 0 is SoftmaxCrossEntropy.
class SoftmaxFocalLoss : public detail::SoftmaxLoss<SoftmaxFocalLoss, false> {
 public:
  static constexpr const char* name = "SoftmaxFocalLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = false;

  SoftmaxFocalLoss& gamma(double g) & {
    if (!(g >= 0) || !std::isfinite(g))
      detail::fail_option(name, "gamma", g, "is not a finite number >= 0");
    gamma_ = g;
    return *this;
  }
  SoftmaxFocalLoss gamma(double g) && { return std::move(this->gamma(g)); }
  double gamma() const { return gamma_; }

  /// The label's term φ = −t·q^γ·log s and its derivatives in log s
  /// (detail/softmax_loss.hpp), with f = t·q^γ and σ = s·log s (0 where s is):
  ///   ψ = −f·(1 − γ·σ/q),   χ = t·γ·q^(γ−1)·(σ + 2s − (γ − 1)·s·σ/q),
  /// both 0 where q is 0 (the limit of a saturated term; for γ = 0 the
  /// formulas are cross-entropy's, ψ = −t and χ = 0). σ/q tends to −1 as q
  /// does: no power of q below γ − 1 is formed, so nothing overflows or
  /// underflows before the result does.
  static constexpr bool reads_probability = true;
  template <int Order, class V>
  detail::SoftmaxTerm<V> term(const detail::SoftmaxClass<V>& k) const {
    using detail::select;
    const V g = detail::constant<V>(gamma_), f = k.t * detail::pow_option(k.q, gamma_);
    const auto certain = k.q == V(0);
    const V sigma = select(k.s == V(0), V(0), V(k.s * k.exact_log_s));
    const V ratio = select(certain, V(0), V(sigma / k.q));
    detail::SoftmaxTerm<V> r;
    // f = 0 drops the term, also where log s is −inf: 0, not 0·inf = NaN.
    r.value = select(f == V(0), V(0), V(-f * k.exact_log_s));
    r.psi = -f * V(V(1) - g * ratio);
    r.chi = V(0);
    if constexpr (Order >= 2) {
      const V inner = V(sigma + V(2) * k.s) - V(g - V(1)) * k.s * ratio;
      r.chi = select(certain, V(0), V(k.t * g * detail::pow_option(k.q, gamma_ - 1) * inner));
    }
    return r;
  }

 private:
  double gamma_ = 2.0;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
