// lossfn — the softmax family: losses of s = softmax(x) that add one term per
// class of non-zero target weight, l = Σ_c φ(t_c, s_c). A loss gives φ and
// two derivatives of it, once, over a scalar type V; this driver evaluates
// them on one row (V = S) and on SIMD lanes of rows (V = a packet or a panel
// of packets, one row per lane), in every layout, and turns them into the
// gradient and the Hessian's diagonal.
//
// With ψ_c = s_c·∂φ_c/∂s_c and χ_c = s_c·∂ψ_c/∂s_c (0 for a class of target
// weight 0), Ψ = Σ_c ψ_c, X = Σ_c χ_c, q_j = 1 − s_j and
// ∂s_c/∂x_j = s_c·([c = j] − s_j):
//   dl/dx_j   = ψ_j − s_j·Ψ
//   d²l/dx_j² = s_j·(s_j·X − q_j·Ψ)                            (χ_j = ψ_j = 0)
//             = q_j·(q_j·χ_j − s_j·ψ_j) + s_j·(s_j·(X − χ_j) − q_j·(Ψ − ψ_j))
// the second form for a class of the target: its own terms, whose parts
// χ_j·(q_j − s_j) + s_j²·χ_j would cancel where s_j is near 1, are
// gathered as q_j²·χ_j.
// With a class index y and no smoothing only class y has a target weight:
// every other column's gradient is s_j·(−Ψ), one multiplier per row on the
// row's exponentials, and column y gains ψ_y.
#pragma once

#include <cmath>
#include <type_traits>

#include "class_options.hpp"
#include "softmax.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

/// One class c of a row, as a softmax loss's formula reads it: V = S for
/// one row, a packet (or a panel of packets) for one row per lane.
template <class V>
struct SoftmaxClass {
  V t;      ///< the class's target weight w_c·t′_c (never 0 where the formula is read)
  V log_s;  ///< log s_c = (x_c − max) − log Σ_k e^{x_k − max}, rounded as PyTorch's log_softmax
  // Read only by a loss with `reads_probability` (the driver computes them only then):
  V exact_log_s;  ///< log s_c to full precision also where s_c is near 1 (−log1p(Σ_{k≠c} e_k/e_c))
  V s;            ///< s_c
  V q;            ///< 1 − s_c to full precision: Σ_{k≠c} s_k where c holds the largest logit
};

/// A class's term φ and its two derivatives in log s (see the file comment).
template <class V>
struct SoftmaxTerm {
  V value;  ///< φ(t, s)
  V psi;    ///< ψ = s·∂φ/∂s
  V chi;    ///< χ = s·∂ψ/∂s (read only for the Hessian)
};

/// Base of the softmax losses. Derived supplies
///   static constexpr bool reads_probability;  // its term reads s, q or exact_log_s
///   template <int Order, class V> SoftmaxTerm<V> term(const SoftmaxClass<V>&) const;
/// With Targets, the loss takes probability targets and label_smoothing.
template <class Derived, bool Targets>
class SoftmaxLoss : public ClassIndexLoss<Derived, true> {
 public:
  static constexpr bool accepts_probabilities = Targets;
  // The row-wise driver's paths (detail/rowwise.hpp): rows as contiguous
  // runs, SIMD lanes of rows, panels of 4 packets (the running maximum, sum,
  // argmax and label logit of each lane stay in registers).
  static constexpr bool reads_row_runs = true, has_lanes = true;
  static constexpr int panel_packets = 4;

  /// ε ∈ [0, 1): the target becomes (1 − ε)·one-hot + ε/C.
  template <bool B = Targets, std::enable_if_t<B, int> = 0>
  Derived& label_smoothing(double e) & {
    if (!(e >= 0 && e < 1)) fail_option(Derived::name, "label_smoothing", e, "is outside [0, 1)");
    smoothing_ = e;
    return static_cast<Derived&>(*this);
  }
  template <bool B = Targets, std::enable_if_t<B, int> = 0>
  Derived label_smoothing(double e) && {
    return std::move(this->label_smoothing(e));
  }
  template <bool B = Targets, std::enable_if_t<B, int> = 0>
  double label_smoothing() const {
    return smoothing_;
  }

  /// The lanes take one-hot targets (class indices, no smoothing).
  bool lanes_apply() const { return smoothing_ == 0; }

