// lossfn — the public interface every loss shares, written once.
//
// A loss class derives from Elementwise<Self> or Rowwise<Self> and supplies
// its formula; this file turns that into value / gradient / fused /
// unreduced / Hessian / partial entry points, each with and without sample
// weights, each taking any Eigen dense expression.
#pragma once

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "rowwise.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

template <class P>
using scalar_of = typename P::Scalar;

template <class S>
S from_double(double v) {
  return static_cast<S>(static_cast<compute_t<S>>(v));
}

/// A call without sample weights, nothing to write yet.
inline Request<None, None, None, None> request() {
  static const None none{};
  return {&none, nullptr, nullptr, nullptr};
}
/// A call with sample weights.
template <class W>
Request<W, None, None, None> request(const Weights<W>& w) {
  return {&w.values, nullptr, nullptr, nullptr};
}

/// Every entry point, written once: each takes sample weights as an
/// optional `lossfn::weights(w)` (the pack `w...`, empty or one), builds its
/// Request by name and hands it to the loss's compute<Order>(pred, target,
/// request) — the seam through which a loss with its own traversal plugs in.
template <class Derived>
class LossApi {
 public:
  // ---- options shared by every loss -------------------------------------
  // Each setter returns *this on an lvalue and the functor by value on a
  // temporary, so that `const auto& l = Loss().option(x);` holds no dangling
  // reference.
  /// Reduction::mean (default) or Reduction::sum.
  Derived& reduction(Reduction r) & {
    reduction_ = r;
    return self();
  }
  Derived reduction(Reduction r) && { return std::move(reduction(r)); }
  Reduction reduction() const { return reduction_; }

  // Every entry point takes, after pred and target, an optional
  // `lossfn::weights(w)` and then its outputs as `lossfn::out(...)`. Each has
  // an overload that only fails to compile, chosen for any other argument
  // (an untagged vector could be weights or an output), so that the first
  // error names both tags before any driver is compiled.

