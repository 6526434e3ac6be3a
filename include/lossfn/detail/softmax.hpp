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
};

template <class Row>
LogSumExp<typename Row::Scalar> log_sum_exp(const Row& row) {
  using S = typename Row::Scalar;
  using std::exp;
  using std::log;
  constexpr S inf = std::numeric_limits<S>::infinity();
  const Eigen::Index C = row.cols();
  S m = -inf;
  bool nan = false;
  int infinite = 0;
  for (Eigen::Index c = 0; c < C; ++c) {
    const S x = row.x(c);
    nan = nan || x != x;
    infinite += x == inf;
    m = x > m ? x : m;
  }
  nan = nan || infinite > 1;  // two +inf logits: the softmax has no limit
  if (nan) return {std::numeric_limits<S>::quiet_NaN(), std::numeric_limits<S>::quiet_NaN()};
  if (m == -inf) return {std::numeric_limits<S>::quiet_NaN(), S(0)};  // all −inf: no softmax
  if (m == inf) return {m, S(0)};
  S sum(0);
  for (Eigen::Index c = 0; c < C; ++c) sum += exp(row.x(c) - m);
  return {m, log(sum)};
}

}  // namespace lossfn::detail
