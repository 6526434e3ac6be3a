// lossfn — gamma deviance objective (log link), for gradient boosting.
#pragma once

#include <limits>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Negative log-likelihood of a gamma distribution, one term per
/// coefficient, with a log link: the prediction x is the log of the mean
/// μ = e^x, targets t > 0 (positive, skewed amounts: claim sizes, durations).
/// Without the terms that do not depend on x:
///   l = t·e^{−x} + x,   dl/dx = 1 − t·e^{−x},   d²l/dx² = t·e^{−x}  (> 0: convex)
/// Minimal at x = log t, where l = 1 + log t. At x = −inf the term is +inf,
/// its limit (t·e^{−x} − inf would be NaN).
/// Targets must be > 0 (0, a negative or a NaN target is an error); a NaN
/// prediction propagates.
/// Options: reduction (mean). XGBoost: reg:gamma (the same gradient and
/// Hessian; its gamma-nloglik metric is l plus terms in t alone);
/// scikit-learn: HalfGammaLoss (the same terms, see docs/distributions.md);
/// LightGBM: gamma.
class GammaLoss : public detail::Elementwise<GammaLoss> {
 public:
  static constexpr const char* name = "GammaLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too
  // Float data are evaluated in double (the driver widens and rounds once):
  // t·e^{−x} + x and 1 − t·e^{−x} cancel near the minimum x = log t, where
  // float's t·e^{−x} would leave hundreds of ulp of the result.
  using float_compute = double;
  static constexpr const char* target_rule = "is not a target > 0";

  template <class S>
  static auto target_ok(const S& t) {
    return t > S(0);
  }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& x, const S& t) const {
    const S scaled = t * detail::exp(S(-x));  // t·e^{−x} = t/μ
    detail::Derivatives<S> r;
    // x clamped to float's lowest finite number, so that x = −inf gives inf,
    // not inf − inf (below that clamp t·e^{−x} is inf already, for any t > 0;
    // a NaN x stays NaN: max_nan keeps it).
    r.value = scaled + detail::max_nan(x, S(std::numeric_limits<float>::lowest()));
    if constexpr (Order >= 1) r.first = S(1) - scaled;
    if constexpr (Order >= 2) r.second = scaled;
    return r;
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
