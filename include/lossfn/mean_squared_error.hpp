// lossfn — mean squared error.
#pragma once

#include "detail/loss.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Squared error, one term per coefficient:  l = d²,  d = pred − target.
///   dl/dp = 2d,   d²l/dp² = 2.
/// Options: reduction (mean). PyTorch: torch.nn.MSELoss / F.mse_loss;
/// Keras: MeanSquaredError.
class MeanSquaredError : public detail::Elementwise<MeanSquaredError> {
 public:
  static constexpr const char* name = "MeanSquaredError";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    const S d = p - t;
    return {d * d, S(2) * d, S(2)};
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
