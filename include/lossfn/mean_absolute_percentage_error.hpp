// lossfn — mean absolute percentage error.
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Absolute error in percent of the target, one term per coefficient,
/// d = pred − target, m = max(|t|, 1e-7) (Keras' floor, so that a target of
/// 0 gives a large finite term, not inf):
///   l = 100·|d|/m
///   dl/dp = 100·sign(d)/m, 0 at d = 0 (subgradient 0 at the kink)
///   d²l/dp² = 0 (piecewise linear in p)
/// Formed as (|d|/m)·100, so that a large |d| over a large target does not
/// overflow before the division. Convex in p; a kink at p = t.
/// Options: reduction (mean). Keras: MeanAbsolutePercentageError (identical
/// terms); scikit-learn: mean_absolute_percentage_error (a fraction, not a
/// percentage: 1/100 of l, with the floor at machine epsilon).
class MeanAbsolutePercentageError : public detail::Elementwise<MeanAbsolutePercentageError> {
 public:
  static constexpr const char* name = "MeanAbsolutePercentageError";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    using detail::select;
    const S d = p - t;
    // The floor 1e-7 is rounded to S once; a NaN target gives a NaN scale.
    const S m = detail::max_nan(detail::abs(t), static_cast<S>(1e-7));
    detail::Derivatives<S> r;
    r.value = S(detail::abs(d) / m) * S(100);
    if constexpr (Order >= 1) {
      const S slope = S(100) / m;
      r.first = select(d > S(0), slope, select(d < S(0), S(-slope), S(d * S(0))));
    }
    return r;
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