  template <class Row>
  typename Row::Scalar row(const Row& r) const;
  template <class Lanes>
  bool lanes(Lanes& l) const;

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  template <class Row>
  typename Row::Scalar target_weight(const Row& r, Index c) const;
  template <class Row, class F>
  void for_each_target(const Row& r, F&& f) const;
  template <int Order, class S>
  SoftmaxTerm<S> class_term(const LogSumExp<S>& lse, Index c, const S& x, const S& t) const;

  double smoothing_ = 0.0;
};

/// The target weight of class c: (1 − ε)·w_y·[c = y] + (ε/C)·w_c for an
/// index, w_c·t′_c for probabilities.
template <class Derived, bool Targets>
template <class Row>
typename Row::Scalar SoftmaxLoss<Derived, Targets>::target_weight(const Row& r, Index c) const {
  using S = typename Row::Scalar;
  const S e = static_cast<S>(smoothing_), spread = e / static_cast<S>(r.cols());
  if constexpr (Row::probabilities) {
    return this->template class_weight<S>(c) * ((S(1) - e) * r.target(c) + spread);
  } else {
    const S onehot = c == r.label() ? (S(1) - e) * this->template class_weight<S>(c) : S(0);
    return onehot + (smoothing_ > 0 ? spread * this->template class_weight<S>(c) : S(0));
  }
}

/// f(c, t_c) for the classes whose target weight can be non-zero: y alone
/// for a class index without smoothing, else every class in order.
template <class Derived, bool Targets>
template <class Row, class F>
void SoftmaxLoss<Derived, Targets>::for_each_target(const Row& r, F&& f) const {
  if constexpr (!Row::probabilities)
    if (smoothing_ == 0) return f(r.label(), target_weight(r, r.label()));
  for (Index c = 0; c < r.cols(); ++c) f(c, target_weight(r, c));
}

/// The formula of class c (logit x, target weight t) of one row.
template <class Derived, bool Targets>
template <int Order, class S>
SoftmaxTerm<S> SoftmaxLoss<Derived, Targets>::class_term(const LogSumExp<S>& lse, Index c,
                                                         const S& x, const S& t) const {
  SoftmaxClass<S> k{t, lse.log_softmax(x), S(0), S(0), S(0)};
  if constexpr (Derived::reads_probability) {
    using std::exp;
    k.exact_log_s = lse.log_softmax(c, x);
    k.s = exp(k.exact_log_s);
    k.q = lse.complement(c, x);
  }
  return self().template term<Order>(k);
}

/// One row: its log-sum-exp (with a contiguous gradient row, the
/// exponentials e_c = exp(x_c − max) written there, one exp per logit), the
/// target classes' terms, then the gradient and Hessian of the file comment.
template <class Derived, bool Targets>
template <class Row>
typename Row::Scalar SoftmaxLoss<Derived, Targets>::row(const Row& r) const {
  using S = typename Row::Scalar;
  constexpr int Order = Row::order;
  const Index C = r.cols();
  LogSumExp<S> lse;
  S* e = nullptr;
  if constexpr (Order >= 1) e = exps_into_gradient(r, lse);
  if (!e) lse = log_sum_exp(r);
  S value(0), Psi(0), X(0);
  bool weighted = false;
  for_each_target(r, [&](Index c, S t) {
    if (t == S(0)) return;  // 0·φ adds nothing, even where log s_c = −inf
    weighted = true;
    const SoftmaxTerm<S> k = class_term<Order>(lse, c, r.x(c), t);
    value += k.value;
    Psi += k.psi;
    X += k.chi;
  });
  // A row whose target weights are all 0 still propagates a NaN logit (and
  // a row with no softmax limit), as 0·NaN does: lse.max is NaN exactly then.
  if (!weighted && C > 0) value += nan_of(lse.max);
  if constexpr (Order >= 1) {
    // The class's own ψ_c and χ_c (0 for a class of target weight 0).
    auto own = [&](Index c) {
      const S t = target_weight(r, c);
      return t == S(0) ? SoftmaxTerm<S>{S(0), S(0), S(0)} : class_term<Order>(lse, c, r.x(c), t);
    };
    // d²l/dx_c² of a class outside the target (its own χ_c = ψ_c = 0), and
    // of one in it.
    auto other_hessian = [&](S s, S q) {
      return X == S(0) ? S(S(-Psi * s) * q) : S(S(S(-Psi * s) * q) + S(S(X * s) * s));
    };
    auto target_hessian = [&](Index c, S s, S q) {
      const SoftmaxTerm<S> k = own(c);
      return S(q * S(S(q * k.chi) - S(s * k.psi))) +
             S(s * S(S(s * S(X - k.chi)) - S(q * S(Psi - k.psi))));
    };
    auto hessian = [&](Index c, S s, S q) {
      const bool target = Row::probabilities || smoothing_ > 0 || c == r.label();
      r.hessian(
          c, target && target_weight(r, c) != S(0) ? target_hessian(c, s, q) : other_hessian(s, q));
    };
    if (e) {
      // Every column as one outside the target (a loop of products, X = 0
      // hoisted), then the target's columns again with their own terms.
      const S inv = S(1) / (S(1) + lse.rest);
      if constexpr (Order >= 2) {
        auto share = [&](Index c) { return e[c] * inv; };
        auto complement = [&](Index c, S s) {
          return c == lse.argmax ? S(lse.rest * inv) : S(S(1) - s);
        };
        const S a = -Psi;
        if (X == S(0)) {
          for (Index c = 0; c < C; ++c) {
            const S s = share(c);
            r.hessian(c, S(a * s) * complement(c, s));
          }
        } else {
          for (Index c = 0; c < C; ++c) {
            const S s = share(c);
            r.hessian(c, S(S(a * s) * complement(c, s)) + S(S(X * s) * s));
          }
        }
        for_each_target(r, [&](Index c, S t) {
          if (t != S(0)) r.hessian(c, target_hessian(c, share(c), complement(c, share(c))));
        });
      }
      scale_run(e, C, S(r.scale() * -Psi * inv));
      for_each_target(r, [&](Index c, S t) {
        if (t != S(0)) e[c] += r.scale() * own(c).psi;
      });
    } else {
      for_each_softmax(lse, r, [&](Index c, const S& s) {
        const S t = target_weight(r, c);
        r.gradient(c, t == S(0) ? S(-Psi * s) : S(-Psi * s + own(c).psi));
        if constexpr (Order >= 2) hessian(c, s, lse.complement(c, r.x(c)));
      });
    }
  }
  return value;
}

