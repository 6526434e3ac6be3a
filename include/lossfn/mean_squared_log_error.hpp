// lossfn — mean squared logarithmic error.
#pragma once

#include <limits>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Squared error of log(1 + ·), one term per coefficient, for p, t > −1:
///   r = log1p(p) − log1p(t),   l = r²
///   dl/dp = 2r/(1 + p),        d²l/dp² = 2(1 − r)/(1 + p)²
/// The Hessian is exact: negative where r > 1 (p > e·(1 + t) − 1), so the
/// loss is not convex in p (a Newton step needs a floor there; XGBoost
/// floors its Hessian at 1e-6). r is formed from the ratio (1 + p)/(1 + t)
/// and p − t (log_ratio below), which keeps its digits where p is near t
/// (the difference of two log1p would cancel there). At p = +inf: l = inf, dl/dp = 0 and d²l/dp² =
/// 0, the limits. Targets must be finite and > −1, predictions > −1 (anything else is an error,
/// except a NaN prediction, which propagates). Options: reduction (mean). Keras:
/// MeanSquaredLogarithmicError (which clips p and t at 1e-7 from below, and so differs for p or t <
/// 1e-7); XGBoost: reg:squaredlogerror, whose terms are l/2 (p clamped at −1 + 1e-6, Hessian
/// floored at 1e-6); scikit-learn: mean_squared_log_error.
class MeanSquaredLogError : public detail::Elementwise<MeanSquaredLogError> {
 public:
  static constexpr const char* name = "MeanSquaredLogError";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = false;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too
  // Float data are evaluated in double (the driver widens and rounds once):
  // in float, log's 2 ulp in r double in r² (7 ulp) and 1 − r cancels in
  // the Hessian near r = 1.
  using float_compute = double;
  static constexpr const char* pred_rule = "is <= -1 (log1p(pred) needs pred > -1)";
  static constexpr const char* target_rule = "is not a finite number > -1";

  template <class S>
  static auto pred_ok(const S& p) {
    return !(p <= S(-1));  // a NaN prediction is not an error: it propagates
  }
  template <class S>
  static auto target_ok(const S& t) {
    return t > S(-1) && t < S(infinity);
  }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    const S r = log_ratio(p, t);
    detail::Derivatives<S> out;
    out.value = r * r;
    // 1/(1 + p), and r capped at 1e6 (beyond any finite r: |r| < 800 in
    // double) so that p = +inf gives the limit 0·(finite) = 0, not 0·inf.
    const S inverse = S(1) / S(S(1) + p);
    const S capped = detail::min_nan(r, S(1e6));
    if constexpr (Order >= 1) out.first = S(2) * capped * inverse;
    if constexpr (Order >= 2) out.second = S(S(2) * S(S(1) - capped) * inverse) * inverse;
    return out;
  }

 private:
  static constexpr double infinity = std::numeric_limits<double>::infinity();

  /// r = log((1 + p)/(1 + t)) to a few ulp for every p, t > −1, by Kahan's
  /// log1p trick: with w = (1 + p)/(1 + t) rounded, r = log(w)·k where
  /// k = (p − t)/((w − 1)(1 + t)) is 1 up to w's rounding; log(w)/(w − 1)
  /// varies slowly, so w's rounding error barely moves r, and p − t keeps
  /// its digits where p is near t (the difference of two log1p, or log(w)
  /// alone, would cancel there). r = (p − t)/(1 + t) where w rounds to 1.
  template <class S>
  static S log_ratio(const S& p, const S& t) {
    using detail::select;
    const S above = S(1) + t, w = S(S(1) + p) / above, d = p - t;
    const S k = d / S(S(w - S(1)) * above);
    // Where w is inf (p = inf, or p near float's largest over a tiny 1 + t)
    // r is log(w) = inf; where w is NaN, NaN.
    const S r = detail::log(w) * select(w < S(infinity), k, S(1));
    return select(w == S(1), S(d / above), r);
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
