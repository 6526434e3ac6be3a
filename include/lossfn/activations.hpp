// lossfn — softmax, log-softmax and sigmoid for inference, on the losses' kernels.
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <limits>
#include <type_traits>

#include "core.hpp"
#include "detail/access.hpp"
#include "detail/softmax.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

namespace detail {

enum class Activation { softmax, log_softmax, sigmoid };

inline const char* activation_name(Activation a) {
  return a == Activation::softmax       ? "softmax"
         : a == Activation::log_softmax ? "log_softmax"
                                        : "sigmoid";
}

/// The caller's output, checked against x's rows x cols before anything is
/// written: a plain object that is empty is resized, any other shape is an error.
template <class Y>
void prepare_activation_output(Y& y, Index rows, Index cols, Activation a) {
  if (y.rows() == rows && y.cols() == cols) return;
  if constexpr (plain_object<Y>) {
    constexpr int R = Y::RowsAtCompileTime, C = Y::ColsAtCompileTime;
    if (y.size() == 0 && (R == Eigen::Dynamic || R == rows) && (C == Eigen::Dynamic || C == cols)) {
      y.resize(rows, cols);
      return;
    }
  }
  fail_shape(activation_name(a), "output", y.rows(), y.cols(),
             shape_text(rows, cols) + " (x's shape)");
}

template <class X>
constexpr bool direct_access = (int(Eigen::internal::traits<X>::Flags) & Eigen::DirectAccessBit) !=
                               0;

/// Row i of any input, read through the losses' row interface (cols(), x(c),
/// data()): data() is nullptr, so log_sum_exp takes its scalar path, which
/// also gives the limits of rows holding ±inf or NaN.
template <class S, class In>
struct ActivationRow {
  using Scalar = S;
  const In& in;
  Index i;
  Index cols() const { return in.cols(); }
  S x(Index c) const { return static_cast<S>(in(i, c)); }
  const S* data() const { return nullptr; }
};

/// Softmax or log-softmax of row i, one logit at a time: the losses'
/// LogSumExp (max subtracted first; log softmax of the largest logit as
/// −log1p(rest), to full precision). Each x(i, c) is read before y(i, c) is
/// written, so y may be x.
template <class S, class In, class Y>
void activation_row_scalar(const In& in, Y& y, Index i, bool take_log) {
  const ActivationRow<S, In> row{in, i};
  const LogSumExp<S> lse = log_sum_exp(row);
  using T = typename Y::Scalar;
  for (Index c = 0; c < row.cols(); ++c) {
    const S v = row.x(c);
    y.coeffRef(i, c) = static_cast<T>(take_log ? lse.log_softmax(c, v) : lse.softmax(v));
  }
}

/// Softmax or log-softmax of one contiguous row of C ≥ one packet into a
/// contiguous y (which may be x): the row maximum and Σ exp(x − max) of the
/// softmax losses (row_max_packets, sum_exp_packets, one vector exp per
/// logit). softmax = e_c / (1 + rest), whose exponentials sum_exp_packets
/// writes to y; log softmax = (x − m) − log(1 + rest), −log1p(rest) where x
/// is the maximum. false for a row holding +inf or only −inf (nothing
/// written: the scalar path gives its limits); a row holding NaN is NaN.
template <class S>
bool activation_row_packets(const S* x, S* y, Index C, bool take_log) {
  using V = Vec<S>;
  S m;
  if (!row_max_packets(x, C, m)) return false;
  Index argmax;
  const S rest = sum_exp_packets(x, C, m, argmax, take_log ? nullptr : y);
  if (!(rest <= static_cast<S>(C))) {  // NaN: a NaN logit
    for (Index c = 0; c < C; ++c) y[c] = std::numeric_limits<S>::quiet_NaN();
    return true;
  }
  if (!take_log) {
    scale_run(y, C, S(1) / (S(1) + rest));
    return true;
  }
  using std::log;
  using std::log1p;
  const S log_sum = log(S(1) + rest), top = -log1p(rest);
  const V vm(m), vlog_sum(log_sum), vtop(top);
  Index c = 0;
  for (; c + V::size <= C; c += V::size) {
    const V v = V::load(x + c);
    select(v == vm, vtop, V(V(v - vm) - vlog_sum)).store(y + c);
  }
  for (; c < C; ++c) y[c] = x[c] == m ? top : (x[c] - m) - log_sum;
  return true;
}

/// Softmax or log-softmax of K·W rows at once, one row per SIMD lane, for an
/// x and y whose rows lie side by side (rowStride 1: column-major, the
/// transpose of row-major): the per-lane quantities of LaneSoftmax — the
/// maximum m, rest = Σ exp(x_c − m) less one term at the maximum — in three
/// passes over the columns (maximum; exponentials, written to y for softmax;
/// scaling or log softmax). false, with nothing written, if a lane's row
/// holds NaN or +inf or only −inf: the caller takes those rows one by one.
template <class S, int K>
bool activation_lanes(const S* x, Index x_col, S* y, Index y_col, Index C, bool take_log) {
  using V = Wide<S, K>;
  constexpr S inf = std::numeric_limits<S>::infinity();
  V m(-inf);
  auto nan = m != m;  // (all false)
  for (Index c = 0; c < C; ++c) {
    const V v = V::load(x + c * x_col);
    nan = nan || v != v;
    m = select(v > m, v, m);
  }
  if ((nan || !(m < V(inf)) || !(m > V(-inf))).any()) return false;
  const V one(1), zero(0);
  V rest(0), ties(0);
  for (Index c = 0; c < C; ++c) {
    const V v = V::load(x + c * x_col);
    const V e = exp_nonpositive(V(v - m));
    const auto top = v == m;
    rest += select(top, zero, e);
    ties += select(top, one, zero);
    if (!take_log) e.store(y + c * y_col);
  }
  rest += ties - one;  // each further logit equal to the maximum adds its e = 1
  if (!take_log) {
    const V scale = one / V(one + rest);
    for (Index c = 0; c < C; ++c) V(V::load(y + c * y_col) * scale).store(y + c * y_col);
    return true;
  }
  const V log_sum = detail::log(V(one + rest)), top = -detail::log1p(rest);
  for (Index c = 0; c < C; ++c) {
    const V v = V::load(x + c * x_col);
    select(v == m, top, V(V(v - m) - log_sum)).store(y + c * y_col);
  }
  return true;
}

/// Softmax or log-softmax of K·W short contiguous rows (C ≤ tile_cols, the
/// first at x, the next x_row further): they are copied into a tile on the
/// stack side by side, go through activation_lanes there, and are copied back;
/// short rows gain the SIMD lanes that a row of fewer logits than a packet
/// (or a few packets and a scalar tail) cannot use. false, with nothing
/// written, where activation_lanes declines.
constexpr Index tile_cols = 64;
template <class S, int K>
bool activation_tile(const S* x, Index x_row, S* y, Index y_row, Index C, bool take_log) {
  constexpr Index B = K * Vec<S>::size;
  S tile[tile_cols * B];
  for (Index r = 0; r < B; ++r)
    for (Index c = 0; c < C; ++c) tile[c * B + r] = x[r * x_row + c];
  if (!activation_lanes<S, K>(tile, B, tile, B, C, take_log)) return false;
  for (Index r = 0; r < B; ++r)
    for (Index c = 0; c < C; ++c) y[r * y_row + c] = tile[c * B + r];
  return true;
}

/// Softmax or log-softmax of every row of x into y (checked, same shape).
/// float and double rows go through SIMD lanes when x and y both keep a
/// row's entries contiguous (activation_row_packets) or both keep the rows
/// side by side (activation_lanes); anything else (inner strides,
/// expressions, 16-bit types, short rows) row by row in the compute type.
template <class X, class Y>
void row_activation(const X& x, Y& y, bool take_log) {
  using S = compute_t<typename X::Scalar>;
  const Index N = x.rows(), C = x.cols();
  if constexpr (has_packet<S> && std::is_same_v<typename X::Scalar, S> &&
                std::is_same_v<typename Y::Scalar, S> && direct_access<X> && direct_access<Y>) {
    constexpr Index W = Vec<S>::size;
    // Blocks of four cache lines of rows (K packets): on a column-major x
    // whose columns lie far apart, each column's run is long enough for the
    // prefetcher, and a block's state (K packets of max and sum) stays in L1.
    constexpr int K = 256 / int(sizeof(S) * W) > 1 ? 256 / int(sizeof(S) * W) : 1;
    const S* xd = x.data();
    S* yd = y.data();
    if (x.colStride() == 1 && y.colStride() == 1 && C > 1) {
      auto one_row = [&](Index i) {
        if (C < W ||
            !activation_row_packets(xd + i * x.rowStride(), yd + i * y.rowStride(), C, take_log))
          activation_row_scalar<S>(x, y, i, take_log);
      };
      Index i = 0;
      if (C <= tile_cols)
        for (; i + K * W <= N; i += K * W)
          if (!activation_tile<S, K>(xd + i * x.rowStride(), x.rowStride(), yd + i * y.rowStride(),
                                     y.rowStride(), C, take_log))
            for (Index r = i; r < i + K * W; ++r) one_row(r);
      for (; i < N; ++i) one_row(i);
      return;
    }
    if (C >= 1 && (x.rowStride() == 1 || N == 1) && (y.rowStride() == 1 || N == 1)) {
      Index i = 0;
      for (; i + K * W <= N; i += K * W)
        if (!activation_lanes<S, K>(xd + i, x.colStride(), yd + i, y.colStride(), C, take_log))
          for (Index r = i; r < i + K * W; ++r) activation_row_scalar<S>(x, y, r, take_log);
      for (; i < N; ++i) activation_row_scalar<S>(x, y, i, take_log);
      return;
    }
  }
  const Input<X> in(x);
  for (Index i = 0; i < N; ++i) activation_row_scalar<S>(in, y, i, take_log);
}

/// σ of every entry into y: the losses' σ on logits (detail::sigmoid:
/// e^{−|x|} in (0, 1], never overflowing), on SIMD lanes when x and y are one
/// contiguous run in the same order.
template <class X, class Y>
void sigmoid_activation(const X& x, Y& y) {
  using S = compute_t<typename X::Scalar>;
  using T = typename Y::Scalar;
  if constexpr (has_packet<S> && std::is_same_v<typename X::Scalar, S> && std::is_same_v<T, S>) {
    for (const bool row_major : {false, true}) {
      const S* xd = linear_data(x, row_major);
      S* yd = linear_data(y, row_major);
      if (!xd || !yd) continue;
      using V = Vec<S>;
      const Index n = x.size();
      Index k = 0;
      for (; k + V::size <= n; k += V::size) sigmoid(V::load(xd + k)).store(yd + k);
      for (; k < n; ++k) yd[k] = sigmoid(xd[k]);
      return;
    }
  }
  const Input<X> in(x);
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i)
      y.coeffRef(i, j) = static_cast<T>(sigmoid(static_cast<S>(in(i, j))));
}

