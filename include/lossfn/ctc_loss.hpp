// lossfn — connectionist temporal classification (CTC) over logits.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "core.hpp"
#include "detail/ctc.hpp"
#include "detail/format.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

#define LOSSFN_CTC_NO_HESSIAN                                                              \
  "CTCLoss has no Hessian: lossfn gives CTC's value and its gradient with respect to the " \
  "logits (value, gradient, value_and_gradient), not second derivatives."

/// Connectionist temporal classification (Graves et al., 2006): the loss of
/// sequence n is l_n = −log Σ over its alignments of Π_t softmax(x_t), an
/// alignment being a path of T_n frames through blank, l_0, blank, l_1, …,
/// blank that may stay on a state, move to the next, or skip a blank between
/// two different labels. The log-softmax of each frame is taken inside, so
/// the gradient is with respect to the logits: softmax(x_t) − γ_t, γ_t the
/// frame's posterior occupancy of each class.
///
/// Inputs: logits (T_0 + … + T_{N−1}) × C, the frames of sequence 0, then of
/// 1, …, any dense expression in either storage order; frames, N counts
/// T_n ≥ 0; labels, the N label sequences concatenated, each in [0, C) and
/// never the blank; label_counts, N counts S_n ≥ 0 (any integer types).
///
/// Reduction: mean (default) Σ_n w_n·l_n/max(S_n, 1) / Σ_n w_n (w_n = 1
/// without weights: PyTorch's reduction='mean'); sum Σ_n w_n·l_n; unreduced
/// gives w_n·l_n. partial(): sum = Σ w_n·l_n/max(S_n, 1) and weight = Σ w_n
/// under mean; the gradient over shards is each shard's gradient under mean
/// times (shard weight / total weight). A sequence that no alignment fits
/// (T_n < S_n + the number of equal neighbours in its labels) has l = +inf and
/// NaN gradient rows, as in PyTorch, or l = 0 and zero rows with
/// zero_infinity(true); a sequence of weight 0 contributes 0 and zero rows.
/// No Hessian.
///
/// Options: blank (0, in [0, C)), zero_infinity (false), reduction (mean).
/// PyTorch: F.ctc_loss(F.log_softmax(x, -1), labels, frames, label_counts,
/// blank, reduction, zero_infinity) with x padded to (T_max, N, C).
class CTCLoss {
 public:
  static constexpr const char* name = "CTCLoss";
  static constexpr bool differentiable = true, twice_differentiable = false, smooth = true,
                        convex = false, row_wise = false, decomposable = true;

  // ---- options --------------------------------------------------------------
  CTCLoss& reduction(Reduction r) & {
    reduction_ = r;
    return *this;
  }
  CTCLoss reduction(Reduction r) && { return std::move(reduction(r)); }
  Reduction reduction() const { return reduction_; }

  /// The blank's class, checked against the logits' columns at each call.
  CTCLoss& blank(long long b) & {
    if (b < 0) detail::fail_option(name, "blank", static_cast<double>(b), "is not a class (>= 0)");
    blank_ = b;
    return *this;
  }
  CTCLoss blank(long long b) && { return std::move(blank(b)); }
  long long blank() const { return blank_; }

  /// true: a sequence that no alignment fits has loss 0 and a zero gradient.
  CTCLoss& zero_infinity(bool z) & {
    zero_infinity_ = z;
    return *this;
  }
  CTCLoss zero_infinity(bool z) && { return std::move(zero_infinity(z)); }
  bool zero_infinity() const { return zero_infinity_; }

  // Each entry point takes, after the four inputs, an optional
  // `lossfn::weights(w)` and then its output as `lossfn::out(g)`; any other
  // argument selects an overload that only fails to compile, naming both tags.

