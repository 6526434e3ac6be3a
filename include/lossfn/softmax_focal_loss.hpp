// lossfn — softmax focal loss.
#pragma once

#include <utility>

#include "detail/class_options.hpp"
#include "detail/math.hpp"
#include "detail/softmax.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Multi-class focal loss on an N x C matrix of logits and N class indices:
///   l = −α_y·q^γ·log s_y,   s = softmax(x),  q = 1 − s_y
///   dl/dx_c = −α_y·q^γ·(γ·r_c·log s_y + [c = y] − s_c)
///   d²l/dx_c² = −α_y·q^γ·(γ(γ−1)r_c²·log s_y + γ·r_c(1 − 2s_c)·log s_y
///                          + 2γ·r_c([c = y] − s_c) − s_c(1 − s_c))
/// with r_c = (dq/dx_c)/q: −s_y for c = y, s_y·s_c/q otherwise. log s_y is
/// computed in log space and q as −expm1(log s_y), so neither loses precision
/// when s_y is near 0 or 1; where q is exactly 0 the term and derivatives are
/// their limit, 0. mean divides by Σ α_y over the samples not ignored.
/// Options: gamma (2, ≥ 0), class_weights as α (none), ignore_index (none),
/// reduction (mean). gamma 0 is SoftmaxCrossEntropy.
class SoftmaxFocalLoss : public detail::ClassIndexLoss<SoftmaxFocalLoss, true> {
 public:
  static constexpr const char* name = "SoftmaxFocalLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = false, reads_row_runs = true, has_lanes = true;
  static constexpr int panel_packets = 4;  // (detail/rowwise.hpp: measured at 4096 x 1000)

  SoftmaxFocalLoss& gamma(double g) {
    if (!(g >= 0) || !std::isfinite(g)) detail::fail_option(name, "gamma", g, "is not a finite number >= 0");
    gamma_ = g;
    return *this;
  }
  double gamma() const { return gamma_; }

  template <class Row>
  typename Row::Scalar row(const Row& r) const {
    using S = typename Row::Scalar;
    using std::exp;
    using std::expm1;
    const Eigen::Index y = r.label();
    const S g = static_cast<S>(gamma_);
    detail::LogSumExp<S> lse;
    // With a contiguous gradient row: e_c = exp(x_c − max) written there, one
    // exp per logit, and s_c = e_c / (1 + rest).
    S* e = nullptr;
    if constexpr (Row::order >= 1) e = detail::exps_into_gradient(r, lse);
    if (!e) lse = detail::log_sum_exp(r);
    // log s_y and q = 1 − s_y to full precision also when s_y is near 1.
    const S log_sy = lse.log_softmax(y, r.x(y));
    const S sy = exp(log_sy), q = y == lse.argmax ? lse.complement(y, r.x(y)) : S(-expm1(log_sy));
    const S factor = this->template class_weight<S>(y) * detail::power(q, g);
    const bool saturated = q == S(0) && gamma_ > 0;
    // d term / dx_c and d² term / dx_c² of class c, whose softmax is sc and
    // 1 − softmax is sc_complement.
    auto derivatives = [&](Eigen::Index c, S sc, S sc_complement) {
      const S is_y = c == y ? S(1) : S(0);
      const S rc = c == y ? S(-sy) : (q == S(0) ? S(0) : S(sy * sc / q));
      const S dls = is_y - sc;
      // r_c·log s_y is 0 where r_c is: when a logit is +inf and s_y is 0,
      // log s_y = −inf and the limit of the product is 0, not NaN.
      const S rc_log = rc == S(0) ? S(0) : S(rc * log_sy);
      const S inner = g * (g - S(1)) * rc * rc_log + g * (S(1) - S(2) * sc) * rc_log +
                      S(2) * g * rc * dls - sc * sc_complement;
      return std::pair<S, S>(saturated ? S(0) : S(-factor * (g * rc_log + dls)),
                             saturated ? S(0) : S(-factor * inner));
    };
    if (e) {
      const S inv = S(1) / (S(1) + lse.rest);
      if constexpr (Row::order >= 2)
        for (Eigen::Index c = 0; c < r.cols(); ++c) {
          const S sc = e[c] * inv;
          r.hessian(c, derivatives(c, sc, c == lse.argmax ? S(lse.rest * inv) : S(S(1) - sc)).second);
        }
      // The gradient of c ≠ y is factor·s_c·(1 − γ·s_y·log s_y / q): one
      // multiplier for the row, on SIMD lanes; class y's entry is its own.
      // (s_y·log s_y is 0 where s_y is: a −inf logit of class y, not NaN.)
      const S other = q == S(0) || sy == S(0) ? S(1) : S(S(1) - g * sy * log_sy / q);
      const S y_entry = -factor * (g * (sy == S(0) ? S(0) : S(-sy * log_sy)) + q);
      detail::scale_run(e, r.cols(), saturated ? S(0) : S(r.scale() * factor * other * inv));
      e[y] = saturated ? S(0) : S(r.scale() * y_entry);
    } else if constexpr (Row::order >= 1) {
      detail::for_each_softmax(lse, r, [&](Eigen::Index c, const S& sc) {
        const auto d = derivatives(c, sc, lse.complement(c, r.x(c)));
        r.gradient(c, d.first);
        if constexpr (Row::order >= 2) r.hessian(c, d.second);
      });
    }
    // factor 0 (saturated, or a class weight of 0) drops the term, also where
    // log s_y is −inf (a −inf logit of a weight-0 class): 0, not 0·inf = NaN.
    return factor == S(0) ? S(0) : S(-factor * log_sy);
  }

