// Calls every public entry point of a loss on one input, for the tests that
// must hold for all of them (bad input is rejected by every entry point with
// the same message; NaN propagates through every one; ...).
#pragma once

#include <lossfn/lossfn.hpp>

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace entry_points {

template <class L>
constexpr bool is_rmse = std::is_same_v<L, lossfn::RootMeanSquaredError>;

/// What the loss offers: RMSE has no unreduced()/partial(), Cox no
/// partial() (traits<L>::decomposable); ZeroOneLoss has no derivatives.
template <class L>
constexpr bool has_gradient = lossfn::traits<L>::differentiable;
template <class L>
constexpr bool has_hessian = lossfn::traits<L>::twice_differentiable;
template <class L>
constexpr bool has_terms = !is_rmse<L>;

/// The value written into every output buffer before a call, so that a write
/// shows: after a rejected call it must still be there.
constexpr double sentinel = 12345.0;

/// Out-arguments of pred's shape (N x C): a plain matrix and a block inside a
/// bigger matrix (the rest of which must never change), filled with the
/// sentinel, and an empty matrix (resized by a call that succeeds).
template <class S>
struct Outputs {
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  M plain, big, resizable, hess;
  Outputs(Eigen::Index rows, Eigen::Index cols)
      : plain(M::Constant(rows, cols, S(sentinel))),
        big(M::Constant(rows + 3, cols + 2, S(sentinel))),
        resizable(),
        hess(M::Constant(rows, cols, S(sentinel))) {}
  bool untouched() const {
    auto all = [](const M& m) { return (m.array() == S(sentinel)).all(); };
    return all(plain) && all(big) && resizable.size() == 0 && all(hess);
  }
};

/// Calls f(name, call) for every entry point of `loss` on (pred, target[, w]);
/// `call()` runs it and returns nothing. Outputs go to `out`.
template <class Loss, class P, class T, class S, class F, class... W>
void for_each(const Loss& loss, const P& pred, const T& target, Outputs<S>& out, F&& f,
              const W&... w) {
  f("operator()", [&] { (void)loss(pred, target, w...); });
  f("value", [&] { (void)loss.value(pred, target, w...); });
  if constexpr (has_gradient<Loss>) {
    f("gradient", [&] { (void)loss.gradient(pred, target, w...); });
    f("value_and_gradient", [&] { (void)loss.value_and_gradient(pred, target, w...); });
    f("value_and_gradient(out)",
      [&] { (void)loss.value_and_gradient(pred, target, w..., lossfn::out(out.plain)); });
    f("value_and_gradient(block)", [&] {
      (void)loss.value_and_gradient(pred, target, w...,
                                    lossfn::out(out.big.block(1, 2, pred.rows(), pred.cols())));
    });
    f("value_and_gradient(resizable)",
      [&] { (void)loss.value_and_gradient(pred, target, w..., lossfn::out(out.resizable)); });
  }
  if constexpr (has_hessian<Loss>) {
    f("hessian_diagonal", [&] { (void)loss.hessian_diagonal(pred, target, w...); });
    f("value_gradient_hessian", [&] {
      (void)loss.value_gradient_hessian(pred, target, w..., lossfn::out(out.plain),
                                        lossfn::out(out.hess));
    });
  }
  if constexpr (has_terms<Loss>) f("unreduced", [&] { (void)loss.unreduced(pred, target, w...); });
  if constexpr (lossfn::traits<Loss>::decomposable)
    f("partial", [&] { (void)loss.partial(pred, target, w...); });
}

/// Bitwise equality of two dense objects (NaN equals itself).
template <class A, class B>
bool same_bits(const Eigen::DenseBase<A>& a, const Eigen::DenseBase<B>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const auto x = a.derived().coeff(i, j);
      const auto y = b.derived().coeff(i, j);
      static_assert(sizeof(x) == sizeof(y));
      if (std::memcmp(&x, &y, sizeof(x)) != 0) return false;
    }
  return true;
}

}  // namespace entry_points
