// lossfn — log-cosh loss.
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

namespace lossfn {

/// Log-cosh loss, one term per coefficient, d = pred − target:
///   l = log(cosh d)   (≈ d²/2 for small d, ≈ |d| − log 2 for large |d|)
///   dl/dp = tanh(d),   d²l/dp² = 1 − tanh²(d) = 1/cosh²(d)
/// cosh overflows at |d| ≈ 710 and log(cosh d) cancels near 0, so neither is
/// formed: for |d| >= 1, l = |d| + log1p(exp(−2|d|)) − log 2 (the terms are
/// of l's size: no cancellation; exp(−2|d|) never overflows); for |d| < 1,
/// l = log1p(2·sinh²(d/2)) (cosh d − 1 without subtraction), a few ulp of l
/// even at d = 1e-4 where the first form would lose 8 digits. The Hessian is
/// 4e/(1 + e)² with e = exp(−2|d|): exact for small d, 0 once e underflows.
/// Options: reduction (mean). PyTorch has no log-cosh loss (the reference
/// composes it from torch ops); Keras: LogCosh (which uses the |d| form
/// throughout and loses the small-d digits).
class LogCoshLoss : public detail::Elementwise<LogCoshLoss> {
 public:
  static constexpr const char* name = "LogCoshLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    const S d = p - t, a = detail::abs(d);
    const S e = detail::exp(S(S(-2) * a));  // in [0, 1]
    const S s = detail::sinh(S(S(0.5) * a));  // may overflow where unused (|d| > 1400)
    const S small = detail::log1p(S(S(2) * s * s));
    const S large = a + detail::log1p(e) - S(0.6931471805599453);
    detail::Derivatives<S> r;
    r.value = detail::select(a < S(1), small, large);
    if constexpr (Order >= 1) r.first = detail::tanh(d);
    if constexpr (Order >= 2) {
      const S one_plus_e = S(1) + e;
      r.second = S(4) * e / (one_plus_e * one_plus_e);
    }
    return r;
  }
};

}  // namespace lossfn
