// lossfn — squared hinge loss for binary labels.
#pragma once

#include "hinge.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Squared hinge loss of a score f against a label y ∈ {−1, +1} (0 also means −1):
///   l = max(0, margin − y·f)²
///   dl/df = −2y·max(0, margin − y·f)   (continuous: 0 at the kink)
///   d²l/df² = 2 where margin − y·f > 0, else 0 (0 at the kink, where it jumps)
/// Labels as Hinge: any label but −1, 0, +1 is an error. Options: margin (1),
/// reduction (mean). PyTorch has none (the reference composes
/// relu(margin − y·f)²); Keras: SquaredHinge (margin 1).
class SquaredHinge : public detail::BinaryMarginLoss<SquaredHinge> {
 public:
  static constexpr const char* name = "SquaredHinge";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& f, const S& label) const {
    const S y = detail::signed_label(label);
    const S slack = static_cast<S>(margin_) - y * f;
    // max_nan keeps a NaN score's NaN, and gives the limit 0 for a score of ±inf on the right side.
    const S h = detail::max_nan(slack, S(0));
    detail::Derivatives<S> r;
    r.value = h * h;
    if constexpr (Order >= 1) r.first = S(-2) * y * h;
    if constexpr (Order >= 2) r.second = detail::select(slack > S(0), S(2), S(0));
    return r;
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