  // ---- value ----------------------------------------------------------------
  template <class X, class F, class Y, class K, class... W>
  auto value(const Eigen::DenseBase<X>& logits, const Eigen::DenseBase<F>& frames,
             const Eigen::DenseBase<Y>& labels, const Eigen::DenseBase<K>& label_counts,
             const Weights<W>&... w) const {
    return narrow<X>(
        run(logits, frames, labels, label_counts, weights_of(w...), none(), none()).value());
  }
  template <class X, class F, class Y, class K, class... A, detail::untagged_t<0, 0, A...> = 0>
  auto value(const Eigen::DenseBase<X>&, const Eigen::DenseBase<F>&, const Eigen::DenseBase<Y>&,
             const Eigen::DenseBase<K>&, A&&...) const {
    static_assert(detail::dependent_false<X>, LOSSFN_UNTAGGED_ARGUMENT);
  }
  template <class X, class F, class Y, class K, class... W>
  auto operator()(const Eigen::DenseBase<X>& logits, const Eigen::DenseBase<F>& frames,
                  const Eigen::DenseBase<Y>& labels, const Eigen::DenseBase<K>& label_counts,
                  const Weights<W>&... w) const {
    return value(logits, frames, labels, label_counts, w...);
  }
  template <class X, class F, class Y, class K, class... A, detail::untagged_t<0, 0, A...> = 0>
  auto operator()(const Eigen::DenseBase<X>&, const Eigen::DenseBase<F>&,
                  const Eigen::DenseBase<Y>&, const Eigen::DenseBase<K>&, A&&...) const {
    static_assert(detail::dependent_false<X>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // ---- gradient ---------------------------------------------------------------
  template <class X, class F, class Y, class K, class... W>
  typename X::PlainObject gradient(const Eigen::DenseBase<X>& logits,
                                   const Eigen::DenseBase<F>& frames,
                                   const Eigen::DenseBase<Y>& labels,
                                   const Eigen::DenseBase<K>& label_counts,
                                   const Weights<W>&... w) const {
    return value_and_gradient(logits, frames, labels, label_counts, w...).gradient;
  }
  template <class X, class F, class Y, class K, class... A, detail::untagged_t<0, 0, A...> = 0>
  auto gradient(const Eigen::DenseBase<X>&, const Eigen::DenseBase<F>&, const Eigen::DenseBase<Y>&,
                const Eigen::DenseBase<K>&, A&&...) const {
    static_assert(detail::dependent_false<X>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // ---- fused value and gradient -------------------------------------------------
  template <class X, class F, class Y, class K, class... W>
  ValueAndGradient<typename X::Scalar, typename X::PlainObject> value_and_gradient(
      const Eigen::DenseBase<X>& logits, const Eigen::DenseBase<F>& frames,
      const Eigen::DenseBase<Y>& labels, const Eigen::DenseBase<K>& label_counts,
      const Weights<W>&... w) const {
    ValueAndGradient<typename X::Scalar, typename X::PlainObject> r{
        typename X::Scalar(0), typename X::PlainObject(logits.rows(), logits.cols())};
    r.value = narrow<X>(
        run(logits, frames, labels, label_counts, weights_of(w...), &r.gradient, none()).value());
    return r;
  }
  /// Fused, into the caller's storage `out(g)` (any writable dense object of
  /// the logits' shape, or an empty Matrix or Array, resized): no allocation.
  template <class X, class F, class Y, class K, class G>
  typename X::Scalar value_and_gradient(const Eigen::DenseBase<X>& logits,
                                        const Eigen::DenseBase<F>& frames,
                                        const Eigen::DenseBase<Y>& labels,
                                        const Eigen::DenseBase<K>& label_counts, Out<G> g) const {
    return narrow<X>(run(logits, frames, labels, label_counts, none(), &g.values, none()).value());
  }
  template <class X, class F, class Y, class K, class W, class G>
  typename X::Scalar value_and_gradient(const Eigen::DenseBase<X>& logits,
                                        const Eigen::DenseBase<F>& frames,
                                        const Eigen::DenseBase<Y>& labels,
                                        const Eigen::DenseBase<K>& label_counts,
                                        const Weights<W>& w, Out<G> g) const {
    return narrow<X>(
        run(logits, frames, labels, label_counts, &w.values, &g.values, none()).value());
  }
  template <class X, class F, class Y, class K, class... A, detail::untagged_t<0, 1, A...> = 0>
  auto value_and_gradient(const Eigen::DenseBase<X>&, const Eigen::DenseBase<F>&,
                          const Eigen::DenseBase<Y>&, const Eigen::DenseBase<K>&, A&&...) const {
    static_assert(detail::dependent_false<X>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // ---- per sequence and shards ------------------------------------------------
  /// The N losses w_n·l_n (PyTorch's reduction='none', weighted).
  template <class X, class F, class Y, class K, class... W>
  Eigen::Array<typename X::Scalar, Eigen::Dynamic, 1> unreduced(
      const Eigen::DenseBase<X>& logits, const Eigen::DenseBase<F>& frames,
      const Eigen::DenseBase<Y>& labels, const Eigen::DenseBase<K>& label_counts,
      const Weights<W>&... w) const {
    Eigen::Array<typename X::Scalar, Eigen::Dynamic, 1> u;
    run(logits, frames, labels, label_counts, weights_of(w...), none(), &u);
    return u;
  }
  /// The reduction's sum and total weight on this shard; partials add.
  template <class X, class F, class Y, class K, class... W>
  Partial<detail::compute_t<typename X::Scalar>> partial(const Eigen::DenseBase<X>& logits,
                                                         const Eigen::DenseBase<F>& frames,
                                                         const Eigen::DenseBase<Y>& labels,
                                                         const Eigen::DenseBase<K>& label_counts,
                                                         const Weights<W>&... w) const {
    const Partial<double> p =
        run(logits, frames, labels, label_counts, weights_of(w...), none(), none());
    Partial<detail::compute_t<typename X::Scalar>> out;
    out.sum = static_cast<decltype(out.sum)>(p.sum);
    out.weight = static_cast<decltype(out.weight)>(p.weight);
    out.reduction = p.reduction;
    return out;
  }
  template <class X, class F, class Y, class K, class... A, detail::untagged_t<0, 0, A...> = 0>
  auto unreduced(const Eigen::DenseBase<X>&, const Eigen::DenseBase<F>&, const Eigen::DenseBase<Y>&,
                 const Eigen::DenseBase<K>&, A&&...) const {
    static_assert(detail::dependent_false<X>, LOSSFN_UNTAGGED_ARGUMENT);
  }
  template <class X, class F, class Y, class K, class... A, detail::untagged_t<0, 0, A...> = 0>
  auto partial(const Eigen::DenseBase<X>&, const Eigen::DenseBase<F>&, const Eigen::DenseBase<Y>&,
               const Eigen::DenseBase<K>&, A&&...) const {
    static_assert(detail::dependent_false<X>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // CTC has no second derivatives here: each of these fails to compile, saying why.
  template <class... A>
  auto hessian_diagonal(const A&...) const {
    static_assert(detail::dependent_false<A...>, LOSSFN_CTC_NO_HESSIAN);
  }
  template <class... A>
  auto value_gradient_hessian(const A&...) const {
    static_assert(detail::dependent_false<A...>, LOSSFN_CTC_NO_HESSIAN);
  }

 private:
  static detail::None* none() { return nullptr; }
  static detail::None* weights_of() { return nullptr; }
  template <class W>
  static const W* weights_of(const Weights<W>& w) {
    return &w.values;
  }
  template <class X>
  static typename X::Scalar narrow(double v) {
    return static_cast<typename X::Scalar>(static_cast<detail::compute_t<typename X::Scalar>>(v));
  }

  template <class V>
  static void check_vector(const V& v, const char* argument, const char* expected) {
    if (v.rows() != 1 && v.cols() != 1 && v.size() != 0)
      detail::fail_shape(name, argument, v.rows(), v.cols(), expected);
  }
  template <class V>
  static long long sum_of_counts(const V& v, const char* argument) {
    long long total = 0;
    for (Eigen::Index i = 0; i < v.size(); ++i) {
      const auto c = v.derived().coeff(i);
      if (static_cast<long long>(c) < 0)
        detail::fail_value(name, detail::position(argument, i), c, "is not a count (>= 0)");
      total += static_cast<long long>(c);
    }
    return total;
  }

  /// Each fails with the message of the first bad input; nothing is written before.
  template <class F, class Y, class K>
  void check_sequences(Eigen::Index T, Eigen::Index C, const Eigen::DenseBase<F>& frames,
                       const Eigen::DenseBase<Y>& labels,
                       const Eigen::DenseBase<K>& label_counts) const;
  template <class W>
  static double check_weights(const W* weights, Eigen::Index N);  // returns their total
  template <class G>
  static void check_gradient(G* gradient, Eigen::Index T, Eigen::Index C);

  /// Every check, then the batch. Each pointer is an argument or nullptr.
  template <class X, class F, class Y, class K, class W, class G, class U>
  Partial<double> run(const Eigen::DenseBase<X>& logits_in, const Eigen::DenseBase<F>& frames,
                      const Eigen::DenseBase<Y>& labels, const Eigen::DenseBase<K>& label_counts,
                      const W* weights, G* gradient, U* unreduced) const;

  Reduction reduction_ = Reduction::mean;
  long long blank_ = 0;
  bool zero_infinity_ = false;
};

template <class F, class Y, class K>
void CTCLoss::check_sequences(Eigen::Index T, Eigen::Index C, const Eigen::DenseBase<F>& frames,
                              const Eigen::DenseBase<Y>& labels,
                              const Eigen::DenseBase<K>& label_counts) const {
  static_assert(std::is_integral_v<typename F::Scalar> && std::is_integral_v<typename Y::Scalar> &&
                    std::is_integral_v<typename K::Scalar>,
                "lossfn: CTCLoss's frames, labels and label_counts must be integers.");
  using Eigen::Index;
  if (blank_ >= C)
    detail::fail_option(
        name, "blank", static_cast<double>(blank_),
        ("is not a class of the logits' " + std::to_string(C) + " columns").c_str());
  check_vector(frames, "frames", "a vector (one frame count per sequence)");
  const Index N = frames.size();
  check_vector(label_counts, "label_counts", "a vector (one label count per sequence)");
  if (label_counts.size() != N)
    detail::fail_shape(name, "label_counts", label_counts.rows(), label_counts.cols(),
                       std::to_string(N) + " entries (one per sequence, as frames)");
  const long long total_frames = sum_of_counts(frames, "frames");
  const long long total_labels = sum_of_counts(label_counts, "label_counts");
  if (total_frames != T)
    detail::fail_shape(name, "logits", T, C,
                       detail::shape_text(static_cast<Index>(total_frames), C) +
                           " (one row per frame: the frame counts add up to " +
                           std::to_string(total_frames) + ")");
  check_vector(labels, "labels", "a vector (the label sequences concatenated)");
  if (labels.size() != total_labels)
    detail::fail_shape(name, "labels", labels.rows(), labels.cols(),
                       std::to_string(total_labels) + " entries (the label counts add up to " +
                           std::to_string(total_labels) + ")");
  for (Index i = 0; i < labels.size(); ++i) {
    const auto y = labels.derived().coeff(i);
    if (static_cast<long long>(y) < 0 || static_cast<long long>(y) >= static_cast<long long>(C))
      detail::fail_value(name, detail::position("labels", i), y,
                         "is not a class in [0, " + std::to_string(C) + ")");
    if (static_cast<long long>(y) == blank_)
      detail::fail_value(name, detail::position("labels", i), y,
                         "is the blank (a label is never the blank)");
  }
}

template <class W>
double CTCLoss::check_weights(const W* weights, Eigen::Index N) {
  if constexpr (std::is_same_v<W, detail::None>) {
    return static_cast<double>(N);
  } else {
    if (weights->size() != N || (weights->rows() != 1 && weights->cols() != 1 && N > 0))
      detail::fail_shape(name, "weights", weights->rows(), weights->cols(),
                         detail::shape_text(N, 1) + " (one weight per sequence)");
    double total = 0;
    for (Eigen::Index i = 0; i < N; ++i) {
      const auto v = weights->derived().coeff(i);
      const double d = static_cast<double>(v);
      if (!(d >= 0) || !std::isfinite(d))
        detail::fail_value(name, detail::position("weights", i, 0), v,
                           "is not a finite non-negative weight");
      total += d;
    }
    return total;
  }
}

template <class G>
void CTCLoss::check_gradient(G* gradient, Eigen::Index T, Eigen::Index C) {
  if constexpr (!std::is_same_v<G, detail::None>) {
    if (gradient->rows() == T && gradient->cols() == C) return;
    constexpr bool plain = std::is_base_of_v<Eigen::PlainObjectBase<G>, G>;
    if (!plain || gradient->size() != 0)
      detail::fail_shape(name, "gradient", gradient->rows(), gradient->cols(),
                         detail::shape_text(T, C) + " (the logits' shape)" +
                             (plain ? ", or empty to be resized" : ""));
    if constexpr (plain) gradient->resize(T, C);
  }
}

template <class X, class F, class Y, class K, class W, class G, class U>
Partial<double> CTCLoss::run(const Eigen::DenseBase<X>& logits_in,
                             const Eigen::DenseBase<F>& frames, const Eigen::DenseBase<Y>& labels,
                             const Eigen::DenseBase<K>& label_counts, const W* weights, G* gradient,
                             U* unreduced) const {
  using S = typename X::Scalar;
  using Eigen::Index;
  static_assert(!std::is_integral_v<S>,
                "lossfn: logits must be floating-point (float, double, Eigen::half or "
                "Eigen::bfloat16); cast integer data with .cast<float>().");
  const detail::Input<X> logits(logits_in.derived());
  const Index T = logits.rows(), C = logits.cols(), N = frames.size();
  check_sequences(T, C, frames, labels, label_counts);
  const double total_weight = check_weights(weights, N);
  check_gradient(gradient, T, C);

  // Every input checked: the sequences, their labels and their factors
  // (the derivative of the returned value with respect to each l_n).
  using namespace detail::ctc;
  auto* spans = scratch<Span, call_slot>(static_cast<std::size_t>(N));
  auto* all_labels = scratch<std::int64_t, index_slot>(static_cast<std::size_t>(labels.size()));
  double* factors = scratch<double, call_slot>(static_cast<std::size_t>(3 * N));
  double* losses = factors + N;
  double* w = losses + N;
  for (Index i = 0; i < labels.size(); ++i)
    all_labels[i] = static_cast<std::int64_t>(labels.derived().coeff(i));
  const bool mean = reduction_ == Reduction::mean;
  Index row = 0, label = 0;
  for (Index n = 0; n < N; ++n) {
    const Index f = static_cast<Index>(frames.derived().coeff(n));
    const Index s = static_cast<Index>(label_counts.derived().coeff(n));
    spans[n] = Span{row, f, label, s};
    row += f;
    label += s;
    w[n] = 1;
    if constexpr (!std::is_same_v<W, detail::None>)
      w[n] = static_cast<double>(weights->derived().coeff(n));
    const double per_label = 1.0 / static_cast<double>(std::max<Index>(s, 1));
    factors[n] = !mean ? w[n] : total_weight > 0 ? w[n] * per_label / total_weight : 0.0;
  }
  run_batch<detail::compute_t<S>>(logits, spans, N, all_labels, static_cast<Index>(blank_),
                                  zero_infinity_, factors, w, gradient, losses);

  // The reduction, in sequence order; a sequence of weight 0 adds 0 (never 0·inf).
  Partial<double> p;
  p.reduction = reduction_;
  p.weight = total_weight;
  if constexpr (!std::is_same_v<U, detail::None>) unreduced->resize(N);
  for (Index n = 0; n < N; ++n) {
    const double term = w[n] == 0 ? 0.0 : w[n] * losses[n];
    if constexpr (!std::is_same_v<U, detail::None>)
      (*unreduced)(n) = static_cast<S>(static_cast<detail::compute_t<S>>(term));
    p.sum += mean ? term / static_cast<double>(std::max<Index>(spans[n].count, 1)) : term;
  }
  return p;
}

#undef LOSSFN_CTC_NO_HESSIAN

}  // namespace lossfn

LOSSFN_WARNINGS_ON
