// lossfn — 0-1 loss (classification error).
#pragma once

#include <optional>

#include "detail/class_options.hpp"
#include "hinge.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

namespace detail {
/// Binary 0-1 terms: the prediction is +1 where f > 0, else −1 (a score of 0 predicts −1).
struct ZeroOneBinary : Elementwise<ZeroOneBinary> {
  static constexpr const char* name = "ZeroOneLoss";
  static constexpr const char* target_rule = "is not a binary label (-1, 0 or +1)";
  template <class S>
  static bool target_ok(const S& y) {
    return is_binary_label(y);
  }
  template <int Order, class S>
  Derivatives<S> evaluate(const S& f, const S& label) const {
    const bool wrong = (f > S(0)) != (label > S(0));
    // NaN in f propagates; ±inf is an ordinary (very confident) score.
    return {select(f != f, f, select(wrong, S(1), S(0))), S(0), S(0)};
  }
};
/// Multi-class 0-1 terms: the prediction is the first maximal column. Its
/// ignore_index is ZeroOneLoss's (class weights are never set).
struct ZeroOneMulticlass : ClassIndexLoss<ZeroOneMulticlass, true> {
  static constexpr const char* name = "ZeroOneLoss";
  template <class Row>
  typename Row::Scalar row(const Row& r) const {
    using S = typename Row::Scalar;
    Eigen::Index best = 0;
    for (Eigen::Index c = 1; c < r.cols(); ++c) {
      const S x = r.x(c);
      if (x != x) return x;  // NaN propagates
      if (x > r.x(best)) best = c;
    }
    const S first = r.x(0);
    if (first != first) return first;  // NaN propagates (±inf is an ordinary score)
    return best == r.label() ? S(0) : S(1);
  }
};
}  // namespace detail

#define LOSSFN_ZERO_ONE_MESSAGE                                                              \
  "ZeroOneLoss is not differentiable (it is piecewise constant): it has no gradient or "     \
  "Hessian. Train with a differentiable surrogate -- Hinge or BinaryCrossEntropyWithLogits " \
  "for binary labels, SoftmaxCrossEntropy or MultiClassHinge for class indices -- and use "  \
  "ZeroOneLoss to report the error rate."

/// 0-1 loss: 1 where the prediction is wrong, else 0 (the error rate under mean).
///  - Binary: scores f and labels y ∈ {−1, +1} (0 also means −1) of the same
///    shape; the prediction is +1 where f > 0, else −1.
///  - Multi-class: an N x C matrix of scores (C ≥ 2) and a column of N class
///    indices; the prediction is the first column with the largest score.
/// The target's shape tells which: pred's shape is binary, N x 1 indices is
/// multi-class. It is piecewise constant, so it has no gradient or Hessian:
/// train with a surrogate (Hinge, BinaryCrossEntropyWithLogits,
/// SoftmaxCrossEntropy) and report this. Options: ignore_index (none;
/// multi-class: a row whose class index equals it has term 0 and is left out
/// of the mean's denominator, the accuracy of a padded batch), reduction (mean).
/// scikit-learn: zero_one_loss; Keras: 1 − Accuracy.
class ZeroOneLoss : public detail::LossApi<ZeroOneLoss> {
 public:
  static constexpr const char* name = "ZeroOneLoss";
  static constexpr bool differentiable = false, twice_differentiable = false, smooth = false,
                        convex = false, row_wise = false;

  /// Rows whose class index equals this value count neither as right nor
  /// wrong, nor in the mean's denominator (multi-class form only: with
  /// binary labels of pred's shape, setting it is an error, since a binary
  /// label is never padding). It may lie outside [0, C), e.g. -1 or -100.
  ZeroOneLoss& ignore_index(long long index) & {
    multiclass_.ignore_index(index);
    return *this;
  }
  ZeroOneLoss ignore_index(long long index) && { return std::move(this->ignore_index(index)); }
  std::optional<long long> ignore_index() const { return multiclass_.ignore_index(); }

  /// The terms before reduction: pred's shape (binary) or N x 1 (multi-class).
  template <class P, class T, class... W>
  Eigen::Array<detail::scalar_of<P>, Eigen::Dynamic, Eigen::Dynamic> unreduced(
      const Eigen::DenseBase<P>& pred, const Eigen::DenseBase<T>& target,
      const Weights<W>&... w) const {
    Eigen::Array<detail::scalar_of<P>, Eigen::Dynamic, Eigen::Dynamic> u;
    call<0>(pred, target, detail::request(w...).with_terms(u));
    return u;
  }
  template <class P, class T, class... A, detail::untagged_t<0, 0, A...> = 0>
  auto unreduced(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(detail::dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // 0-1 loss has no derivatives: each of these fails to compile, saying why.
  // The deduced return type makes the check run at the call, so its message
  // comes before any error about using the result.
  template <class... A>
  auto gradient(const A&...) const {
    static_assert(detail::dependent_false<A...>, LOSSFN_ZERO_ONE_MESSAGE);
  }
  template <class... A>
  auto value_and_gradient(const A&...) const {
    static_assert(detail::dependent_false<A...>, LOSSFN_ZERO_ONE_MESSAGE);
  }
  template <class... A>
  auto hessian_diagonal(const A&...) const {
    static_assert(detail::dependent_false<A...>, LOSSFN_ZERO_ONE_MESSAGE);
  }
  template <class... A>
  auto value_gradient_hessian(const A&...) const {
    static_assert(detail::dependent_false<A...>, LOSSFN_ZERO_ONE_MESSAGE);
  }

  template <int Order, class P, class T, class W, class G, class H, class U>
  Partial<double> compute(const P& pred, const T& target,
                          const detail::Request<W, G, H, U>& request) const {
    if (target.rows() == pred.rows() && target.cols() == pred.cols()) {
      if (multiclass_.has_ignore_index())
        detail::fail(std::string(name) +
                     ": ignore_index is set, but target holds binary labels of pred's shape; "
                     "ignore_index applies to class indices (an N x 1 integer column, with C "
                     ">= 2 columns of pred)");
      detail::ZeroOneBinary binary;
      binary.reduction(reduction());
      return detail::run_elementwise<0>(binary, pred, target, request);
    }
    if constexpr (std::is_integral_v<typename T::Scalar>) {
      if (pred.cols() >= 2 && target.cols() == 1) {
        detail::ZeroOneMulticlass multiclass = multiclass_;
        multiclass.reduction(reduction());
        return detail::run_rowwise<0>(multiclass, pred, target, request);
      }
    }
    const std::string binary = detail::shape_text(pred.rows(), pred.cols());
    if (!std::is_integral_v<typename T::Scalar> && pred.cols() >= 2 &&
        target.rows() == pred.rows() && target.cols() == 1)
      detail::fail(std::string(name) + ": target is a " + detail::shape_text(target.rows(), 1) +
                   " column of floating-point values: class indices must be integers (use "
                   "y.cast<int>()); binary labels have pred's shape " +
                   binary);
    detail::fail_shape(name, "target", target.rows(), target.cols(),
                       pred.cols() < 2
                           ? binary + " (binary labels of pred's shape)"
                           : binary + " (binary labels of pred's shape) or " +
                                 detail::shape_text(pred.rows(), 1) + " (integer class indices)");
  }

 private:
  detail::ZeroOneMulticlass multiclass_;
};

#undef LOSSFN_ZERO_ONE_MESSAGE

}  // namespace lossfn

LOSSFN_WARNINGS_ON
