// lossfn — the driver of row-wise losses: one term per row (sample) of an N x C pred.
//
// A loss supplies `row(r)`: given one row's view (its C predictions, its
// label or probability row, and writers for its gradient and Hessian rows),
// it returns the row's term and writes its derivatives. This driver owns the
// rest: shapes, label validation, ignore_index, class and sample weights, the
// reduction's denominator, traversal and the outputs.
#pragma once

#include <algorithm>
#include <limits>
#include <string>

#include "elementwise.hpp"

namespace lossfn::detail {

/// One row of a row-wise loss, as the loss sees it.
template <int Order, class S, class PIn, class TIn, class G, class H>
class RowView {
 public:
  static constexpr int order = Order;
  static constexpr bool probabilities = !std::is_integral_v<typename TIn::Scalar>;
  using Scalar = S;

  RowView(const PIn& pred, const TIn& target, Index i, Index label, S scale, Output<G> g,
          Output<H> h, const S* data)
      : pred_(pred), target_(target), i_(i), label_(label), scale_(scale), g_(g), h_(h),
        data_(data ? data + i * pred.cols() : nullptr) {}

  Index cols() const { return pred_.cols(); }
  /// The row's index in pred (for error messages).
  Index index() const { return i_; }
  /// The prediction of class c.
  S x(Index c) const { return static_cast<S>(pred_(i_, c)); }
  /// The row's C predictions as one contiguous run (x(c) is data()[c]), or
  /// nullptr: for SIMD along the row (detail/softmax.hpp).
  const S* data() const { return data_; }
  /// The class index (class-index targets).
  Index label() const { return label_; }
  /// The target probability of class c (probability targets).
  S target(Index c) const { return static_cast<S>(target_(i_, c)); }
  /// Writes d term / d x_c (scaled by the driver for weights and reduction).
  void gradient(Index c, S v) const { g_.set(i_, c, scale_ * v); }
  /// Writes d² term / d x_c².
  void hessian(Index c, S v) const { h_.set(i_, c, scale_ * v); }

 private:
  const PIn& pred_;
  const TIn& target_;
  Index i_, label_;
  S scale_;
  Output<G> g_;
  Output<H> h_;
  const S* data_;
};

template <class T>
long long label_value(const T& v) {
  return static_cast<long long>(v);
}
/// Whether a class index survives label_value (an unsigned 64-bit label above
/// LLONG_MAX would wrap to a negative number, maybe the ignore_index).
template <class T>
bool label_fits(const T& v) {
  if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(long long))
    return v <= static_cast<T>(std::numeric_limits<long long>::max());
  else
    return true;
}

/// Runs a row-wise loss. Returns the reduction's sum and denominator.
template <int Order, class Loss, class P, class T, class W, class G, class H, class U>
Partial<double> run_rowwise(const Loss& loss, const P& pred_expr, const T& target_expr,
                            const Request<W, G, H, U>& request) {
  using S = compute_t<typename P::Scalar>;
  constexpr bool indices = std::is_integral_v<typename T::Scalar>;
  const char* name = Loss::name;
  Input<P> pred(pred_expr);
  Input<T> target(target_expr);
  const Index rows = pred.rows(), cols = pred.cols();
  if constexpr (indices) {
    if (target.rows() != rows || target.cols() != 1)
      fail_shape(name, "target", target.rows(), target.cols(),
                 shape_text(rows, 1) + " (one class index per row of pred)");
  } else {
    static_assert(indices || Loss::accepts_probabilities,
                  "lossfn: this loss takes class indices: pass an integer vector (e.g. "
                  "Eigen::VectorXi) with one class per row of pred.");
    if (target.rows() != rows || target.cols() != cols)
      fail_shape(name, "target", target.rows(), target.cols(),
                 shape_text(rows, cols) + " (probabilities of pred's shape)");
  }
  loss.check_shape(rows, cols);
  const SampleWeights<W> weights(request.weights, rows, cols, true, name);
  check_outputs(request, rows, cols, name);

  // Pass 1: validate every label and total the mean's denominator, so that
  // pass 2 can write each gradient row already scaled, in one pass.
  double denominator = 0;
  for (Index i = 0; i < rows; ++i) {
    double share = 1;
    if constexpr (indices) {
      const auto raw = target(i, 0);
      const long long y = label_value(raw);
      if (!label_fits(raw)) {  // beyond long long: never a class, never ignore_index
        fail_value(name, position("target", i), raw,
                   "is outside [0, " + std::to_string(cols) + ")");
      } else if (loss.ignored(y)) {
        share = 0;
      } else if (y < 0 || y >= static_cast<long long>(cols)) {
        fail_value(name, position("target", i), raw,
                   "is outside [0, " + std::to_string(cols) + ")");
      } else {
        share = loss.class_weight_of(y);
      }
    }
    denominator += weights.template operator()<double>(i, 0) * share;
  }
  // Values a loss checks itself (CategoricalCrossEntropy's probabilities):
  // all of them before the first write, so that a rejected call leaves every
  // output as it was.
  for (Index i = 0; i < rows; ++i) loss.check_row(pred, target, i);
  const bool mean = loss.reduction() == Reduction::mean;
  const bool empty = mean && denominator == 0;
  const double scale = (mean && !empty) ? 1.0 / denominator : 1.0;

  const Output<G> gradient = output(request.gradient, rows, cols, name, "gradient");
  const Output<H> hessian = output(request.hessian, rows, cols, name, "hessian");
  Output<U> terms{request.terms};
  if constexpr (wanted<U>) request.terms->resize(rows, 1);

  // Rows that are contiguous runs of S (row-major storage) are offered to
  // the loss for SIMD along the row.
  const S* row_data = nullptr;
  if constexpr (std::is_same_v<typename P::Scalar, S>) row_data = pred.linear(true);

  // Pass 2: each row's term and derivatives, in blocks of rows (reduce.hpp:
  // the sum is the same for any thread count).
  auto visit = [&](Index i) -> double {
    Index y = 0;
    bool skip = false;
    if constexpr (indices) {
      const long long label = label_value(target(i, 0));
      skip = loss.ignored(label);
      y = static_cast<Index>(label);
    }
    const S w = weights.template operator()<S>(i, 0);
    if (skip || empty) {
      // Ignored rows contribute nothing; a mean over nothing has zero gradient.
      for (Index c = 0; c < cols; ++c) {
        gradient.set(i, c, S(0));
        hessian.set(i, c, S(0));
      }
      if (skip) {
        terms.set(i, 0, S(0));
        return 0.0;
      }
    }
    const S row_scale = empty ? S(0) : S(static_cast<S>(scale) * w);
    RowView<Order, S, Input<P>, Input<T>, G, H> view(pred, target, i, y, row_scale, gradient,
                                                     hessian, row_data);
    const S term = loss.row(view);
    const S weighted = has_weights<W> ? S(w * term) : term;
    terms.set(i, 0, weighted);
    return static_cast<double>(weighted);
  };
  const Index rows_per_block = std::max<Index>(1, block_size / std::max<Index>(cols, 1));
  const Index blocks = (rows + rows_per_block - 1) / rows_per_block;
  const double sum = sum_blocks(blocks, rows * cols, [&](Index b) {
    const Index first = b * rows_per_block, last = std::min(rows, first + rows_per_block);
    double s = 0;
    for (Index i = first; i < last; ++i) s += visit(i);
    return s;
  });
  return Partial<double>{sum, denominator, loss.reduction()};
}

}  // namespace lossfn::detail
