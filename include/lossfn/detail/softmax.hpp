// lossfn — log-softmax of one row, shared by the softmax losses.
#pragma once

#include <cmath>
#include <Eigen/Core>
#include <limits>

#include "math.hpp"

namespace lossfn::detail {

/// log Σ_c exp(x_c) of a row, kept as its two parts m = max x and
/// log Σ exp(x_c − m). The largest term is exactly 1, so the sum is in [1, C]
/// and nothing overflows; and log softmax_c = (x_c − m) − log_sum subtracts
/// the two parts separately, so that a large m (logits of 1e4 in float, where
/// m + log 2 would round to a multiple of 1e-3) costs no precision.
template <class S>
struct LogSumExp {
  S max;
  S log_sum;
  /// Σ_{c ≠ argmax} exp(x_c − m): the sum less its largest term, exactly 1,
  /// kept apart so that 1 − softmax of the largest logit keeps its digits
  /// (complement()).
  S rest = S(0);
  Eigen::Index argmax = 0;  // the first largest logit

  /// log softmax_c, with the limits of a row holding +inf (0 for the infinite
  /// logit, −inf for the others) and NaN for a row holding NaN.
  S log_softmax(const S& x) const {
    if (max == std::numeric_limits<S>::infinity())
      return x == max ? S(0) : -std::numeric_limits<S>::infinity();
    return (x - max) - log_sum;
  }
  S softmax(const S& x) const {
    using std::exp;
    return exp(log_softmax(x));
  }
  /// 1 − softmax_c for the logit x of class c. For the largest logit it is
  /// rest / (1 + rest), not 1 − s: where s rounds to 1 (a logit 40 above the
  /// others in double, 17 in float) the subtraction gives 0, while the true
  /// complement, and with it the Hessian s·(1 − s), is e^-40 or so.
  S complement(Eigen::Index c, const S& x) const {
    if (c == argmax && max != std::numeric_limits<S>::infinity()) return rest / (S(1) + rest);
    return S(1) - softmax(x);
  }
};

template <class Row>
LogSumExp<typename Row::Scalar> log_sum_exp(const Row& row) {
  using S = typename Row::Scalar;
  using std::exp;
  using std::log;
  constexpr S inf = std::numeric_limits<S>::infinity();
  const Eigen::Index C = row.cols();
  S m = -inf;
  Eigen::Index argmax = 0;
  bool nan = false;
  int infinite = 0;
  for (Eigen::Index c = 0; c < C; ++c) {
    const S x = row.x(c);
    nan = nan || x != x;
    infinite += x == inf;
    if (x > m) {
      m = x;
      argmax = c;
    }
  }
  nan = nan || infinite > 1;  // two +inf logits: the softmax has no limit
  constexpr S nan_value = std::numeric_limits<S>::quiet_NaN();
  if (nan) return {nan_value, nan_value, nan_value, argmax};
  if (m == -inf) return {nan_value, S(0), nan_value, argmax};  // all −inf: no softmax
  if (m == inf) return {m, S(0), S(0), argmax};
  S rest(0);
  for (Eigen::Index c = 0; c < C; ++c)
    if (c != argmax) rest += exp(row.x(c) - m);
  // log(1 + rest) as before (PyTorch's rounding of the log-sum, which the
  // reference values of log-softmax carry); rest itself serves complement().
  return {m, log(S(1) + rest), rest, argmax};
}

}  // namespace lossfn::detail
