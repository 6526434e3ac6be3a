// lossfn — the driver of element-wise losses: one term per coefficient of pred.
//
// A loss supplies `evaluate<Order>(p, t)` returning the term and, for Order
// >= 1, its first derivative in p, for Order >= 2 its second. This driver owns
// everything else: shapes, validation, traversal in pred's storage order,
// weights, the reduction and the outputs.
#pragma once

#include "access.hpp"
#include "../core.hpp"

namespace lossfn::detail {

template <class S>
struct Derivatives {
  S value = S(0);
  S first = S(0);
  S second = S(0);
};

/// What a call asks for: the outputs that are not `None` are written.
template <class W, class G, class H, class U>
struct Request {
  const W* weights;
  G* gradient;
  H* hessian;
  U* terms;  // the unreduced (weighted) terms
};

template <class G>
constexpr bool wanted = !std::is_same_v<G, None>;

/// Checks the shapes of all requested out-arguments before any is resized
/// or written, so that a bad Hessian output leaves the gradient output as
/// it was.
template <class W, class G, class H, class U>
void check_outputs(const Request<W, G, H, U>& request, Index rows, Index cols, const char* name) {
  if constexpr (wanted<G>) check_output(*request.gradient, rows, cols, name, "gradient");
  if constexpr (wanted<H>) check_output(*request.hessian, rows, cols, name, "hessian");
}

/// Checks every coefficient against the loss's pred_ok / target_ok hooks,
/// before anything is written: a bad value anywhere leaves every output as
/// it was (SPEC: the caller's data is never modified). Values are checked as
/// the caller gave them, before conversion to the compute type (1 + 1e-12 in
/// a double target is not a probability, although it rounds to 1.0f). A loss
/// without rules (an empty pred_rule / target_rule) costs no pass.
template <class Loss, class P, class T>
void check_values(const Loss& loss, const Input<P>& pred, const Input<T>& target) {
  constexpr bool check_pred = Loss::pred_rule[0] != '\0';
  constexpr bool check_target = Loss::target_rule[0] != '\0';
  if constexpr (check_pred || check_target) {
    auto visit = [&](Index i, Index j) {
      if constexpr (check_pred) {
        const auto p = pred(i, j);
        if (!loss.pred_ok(p)) fail_value(Loss::name, position("pred", i, j), p, Loss::pred_rule);
      }
      if constexpr (check_target) {
        const auto t = target(i, j);
        if (!loss.target_ok(t))
          fail_value(Loss::name, position("target", i, j), t, Loss::target_rule);
      }
    };
    // In pred's storage order, as the computing pass goes: the first bad
    // coefficient it would meet is the one reported.
    if constexpr (Input<P>::row_major) {
      for (Index i = 0; i < pred.rows(); ++i)
        for (Index j = 0; j < pred.cols(); ++j) visit(i, j);
    } else {
      for (Index j = 0; j < pred.cols(); ++j)
        for (Index i = 0; i < pred.rows(); ++i) visit(i, j);
    }
  }
}

/// Runs an element-wise loss over pred and target. Returns the reduction's
/// sum and denominator; writes the requested outputs, already scaled so that
/// they are derivatives of the value the loss's reduction returns.
template <int Order, class Loss, class P, class T, class W, class G, class H, class U>
Partial<double> run_elementwise(const Loss& loss, const P& pred_expr, const T& target_expr,
                                const Request<W, G, H, U>& request) {
  using S = compute_t<typename P::Scalar>;
  const char* name = Loss::name;
  Input<P> pred(pred_expr);
  Input<T> target(target_expr);
  const Index rows = pred.rows(), cols = pred.cols();
  if (target.rows() != rows || target.cols() != cols)
    fail_shape(name, "target", target.rows(), target.cols(),
               shape_text(rows, cols) + " (pred's shape)");
  loss.check_shape(rows, cols);

  const SampleWeights<W> weights(request.weights, rows, cols, false, name);
  check_values(loss, pred, target);
  check_outputs(request, rows, cols, name);
  const double denominator =
      has_weights<W> ? weights.total(cols) : static_cast<double>(rows) * static_cast<double>(cols);
  const bool mean = loss.reduction() == Reduction::mean;
  const bool empty = mean && denominator == 0;
  const S scale = (mean && !empty) ? S(1.0 / denominator) : S(1);

  const Output<G> gradient = output(request.gradient, rows, cols, name, "gradient");
  const Output<H> hessian = output(request.hessian, rows, cols, name, "hessian");
  Output<U> terms{request.terms};
  if constexpr (wanted<U>) request.terms->resize(rows, cols);

  double sum = 0;
  auto visit = [&](Index i, Index j) {
    const S p = static_cast<S>(pred(i, j));
    const S t = static_cast<S>(target(i, j));
    Derivatives<S> d;
    if constexpr (Loss::per_column)
      d = loss.template evaluate<Order>(p, t, loss.template column_parameter<S>(j));
    else
      d = loss.template evaluate<Order>(p, t);
    const S w = weights.template operator()<S>(i, j);
    const S term = has_weights<W> ? S(w * d.value) : d.value;
    sum += static_cast<double>(term);
    terms.set(i, j, term);
    if constexpr (Order >= 1) {
      const S g = empty ? S(0) : S(scale * w * d.first);
      gradient.set(i, j, g);
    }
    if constexpr (Order >= 2) {
      const S h = empty ? S(0) : S(scale * w * d.second);
      hessian.set(i, j, h);
    }
  };
  if constexpr (Input<P>::row_major) {
    for (Index i = 0; i < rows; ++i)
      for (Index j = 0; j < cols; ++j) visit(i, j);
  } else {
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i) visit(i, j);
  }
  return Partial<double>{sum, denominator, loss.reduction()};
}

}  // namespace lossfn::detail
