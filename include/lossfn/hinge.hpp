// lossfn — hinge loss for binary labels.
#pragma once

#include <cmath>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

namespace detail {
/// Binary labels: +1 positive; −1 or 0 negative (so {0, 1} labels work, as in Keras).
template <class S>
inline auto is_binary_label(const S& y) {
  return y == S(1) || y == S(-1) || y == S(0);
}
template <class S>
inline S signed_label(const S& y) {
  return select(y > S(0), S(1), S(-1));
}

/// What Hinge and SquaredHinge share: binary labels (checked) and the margin option.
template <class Derived>
class BinaryMarginLoss : public Elementwise<Derived> {
 public:
  static constexpr const char* target_rule = "is not a binary label (-1, 0 or +1)";

  template <class S>
  static auto target_ok(const S& y) {
    return is_binary_label(y);
  }

  /// The margin (1): a score must exceed it, with the label's sign, to cost nothing.
  Derived& margin(double m) & {
    if (!std::isfinite(m)) fail_option(Derived::name, "margin", m, "is not finite");
    margin_ = m;
    return static_cast<Derived&>(*this);
  }
  Derived margin(double m) && { return std::move(this->margin(m)); }
  double margin() const { return margin_; }

 protected:
  double margin_ = 1.0;
};
}  // namespace detail

/// Hinge loss of a score f against a label y ∈ {−1, +1} (0 also means −1):
///   l = max(0, margin − y·f)
///   dl/df = −y where margin − y·f > 0, else 0 (0 at the kink);  d²l/df² = 0.
/// Options: margin (1), reduction (mean). Any other label is an error.
/// PyTorch has no binary hinge (this is relu(margin − y·f)); Keras: Hinge.
class Hinge : public detail::BinaryMarginLoss<Hinge> {
 public:
  static constexpr const char* name = "Hinge";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& f, const S& label) const {
    const S y = detail::signed_label(label);
    const S slack = static_cast<S>(margin_) - y * f;
    const auto active = slack > S(0);
    // 0, or NaN when f is NaN: it must propagate (0·f would also turn f = ±inf,
    // whose limits are finite, into NaN).
    const S nan_guard = detail::select(f != f, f, S(0));
    return {detail::select(active, slack, S(0)) + nan_guard,
            detail::select(active, S(-y), S(0)) + nan_guard, S(0)};
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
