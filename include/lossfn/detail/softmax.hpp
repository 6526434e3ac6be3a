// lossfn — log-softmax of one row, shared by the softmax losses.
#pragma once

#include <cmath>
#include <limits>

#include "math.hpp"

namespace lossfn::detail {

/// log Σ_c exp(x_c) of a row, as m + log Σ exp(x_c − m) with m = max x: no
/// overflow, and the largest term is exactly 1, so the sum is in [1, C] and
/// its log loses nothing. A NaN in the row makes the result NaN.
/// A row whose maximum is +inf has log-sum-exp +inf; one that is all −inf, −inf.
template <class Row>
typename Row::Scalar log_sum_exp(const Row& row) {
  using S = typename Row::Scalar;
  using std::exp;
  using std::log;
  const Eigen::Index C = row.cols();
  S m = -std::numeric_limits<S>::infinity();
  bool nan = false;
  for (Eigen::Index c = 0; c < C; ++c) {
    const S x = row.x(c);
    nan = nan || x != x;
    m = x > m ? x : m;
  }
  if (nan) return std::numeric_limits<S>::quiet_NaN();
  if (!(m > -std::numeric_limits<S>::infinity()) || !(m < std::numeric_limits<S>::infinity()))
    return m;  // every logit -inf, or some +inf: the limit
  S sum(0);
  for (Eigen::Index c = 0; c < C; ++c) sum += exp(row.x(c) - m);
  return m + log(sum);
}

/// The softmax probability of class c, exp(x_c − lse), 0 where x_c = −inf and
/// 1 for the +inf logit of a row whose log-sum-exp is +inf.
template <class S>
S softmax_from(const S& x, const S& lse) {
  using std::exp;
  if (lse == std::numeric_limits<S>::infinity()) return S(x == lse ? 1 : 0);
  return exp(x - lse);
}

/// log softmax_c = x_c − lse, with the limits of an infinite row.
template <class S>
S log_softmax_from(const S& x, const S& lse) {
  if (lse == std::numeric_limits<S>::infinity())
    return x == lse ? S(0) : -std::numeric_limits<S>::infinity();
  return x - lse;
}

}  // namespace lossfn::detail