template <class X, class Y>
void activation(const Eigen::DenseBase<X>& x_in, Out<Y> y_out, Activation a) {
  static_assert(std::is_floating_point_v<typename X::Scalar> || is_half<typename X::Scalar>::value,
                "lossfn: activations take floating-point x (float, double, Eigen::half or "
                "Eigen::bfloat16)");
  static_assert(std::is_floating_point_v<typename Y::Scalar> || is_half<typename Y::Scalar>::value,
                "lossfn: an activation's output must be floating-point");
  const X& x = x_in.derived();
  Y& y = y_out.values;
  prepare_activation_output(y, x.rows(), x.cols(), a);
  if (x.size() == 0) return;
  // y may be x itself; storage that overlaps x otherwise is read from a copy.
  if constexpr (direct_access<X> && direct_access<Y>) {
    const bool same = static_cast<const void*>(x.data()) == static_cast<const void*>(y.data()) &&
                      x.rowStride() == y.rowStride() && x.colStride() == y.colStride() &&
                      std::is_same_v<typename X::Scalar, typename Y::Scalar>;
    if (!same && span_of(x).overlaps(span_of(y))) {
      const typename X::PlainObject copy = x;
      activation(copy, out(y), a);
      return;
    }
  }
  if (a == Activation::sigmoid)
    sigmoid_activation(x, y);
  else
    row_activation(x, y, a == Activation::log_softmax);
}

