// lossfn — uniform access to any Eigen dense input or writable output.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "format.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

using Eigen::Index;

/// Marks an absent argument (no weights, no gradient requested, ...).
struct None {};

template <class S>
struct is_half
    : std::bool_constant<std::is_same_v<S, Eigen::half> || std::is_same_v<S, Eigen::bfloat16>> {};

/// The type the terms are computed in: the prediction's, except float for the
/// 16-bit types: half-precision predictions, computed in float.
template <class S>
using compute_t = std::conditional_t<is_half<S>::value, float, S>;

/// x's data if coefficient (i, j) sits at data[i·cols + j] (row_major) or
/// data[j·rows + i] (column-major order): one contiguous run in that order,
/// as a plain object or a Map without strides gives. Else nullptr.
template <class X>
auto linear_data(const X& x, bool row_major) {
  using Pointer = std::conditional_t<(Eigen::internal::traits<X>::Flags & Eigen::LvalueBit) != 0,
                                     typename X::Scalar*, const typename X::Scalar*>;
  if constexpr ((Eigen::internal::traits<X>::Flags & Eigen::DirectAccessBit) != 0) {
    const Index r = x.rows(), c = x.cols(), rs = x.rowStride(), cs = x.colStride();
    const bool contiguous = row_major ? (c <= 1 || cs == 1) && (r <= 1 || rs == c)
                                      : (r <= 1 || rs == 1) && (c <= 1 || cs == r);
    return contiguous ? const_cast<Pointer>(x.data()) : Pointer(nullptr);
  } else {
    return Pointer(nullptr);
  }
}

/// The bytes an object's coefficients span, [first, last): empty for an
/// expression without storage of its own (nothing to compare).
struct Span {
  const char* first = nullptr;
  const char* last = nullptr;
  bool overlaps(const Span& o) const {
    return first && o.first && first < o.last && o.first < last;
  }
};
template <class X>
Span span_of(const X& x) {
  if constexpr ((Eigen::internal::traits<X>::Flags & Eigen::DirectAccessBit) != 0) {
    if (x.size() == 0) return {};
    const Index extent = (x.rows() - 1) * x.rowStride() + (x.cols() - 1) * x.colStride() + 1;
    const char* first = reinterpret_cast<const char*>(x.data());
    return {first, first + extent * static_cast<Index>(sizeof(typename X::Scalar))};
  } else {
    return {};
  }
}

/// Read access to an input expression by (row, column), whatever its storage
/// order, strides or kind. An expensive expression (a product such as
/// `W * x + b`) is evaluated once into a temporary; a plain object, Map, Block
/// or cheap coefficient-wise expression is read in place.
template <class X>
class Input {
  using Nested = typename Eigen::internal::nested_eval<X, 2>::type;
  using Plain = std::decay_t<Nested>;
  Nested nested_;
  Eigen::internal::evaluator<Plain> eval_;

 public:
  using Scalar = typename X::Scalar;
  static constexpr bool row_major = (Plain::Flags & Eigen::RowMajorBit) != 0;

  explicit Input(const X& x) : nested_(x), eval_(nested_) {}
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  Index rows() const { return nested_.rows(); }
  Index cols() const { return nested_.cols(); }
  Index size() const { return nested_.size(); }
  decltype(auto) operator()(Index i, Index j) const { return eval_.coeff(i, j); }
  /// The data as one contiguous run in the given order, or nullptr (linear_data).
  const Scalar* linear(bool in_row_major) const {
    return linear_data(static_cast<const Plain&>(nested_), in_row_major);
  }
};

/// Write access to a caller's output `lossfn::out(g)`: any writable dense
/// object (Matrix, Array, Map with strides, Block, Ref) of the expected shape.
/// An empty resizable Matrix or Array is resized; anything else of another
/// shape is an error (a non-empty matrix of the wrong shape is more likely a
/// mistaken argument than storage to replace).
/// Fails unless `out` has rows x cols or can be resized to it; changes nothing.
template <class G>
void check_output(const Eigen::DenseBase<G>& out, Index rows, Index cols, const char* loss,
                  const char* argument) {
  static_assert((Eigen::internal::traits<G>::Flags & Eigen::LvalueBit) != 0,
                "lossfn: the output argument must be writable (a Matrix, Array, Map of "
                "non-const data, Block or Ref), not a const object or an expression.");
  if (out.rows() == rows && out.cols() == cols) return;
  if constexpr (std::is_base_of_v<Eigen::PlainObjectBase<G>, G>) {
    constexpr int R = G::RowsAtCompileTime, C = G::ColsAtCompileTime;
    const bool fits = (R == Eigen::Dynamic || R == rows) && (C == Eigen::Dynamic || C == cols);
    if (out.size() == 0 && fits) return;
    if (fits)
      fail_shape(loss, argument, out.rows(), out.cols(),
                 shape_text(rows, cols) + " (pred's shape), or empty to be resized");
  }
  fail_shape(loss, argument, out.rows(), out.cols(), shape_text(rows, cols) + " (pred's shape)");
}

