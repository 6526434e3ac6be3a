// lossfn — Cox proportional hazards: the negative log partial likelihood.
#pragma once

#include <cmath>
#include <type_traits>

#include "detail/loss.hpp"
#include "detail/risk_sets.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Negative log partial likelihood of a proportional-hazards model (survival
/// analysis). pred: N×1 log-risk scores x; target: N×2 of any arithmetic
/// type, column 0 the time t (finite, >= 0, compared in the target's own
/// type), column 1 the event δ (1 observed, 0 censored). With sample weights
/// w (one per row, 1 without) and Breslow's risk sums
///   R_i = Σ_{j: t_j ≥ t_i} w_j·e^{x_j},
///   l = −Σ_i w_i·δ_i·(x_i − log R_i),
///   dl/dx_k = w_k·e^{x_k}·A_k − w_k·δ_k,
///   d²l/dx_k² = w_k·e^{x_k}·A_k − w_k²·e^{2x_k}·B_k,
/// with A_k = Σ_{events i, t_i ≤ t_k} w_i/R_i and B_k = Σ_{…} w_i/R_i² (the
/// exact derivatives, tied times included). `mean` divides by Σ w_i·δ_i (no
/// events: 0 and a zero gradient); unreduced() gives w_i·δ_i·(log R_i − x_i),
/// N entries.
///
/// Ties: Breslow's approximation only. Efron's, the default of R's
/// survival::coxph and of lifelines, is not provided; the two agree where
/// times are distinct. XGBoost: `survival:cox` (unit weights, distinct times;
/// its Hessian there is this one).
///
/// Accuracy: the risk sums are log-sum-exps (detail/risk_sets.hpp), so no
/// finite score overflows or underflows them, in double or float
/// predictions alike (everything is computed in double and rounded once).
/// Where a subject dominates risk sets (its share p near 1), the term
/// log R − x, the gradient and the Hessian are formed from the rest's share
/// 1 − p, without cancellation, whenever every score lies within 100 of the
/// largest; with wider spreads the gradient and Hessian carry an absolute
/// error of a few ulp of w_k·e^{x_k}·A_k there. O(N log N): one sort.
///
/// A pred of one row per subject is required: a 1×N row is an error (pass
/// its transpose). There is no partial(): each R_i spans every row at or
/// after t_i, so no shard can compute its own terms.
/// Options: reduction (mean). PyTorch: none (pycox's `CoxPHLoss` is the
/// unweighted mean with distinct times; scikit-survival's CoxPHSurvivalAnalysis
/// minimises the same Breslow likelihood).
class CoxProportionalHazards : public detail::LossApi<CoxProportionalHazards> {
 public:
  static constexpr const char* name = "CoxProportionalHazards";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true, row_wise = true, decomposable = false;

  template <class... A>
  auto partial(const A&...) const {
    static_assert(detail::dependent_false<A...>,
                  "CoxProportionalHazards has no partial(): each risk sum R_i spans every row "
                  "with a time at or after t_i, so no shard can compute its own terms. Gather "
                  "the scores, times and events of the whole batch on one process.");
  }