  // ---- value ------------------------------------------------------------
  template <class P, class T, class... W>
  scalar_of<P> value(const Eigen::DenseBase<P>& pred, const Eigen::DenseBase<T>& target,
                     const Weights<W>&... w) const {
    return result<P>(call<0>(pred, target, request(w...)));
  }
  template <class P, class T, class... A, untagged_t<0, 0, A...> = 0>
  auto value(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }
  template <class P, class T, class... W>
  scalar_of<P> operator()(const Eigen::DenseBase<P>& pred, const Eigen::DenseBase<T>& target,
                          const Weights<W>&... w) const {
    return value(pred, target, w...);
  }
  template <class P, class T, class... A, untagged_t<0, 0, A...> = 0>
  auto operator()(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // ---- gradient -----------------------------------------------------------
  template <class P, class T, class... W>
  typename P::PlainObject gradient(const Eigen::DenseBase<P>& pred,
                                   const Eigen::DenseBase<T>& target,
                                   const Weights<W>&... w) const {
    typename P::PlainObject g(pred.rows(), pred.cols());
    call<1>(pred, target, request(w...).with_gradient(g));
    return g;
  }
  template <class P, class T, class... A, untagged_t<0, 0, A...> = 0>
  auto gradient(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // ---- fused value and gradient -------------------------------------------
  template <class P, class T, class... W>
  ValueAndGradient<scalar_of<P>, typename P::PlainObject> value_and_gradient(
      const Eigen::DenseBase<P>& pred, const Eigen::DenseBase<T>& target,
      const Weights<W>&... w) const {
    ValueAndGradient<scalar_of<P>, typename P::PlainObject> r{
        scalar_of<P>(0), typename P::PlainObject(pred.rows(), pred.cols())};
    r.value = result<P>(call<1>(pred, target, request(w...).with_gradient(r.gradient)));
    return r;
  }
  /// Fused, into the caller's storage `out(g)`: any writable dense object of
  /// pred's shape, or an empty Matrix or Array (resized): no allocation.
  template <class P, class T, class G>
  scalar_of<P> value_and_gradient(const Eigen::DenseBase<P>& pred,
                                  const Eigen::DenseBase<T>& target, Out<G> g) const {
    return result<P>(call<1>(pred, target, request().with_gradient(g.values)));
  }
  template <class P, class T, class W, class G>
  scalar_of<P> value_and_gradient(const Eigen::DenseBase<P>& pred,
                                  const Eigen::DenseBase<T>& target, const Weights<W>& w,
                                  Out<G> g) const {
    return result<P>(call<1>(pred, target, request(w).with_gradient(g.values)));
  }
  template <class P, class T, class... A, untagged_t<0, 1, A...> = 0>
  auto value_and_gradient(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // ---- second order -----------------------------------------------------
  /// The diagonal of the Hessian of the returned value with respect to pred.
  template <class P, class T, class... W>
  typename P::PlainObject hessian_diagonal(const Eigen::DenseBase<P>& pred,
                                           const Eigen::DenseBase<T>& target,
                                           const Weights<W>&... w) const {
    typename P::PlainObject h(pred.rows(), pred.cols());
    call<2>(pred, target, request(w...).with_hessian(h));
    return h;
  }
  template <class P, class T, class... A, untagged_t<0, 0, A...> = 0>
  auto hessian_diagonal(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }
  /// Value, gradient and Hessian diagonal in one pass, into the caller's
  /// storage `out(g)`, `out(h)`.
  template <class P, class T, class G, class H>
  scalar_of<P> value_gradient_hessian(const Eigen::DenseBase<P>& pred,
                                      const Eigen::DenseBase<T>& target, Out<G> g, Out<H> h) const {
    return result<P>(
        call<2>(pred, target, request().with_gradient(g.values).with_hessian(h.values)));
  }
  template <class P, class T, class W, class G, class H>
  scalar_of<P> value_gradient_hessian(const Eigen::DenseBase<P>& pred,
                                      const Eigen::DenseBase<T>& target, const Weights<W>& w,
                                      Out<G> g, Out<H> h) const {
    return result<P>(
        call<2>(pred, target, request(w).with_gradient(g.values).with_hessian(h.values)));
  }
  template <class P, class T, class... A, untagged_t<2, 2, A...> = 0>
  auto value_gradient_hessian(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&,
                              A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // ---- shards -------------------------------------------------------------
  /// The reduction's sum and denominator on this shard; partials add, and
  /// `.value()` is the value on the concatenated batch.
  template <class P, class T, class... W>
  Partial<compute_t<scalar_of<P>>> partial(const Eigen::DenseBase<P>& pred,
                                           const Eigen::DenseBase<T>& target,
                                           const Weights<W>&... w) const {
    return partial_of<P>(call<0>(pred, target, request(w...)));
  }
  template <class P, class T, class... A, untagged_t<0, 0, A...> = 0>
  auto partial(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }
  const Derived& self() const { return static_cast<const Derived&>(*this); }

  /// Runs the loss on a request (detail::request(w...) and its with_*).
  template <int Order, class P, class T, class W, class G, class H, class U>
  Partial<double> call(const Eigen::DenseBase<P>& pred, const Eigen::DenseBase<T>& target,
                       const Request<W, G, H, U>& r) const {
    return self().template compute<Order>(pred.derived(), target.derived(), r);
  }

  /// The value in pred's scalar type (through the compute type: a 16-bit pred's float).
  template <class P>
  static scalar_of<P> result(const Partial<double>& p) {
    return from_double<scalar_of<P>>(p.value());
  }
  /// The driver's double sums, unrounded, in a partial whose value() has the
  /// prediction's compute type.
  template <class P>
  static Partial<compute_t<scalar_of<P>>> partial_of(const Partial<double>& p) {
    return Partial<compute_t<scalar_of<P>>>{p.sum, p.weight, p.reduction};
  }

  Reduction reduction_ = Reduction::mean;
};

/// Base of the losses with one term per coefficient of pred.
/// unreduced() has pred's shape.
template <class Derived>
class Elementwise : public LossApi<Derived> {
 public:
  static constexpr bool row_wise = false;
  static constexpr bool per_column = false;  // true: evaluate takes a per-column parameter
  /// true: evaluate<Order> also compiles for packets (detail::Vec), and the
  /// driver runs it on SIMD lanes where the layout allows.
  static constexpr bool vectorized = false;
  static constexpr const char* pred_rule = "";
  static constexpr const char* target_rule = "";

  /// The terms before reduction (PyTorch's reduction='none'), pred's shape;
  /// with weights, the weighted terms.
  template <class P, class T, class... W>
  typename P::PlainArray unreduced(const Eigen::DenseBase<P>& pred,
                                   const Eigen::DenseBase<T>& target,
                                   const Weights<W>&... w) const {
    typename P::PlainArray u;
    this->template call<0>(pred, target, request(w...).with_terms(u));
    return u;
  }
  template <class P, class T, class... A, untagged_t<0, 0, A...> = 0>
  auto unreduced(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // Hooks a loss may hide: validation of inputs and of option lengths.
  template <class S>
  static bool pred_ok(const S&) {
    return true;
  }
  template <class S>
  static bool target_ok(const S&) {
    return true;
  }
  void check_shape(Index, Index) const {}

  template <int Order, class P, class T, class W, class G, class H, class U>
  Partial<double> compute(const P& pred, const T& target,
                          const Request<W, G, H, U>& request) const {
    static_assert(!std::is_integral_v<scalar_of<P>>,
                  "lossfn: predictions must be floating-point (float, double, Eigen::half or "
                  "Eigen::bfloat16); cast integer data with .cast<float>().");
    return run_elementwise<Order>(static_cast<const Derived&>(*this), pred, target, request);
  }
};

/// Base of the losses with one term per row of an N x C pred.
/// unreduced() has N entries.
template <class Derived>
class Rowwise : public LossApi<Derived> {
 public:
  static constexpr bool row_wise = true;
  static constexpr bool accepts_probabilities = false;
  /// Whether the loss reads its rows as contiguous runs (RowView::data(), for
  /// SIMD along the row): the driver then hands it such runs in any layout.
  static constexpr bool reads_row_runs = false;
  /// Whether the loss has `bool lanes(LaneView&)`: W rows at once, one per
  /// SIMD lane, for rows of few classes (detail/rowwise.hpp).
  static constexpr bool has_lanes = false;
  /// Whether lanes() pays only where the driver reads a column-major pred in
  /// place (a loss that reads one entry per row, NegativeLogLikelihood): any
  /// other layout then takes the rows one by one instead of lane tiles.
  static constexpr bool lanes_in_place_only = false;
  /// The packets of rows of a panel of lanes (rows of more than 64 classes
  /// of a column-major pred): 8, or 4 or 2 for a loss whose lanes() keeps
  /// more running values per lane (they must fit in registers).
  static constexpr int panel_packets = 8;
  /// Whether lanes() applies with the options set (a loss with lanes may
  /// leave some options to its rows; the driver then never fills lane tiles).
  bool lanes_apply() const { return true; }

  template <class P, class T, class... W>
  Eigen::Array<scalar_of<P>, Eigen::Dynamic, 1> unreduced(const Eigen::DenseBase<P>& pred,
                                                          const Eigen::DenseBase<T>& target,
                                                          const Weights<W>&... w) const {
    Eigen::Array<scalar_of<P>, Eigen::Dynamic, 1> u;
    this->template call<0>(pred, target, request(w...).with_terms(u));
    return u;
  }
  template <class P, class T, class... A, untagged_t<0, 0, A...> = 0>
  auto unreduced(const Eigen::DenseBase<P>&, const Eigen::DenseBase<T>&, A&&...) const {
    static_assert(dependent_false<P>, LOSSFN_UNTAGGED_ARGUMENT);
  }

  // Hooks: the default is no class weights and nothing ignored.
  bool ignored(long long) const { return false; }
  double class_weight_of(long long) const { return 1.0; }
  bool has_ignore_index() const { return false; }
  bool has_class_weights() const { return false; }
  void check_shape(Index, Index) const {}
  /// Validates row i's values before anything is written (default: nothing).
  template <class PIn, class TIn>
  void check_row(const PIn&, const TIn&, Index) const {}

  template <int Order, class P, class T, class W, class G, class H, class U>
  Partial<double> compute(const P& pred, const T& target,
                          const Request<W, G, H, U>& request) const {
    static_assert(!std::is_integral_v<scalar_of<P>>,
                  "lossfn: predictions must be floating-point (float, double, Eigen::half or "
                  "Eigen::bfloat16); cast integer data with .cast<float>().");
    return run_rowwise<Order>(static_cast<const Derived&>(*this), pred, target, request);
  }
};

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