template <class G>
G& prepare_output(G& out, Index rows, Index cols, const char* loss, const char* argument) {
  check_output(out, rows, cols, loss, argument);
  if (out.rows() != rows || out.cols() != cols) {
    if constexpr (std::is_base_of_v<Eigen::PlainObjectBase<G>, G>) out.resize(rows, cols);
  }
  return out;
}

template <class G>
struct Output;

/// The writer of a requested output, checked or resized to rows x cols.
template <class G>
Output<G> output(G* out, Index rows, Index cols, const char* loss, const char* argument) {
  if constexpr (std::is_same_v<G, None>)
    return Output<G>{nullptr};
  else
    return Output<G>{&prepare_output(*out, rows, cols, loss, argument)};
}

template <class G>
struct Output {
  G* out;
  template <class V>
  void set(Index i, Index j, const V& v) const {
    out->coeffRef(i, j) = static_cast<typename G::Scalar>(v);
  }
  auto get(Index i, Index j) const { return out->coeff(i, j); }
  /// The data as one contiguous run in the given order, or nullptr (linear_data).
  auto linear(bool in_row_major) const { return linear_data(*out, in_row_major); }
};
template <>
struct Output<None> {
  None* out;
  template <class V>
  void set(Index, Index, const V&) const {}
  std::nullptr_t linear(bool) const { return nullptr; }
};

/// Sample weights: pred's shape, or a column of N broadcast along each row.
/// Checked (shape, finite, non-negative) when constructed.
template <class W>
class SampleWeights {
  Input<W> w_;
  bool per_row_;

 public:
  SampleWeights(const W* w, Index rows, Index cols, bool row_wise_loss, const char* loss)
      : w_(*w), per_row_(w->cols() == 1) {
    if (w_.rows() != rows || (w_.cols() != 1 && (row_wise_loss || w_.cols() != cols))) {
      fail_shape(loss, "weights", w_.rows(), w_.cols(),
                 row_wise_loss ? shape_text(rows, 1) + " (one weight per row)"
                 : cols == 1   ? shape_text(rows, 1) + " (pred's shape: one weight per row)"
                               : shape_text(rows, cols) + " (pred's shape) or " +
                                   shape_text(rows, 1) + " (one weight per row)");
    }
    for (Index j = 0; j < w_.cols(); ++j)
      for (Index i = 0; i < w_.rows(); ++i) {
        const auto v = w_(i, j);
        const double d = static_cast<double>(v);
        if (!(d >= 0) || !std::isfinite(d))
          fail_value(loss, position("weights", i, j), v, "is not a finite non-negative weight");
      }
  }
  template <class S>
  S operator()(Index i, Index j) const {
    return static_cast<S>(per_row_ ? w_(i, 0) : w_(i, j));
  }
  /// Whether there is one weight per row (an N x 1 column), broadcast along pred's rows.
  bool per_row() const { return per_row_; }
  /// The weights as one contiguous run of the compute type S in the given
  /// order (linear_data), or nullptr: for the SIMD path.
  template <class S>
  const S* linear(bool in_row_major) const {
    if constexpr (std::is_same_v<typename W::Scalar, S>)
      return w_.linear(in_row_major);
    else
      return nullptr;
  }
  /// Σ over pred's rows x cols terms (a per-row weight counts `cols` times).
  double total(Index cols) const {
    double t = 0;
    for (Index j = 0; j < w_.cols(); ++j)
      for (Index i = 0; i < w_.rows(); ++i) t += static_cast<double>(w_(i, j));
    return per_row_ ? t * static_cast<double>(cols) : t;
  }
};

}  // namespace lossfn::detail

namespace lossfn::detail {

template <>
class SampleWeights<None> {
 public:
  SampleWeights(const None*, Index, Index, bool, const char*) {}
  template <class S>
  S operator()(Index, Index) const {
    return S(1);
  }
  double total(Index) const { return 0; }  // (callers count terms instead)
};

template <class W>
constexpr bool has_weights = !std::is_same_v<W, None>;

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