/// A column vector is N rows of one class each, whose softmax is 1
/// everywhere: almost surely meant as one row.
template <class X>
constexpr bool rows_of_classes() {
  static_assert(X::ColsAtCompileTime != 1,
                "lossfn::softmax / log_softmax: x is a column vector (rows of one class each, "
                "softmax 1 everywhere); for the softmax over the vector pass v.transpose()");
  return true;
}

template <class X>
typename X::PlainObject activation(const Eigen::DenseBase<X>& x, Activation a) {
  typename X::PlainObject y(x.rows(), x.cols());
  activation(x, out(y), a);
  return y;
}

}  // namespace detail

/// softmax of each row of an N x C matrix of logits: exp(x_c − m) / Σ_c'
/// exp(x_c' − m) with m the row's maximum (no overflow for any finite
/// logit), the kernels of the softmax losses. A row holding one +inf gives
/// its limit (1 there, 0 elsewhere; PyTorch gives NaN); two +inf, only −inf
/// or a NaN give NaN. Any layout; float, double, Eigen::half and bfloat16
/// (computed in float). Returns a plain object of x's scalar and storage
/// order. A column vector (compile-time one column) does not compile: its
/// softmax is 1 everywhere; `v.transpose()` is one row.
template <class X>
typename X::PlainObject softmax(const Eigen::DenseBase<X>& x) {
  static_assert(detail::rows_of_classes<X>());
  return detail::activation(x, detail::Activation::softmax);
}
/// softmax into the caller's `lossfn::out(y)`, without allocating: y has x's
/// shape (an empty plain object is resized; another shape is an error) and
/// may be x itself: `lossfn::softmax(z, lossfn::out(z))`.
template <class X, class Y>
void softmax(const Eigen::DenseBase<X>& x, Out<Y> y) {
  static_assert(detail::rows_of_classes<X>());
  detail::activation(x, y, detail::Activation::softmax);
}

