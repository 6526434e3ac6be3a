// lossfn — smooth L1 loss.
#pragma once

#include <cmath>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Smooth L1 loss, one term per coefficient, d = pred − target, β = beta:
///   l = d²/(2β)          where |d| < β
///     = |d| − β/2        elsewhere
///   dl/dp = clamp(d/β, −1, 1)   (continuous: ±1 at the kink |d| = β)
///   d²l/dp² = 1/β where |d| < β, else 0 (0 at the kink)
/// It is HuberLoss with delta β, divided by β. β = 0 is exactly
/// MeanAbsoluteError: l = |d|, subgradient sign(d) with sign(0) = 0, Hessian 0
/// (PyTorch's smooth_l1_loss with beta 0 gives −1 at d = 0; lossfn keeps the
/// MeanAbsoluteError convention there).
/// Options: beta (1, >= 0), reduction (mean). PyTorch: torch.nn.SmoothL1Loss /
/// F.smooth_l1_loss; Keras has no equivalent (Huber differs by the factor β).
class SmoothL1Loss : public detail::Elementwise<SmoothL1Loss> {
 public:
  static constexpr const char* name = "SmoothL1Loss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  /// The width β >= 0 of the quadratic part; 0 makes this MeanAbsoluteError.
  SmoothL1Loss& beta(double b) & {
    if (!(b >= 0) || !std::isfinite(b))
      detail::fail_option(name, "beta", b, "is not a finite number >= 0");
    beta_ = b;
    return *this;
  }
  SmoothL1Loss beta(double b) && { return std::move(this->beta(b)); }
  double beta() const { return beta_; }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    using detail::select;
    const S d = p - t, a = detail::abs(d);
    detail::Derivatives<S> r;
    if (beta_ == 0) {  // an option, not a value: the same branch for every lane
      r.value = a;
      if constexpr (Order >= 1)
        r.first = select(d > S(0), S(1), select(d < S(0), S(-1), S(d * S(0))));
      return r;  // second derivative 0
    }
    const S beta = static_cast<S>(beta_);
    const auto inside = a < beta;
    r.value = select(inside, S(S(0.5) * d * d / beta), S(a - S(0.5) * beta));
    // Outside, sign(d) (0 at d = 0, NaN for NaN), not d / β clamped to ±1: a
    // β > 0 that rounds to 0 in S (4.9e-324 in float) would give 0 / 0 at d = 0.
    if constexpr (Order >= 1)
      r.first =
          select(inside, S(d / beta), select(d > S(0), S(1), select(d < S(0), S(-1), S(d * S(0)))));
    if constexpr (Order >= 2) r.second = select(inside, S(S(1) / beta), S(0));
    return r;
  }

 private:
  double beta_ = 1.0;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
