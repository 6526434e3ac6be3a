// lossfn — mean absolute error.
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Absolute error, one term per coefficient:  l = |d|,  d = pred − target.
///   dl/dp = sign(d) with sign(0) = 0 (PyTorch's subgradient),  d²l/dp² = 0.
/// Options: reduction (mean). PyTorch: torch.nn.L1Loss / F.l1_loss;
/// Keras: MeanAbsoluteError.
class MeanAbsoluteError : public detail::Elementwise<MeanAbsoluteError> {
 public:
  static constexpr const char* name = "MeanAbsoluteError";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    using std::abs;
    const S d = p - t;
    const S sign = detail::select(d > S(0), S(1), detail::select(d < S(0), S(-1), S(d * S(0))));
    return {abs(d), sign, S(0)};
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