  /// The weighted terms w_i·δ_i·(log R_i − x_i), one per row (0 for a
  /// censored subject).
  template <class P, class T, class... W>
  Eigen::Array<detail::scalar_of<P>, Eigen::Dynamic, 1> unreduced(const Eigen::DenseBase<P>& pred,
                                                                  const Eigen::DenseBase<T>& target,
                                                                  const Weights<W>&... w) const {
    Eigen::Array<detail::scalar_of<P>, Eigen::Dynamic, 1> u;
    call<0>(pred, target, detail::request(w...).with_terms(u));
    return u;
  }
  template <class P, class T, class... A, detail::untagged_t<0, 0, A...> = 0>
  auto unreduced(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(detail::dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  template <int Order, class P, class T, class W, class G, class H, class U>
  Partial<double> compute(const P& pred_expr, const T& target_expr,
                          const detail::Request<W, G, H, U>& request) const {
    static_assert(!std::is_integral_v<typename P::Scalar>,
                  "lossfn: predictions must be floating-point (float, double, Eigen::half or "
                  "Eigen::bfloat16); cast integer data with .cast<float>().");
    using C = detail::compute_t<typename P::Scalar>;
    using Time = typename T::Scalar;
    const detail::Input<P> pred(pred_expr);
    const detail::Input<T> target(target_expr);
    const Index n = pred.rows();
    check_shapes(pred, target);
    const detail::SampleWeights<W> weights(request.weights, n, 1, true, name);
    check_targets(target);
    detail::check_outputs(request, n, 1, name);
    detail::check_aliasing(request, pred_expr, target_expr, name);

    const detail::SurvivalOrder<Time> order = detail::order_by_time<Time>(
        n, [&](Index i) { return static_cast<Time>(target(i, 0)); },
        [&](Index i) { return static_cast<double>(pred(i, 0)); },
        [&](Index i) { return weights.template operator()<double>(i, 0); },
        [&](Index i) { return static_cast<double>(target(i, 1)) == 1; });
    const auto [shift, linear] = detail::linear_range(order);
    const detail::ScaledRisks scaled =
        linear ? detail::scaled_risks(order, shift) : detail::ScaledRisks();
    const detail::RiskSums sums =
        linear ? detail::risk_sums_linear(order, scaled, shift, detail::wanted<U>)
               : detail::risk_sums(order, detail::wanted<U>);

    if constexpr (detail::wanted<U>) {
      request.terms->resize(n);
      for (Index p = 0; p < n; ++p)
        (*request.terms)(order.row(p)) =
            static_cast<typename U::Scalar>(static_cast<C>(sums.term[size_t(p)]));
    }
    if constexpr (Order >= 1) {
      const bool mean = reduction() == Reduction::mean && sums.events > 0;
      const double scale = mean ? 1 / sums.events : 1.0;
      const auto g = detail::output(request.gradient, n, 1, name, "gradient");
      const auto h = detail::output(request.hessian, n, 1, name, "hessian");
      auto put = [&](Index p, double first, double second) {
        g.set(order.row(p), 0, static_cast<C>(first * scale));
        if constexpr (Order >= 2) h.set(order.row(p), 0, static_cast<C>(second * scale));
      };
      if (linear)
        detail::risk_derivatives_linear(order, scaled, sums, put);
      else
        detail::risk_derivatives(order, sums, put);
    }
    return Partial<double>{sums.sum, sums.events, reduction()};
  }

 private:
  using Index = Eigen::Index;

  // The checks run before anything is written: pred's and target's shapes,
  // then the weights (their reader checks them), then the targets' values.
  template <class PIn, class TIn>
  static void check_shapes(const PIn& pred, const TIn& target) {
    const Index n = pred.rows();
    if (pred.cols() != 1)
      detail::fail_shape(name, "pred", pred.rows(), pred.cols(),
                         detail::shape_text(target.rows(), 1) +
                             " (one log-risk score per row; pass a row vector transposed)");
    if (target.rows() != n || target.cols() != 2)
      detail::fail_shape(name, "target", target.rows(), target.cols(),
                         detail::shape_text(n, 2) + " (time and event of each row of pred)");
  }
  template <class TIn>
  static void check_targets(const TIn& target) {
    for (Index i = 0; i < target.rows(); ++i) {
      const double t = static_cast<double>(target(i, 0)), e = static_cast<double>(target(i, 1));
      if (!(t >= 0) || !std::isfinite(t))
        detail::fail_value(name, detail::position("target", i, 0), target(i, 0),
                           "is not a time (finite and >= 0)");
      if (!(e == 0 || e == 1))
        detail::fail_value(name, detail::position("target", i, 1), target(i, 1),
                           "is not an event indicator (1 observed, 0 censored)");
    }
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
