// lossfn — log-cosh loss.
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Log-cosh loss, one term per coefficient, d = pred − target:
///   l = log(cosh d)   (≈ d²/2 for small d, ≈ |d| − log 2 for large |d|)
///   dl/dp = tanh(d),   d²l/dp² = 1 − tanh²(d) = 1/cosh²(d)
/// cosh overflows at |d| ≈ 710 and log(cosh d) cancels near 0, so neither is
/// formed. With a = |d|, e = exp(−2a) ∈ [0, 1] and c = cosh a − 1 = 2·sinh²(a/2):
///   a ≥ 1:  l = a + log1p(e) − log 2,   tanh a = (1 − e)/(1 + e)
///   a < 1:  l = log1p(c),               tanh a = sinh a / cosh a = 2s·√(1 + s²)/(1 + c), s =
///   sinh(a/2)
/// Every term is of its result's size (no cancellation: the small-d forms
/// keep all digits at d = 1e-4, where the first would lose 8), exp(−2a) never
/// overflows, and both log1p arguments are in [0, 1] (the cheap log1p_unit).
/// The Hessian is 4e/(1 + e)²: exact for small d, 0 once e underflows.
/// Options: reduction (mean). PyTorch has no log-cosh loss (the reference
/// composes it from torch ops); Keras: LogCosh (which uses the |d| form
/// throughout and loses the small-d digits).
class LogCoshLoss : public detail::Elementwise<LogCoshLoss> {
 public:
  static constexpr const char* name = "LogCoshLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    using detail::select;
    const S d = p - t, a = detail::abs(d);
    const S e = detail::exp_nonpositive(S(S(-2) * a));  // in [0, 1]
    const S s = detail::sinh(S(S(0.5) * a));            // may overflow where unused (a > 1400)
    const S c = S(2) * s * s;                           // cosh a − 1, in [0, 0.55] where used
    const auto small = a < S(1);
    detail::Derivatives<S> r;
    r.value =
        select(small, detail::log1p_unit(c), S(a + detail::log1p_unit(e) - S(0.6931471805599453)));
    if constexpr (Order >= 1) {
      const S tanh_a = select(small, S(S(2) * s * detail::sqrt(S(S(1) + s * s)) / (S(1) + c)),
                              S((S(1) - e) / (S(1) + e)));
      r.first = select(d < S(0), S(-tanh_a), tanh_a);  // tanh d; NaN stays NaN
    }
    if constexpr (Order >= 2) {
      const S one_plus_e = S(1) + e;
      r.second = S(4) * e / (one_plus_e * one_plus_e);
    }
    return r;
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