  /// W rows at once, one per SIMD lane (rows of ≤ 64 classes,
  /// detail/rowwise.hpp): the formulas above on packets, with s_c = e_c /
  /// (1 + rest); q is rest / (1 + rest) where y holds the largest logit, else
  /// 1 − s_y (s_y ≤ 1/2 there, so nothing cancels).
  template <class Lanes>
  bool lanes(Lanes& l) const {
    using S = typename Lanes::Scalar;
    using V = typename Lanes::V;
    using detail::select;
    detail::LaneSoftmax<V> sm;
    if (!detail::lanes_softmax(l, sm)) return false;
    const V y = l.y(), inv = V(1) / (V(1) + sm.rest), g(gamma_);
    const auto y_is_max = sm.argmax == y;
    const V log_sy = select(y_is_max, V(-detail::log1p(sm.rest)),
                            V(V(sm.x_y - sm.max) - detail::log(V(V(1) + sm.rest))));
    const V sy = detail::exp(log_sy), q = select(y_is_max, V(sm.rest * inv), V(V(1) - sy));
    const V factor = this->lane_class_weights(l) * detail::pow_option(q, gamma_);
    const auto saturated = q == V(0) && V(g) > V(0);
    select(factor == V(0), V(0), V(-factor * log_sy)).store(l.term);
    if constexpr (Lanes::order >= 1) {
      const V scale = V::load(l.scale);
      // As row(): the gradient of c ≠ y is e_c times one multiplier per row,
      // factor·(1 − γ·s_y·log s_y / q)/(1 + rest), and the label's entry is
      // −factor·(γ·(−s_y·log s_y) + q) (s_y·log s_y is 0 where s_y is); the
      // Hessian in the same pass.
      const auto sy_zero = sy == V(0);
      const V other = select(q == V(0) || sy_zero, V(1), V(V(1) - g * sy * log_sy / q));
      const V multiplier = select(saturated, V(0), V(scale * factor * other * inv));
      const V y_entry = -factor * (g * select(sy_zero, V(0), V(-sy * log_sy)) + q);
      auto hessian = [&]([[maybe_unused]] Eigen::Index c, [[maybe_unused]] const V& e) {
        if constexpr (Lanes::order >= 2) {
          const V column(static_cast<S>(c));
          const auto is_y = column == y;
          const V sc = e * inv;
          const V rc = select(is_y, V(-sy), select(q == V(0), V(0), V(sy * sc / q)));
          const V dls = select(is_y, V(1), V(0)) - sc;
          const V rc_log = select(rc == V(0), V(0), V(rc * log_sy));
          const V complement = select(sm.argmax == column, V(sm.rest * inv), V(V(1) - sc));
          const V inner = g * (g - V(1)) * rc * rc_log + g * (V(1) - V(2) * sc) * rc_log +
                          V(2) * g * rc * dls - sc * complement;
          l.hessian(c, scale * select(saturated, V(0), V(-factor * inner)));
        }
      };
      detail::lanes_softmax_gradient(l, sm, multiplier, select(saturated, V(0), V(scale * y_entry)), false,
                                     hessian);
    }
    return true;
  }

 private:
  double gamma_ = 2.0;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