/// log softmax of each row: (x_c − m) − log Σ_c' exp(x_c' − m), the largest
/// logit's entry as −log1p(Σ of the others' exp(x − m)), so that a logit far
/// above the others keeps its digits (−4.1e-8, not 0, for a gap of 17 over one other logit in
/// float). Limits, layouts, types and outputs as softmax: a row holding one
/// +inf gives 0 there and −inf elsewhere.
template <class X>
typename X::PlainObject log_softmax(const Eigen::DenseBase<X>& x) {
  static_assert(detail::rows_of_classes<X>());
  return detail::activation(x, detail::Activation::log_softmax);
}
template <class X, class Y>
void log_softmax(const Eigen::DenseBase<X>& x, Out<Y> y) {
  static_assert(detail::rows_of_classes<X>());
  detail::activation(x, y, detail::Activation::log_softmax);
}

/// σ(x) = 1 / (1 + e^{−x}) of every entry, as BinaryCrossEntropyWithLogits
/// computes it: from e^{−|x|}, so σ(−800) = 0 and σ(−30) = 9.3576e-14 to full
/// precision, σ(±inf) = 1 / 0, NaN stays NaN. Layouts, types and outputs as softmax.
template <class X>
typename X::PlainObject sigmoid(const Eigen::DenseBase<X>& x) {
  return detail::activation(x, detail::Activation::sigmoid);
}
template <class X, class Y>
void sigmoid(const Eigen::DenseBase<X>& x, Out<Y> y) {
  detail::activation(x, y, detail::Activation::sigmoid);
}

}  // namespace lossfn

LOSSFN_WARNINGS_ON