/// W rows of class indices at once, one per SIMD lane (rows of ≤ 64
/// classes, or a panel of wider ones; detail/rowwise.hpp), one-hot targets
/// (lanes_apply): the label's term, then the gradient e_c·(−Ψ)/(1 + rest)
/// plus ψ_y at the label, the Hessian in the same pass.
template <class Derived, bool Targets>
template <class Lanes>
bool SoftmaxLoss<Derived, Targets>::lanes(Lanes& l) const {
  using S = typename Lanes::Scalar;
  using V = typename Lanes::V;
  constexpr int Order = Lanes::order;
  LaneSoftmax<V> sm;
  if (!lanes_softmax<Order >= 2>(l, sm)) return false;  // (argmax: the Hessian's)
  const V y = l.y(), inv = V(1) / (V(1) + sm.rest);
  SoftmaxClass<V> k;
  k.t = this->lane_class_weights(l);
  k.log_s = V(sm.x_y - sm.max) - log(V(V(1) + sm.rest));
  if constexpr (Derived::reads_probability) {
    // Where x_y is the maximum (the first or a tied one), Σ_{c≠y} e_c is
    // rest: the shares of the others give 1 − s_y and log s_y whole.
    const auto y_is_max = sm.x_y == sm.max;
    k.exact_log_s = select(y_is_max, V(-log1p(sm.rest)), k.log_s);
    k.s = select(y_is_max, inv, V(exp(k.log_s)));
    k.q = select(y_is_max, V(sm.rest * inv), V(V(1) - k.s));
  }
  const SoftmaxTerm<V> term = self().template term<Order>(k);
  select(k.t == V(0), V(0), term.value).store(l.term);
  if constexpr (Order >= 1) {
    const V scale = V::load(l.scale);
    auto hessian = [&]([[maybe_unused]] Index c, [[maybe_unused]] const V& e) {
      if constexpr (Order >= 2) {
        const V column(static_cast<S>(c));
        const V s = e * inv;
        const V q = select(sm.argmax == column, V(sm.rest * inv), V(V(1) - s));
        // s·(s·χ − q·ψ) outside the label, q·(q·χ − s·ψ) at it: one form.
        const auto is_y = column == y;
        const V a = select(is_y, q, s), b = select(is_y, s, q);
        l.hessian(c, scale * V(a * V(V(a * term.chi) - V(b * term.psi))));
      }
    };
    lanes_softmax_gradient(l, sm, V(V(scale * -term.psi) * inv), V(scale * term.psi), true,
                           hessian);
  }
  return true;
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
