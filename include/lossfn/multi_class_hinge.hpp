// lossfn — multi-class hinge loss (Weston–Watkins and Crammer–Singer).
#pragma once

#include <algorithm>

#include "detail/class_options.hpp"

namespace lossfn {

/// Multi-class hinge loss for an N x C matrix of scores f and N class indices,
/// one term per row. With z_c = margin − f_y + f_c and w the class weights:
///   Weston–Watkins (default, PyTorch's multi_margin_loss):
///     l = w_y · Σ_{c≠y} max(0, z_c)^p / C,          p = 1, or 2 with squared(true)
///   Crammer–Singer (crammer_singer(true), scikit-learn's multiclass hinge_loss):
///     l = w_y · max(0, z_{c*})^p,                    c* = argmax_{c≠y} f_c (first on ties)
/// Gradient: each active term (z > 0) adds w_y·p·z^(p−1)(/C) to f_c and
/// subtracts it from f_y; inactive terms and kinks (z = 0) add nothing.
/// Hessian diagonal: 0 for p = 1; for p = 2, 2·w_y(/C) per active term on f_c
/// and on f_y.
/// mean divides by Σ w_y over the samples (PyTorch's multi_margin_loss divides
/// by N instead; the two agree without class weights).
/// Options: margin (1), squared (false), crammer_singer (false),
/// class_weights (none), reduction (mean). PyTorch: torch.nn.MultiMarginLoss;
/// Keras: CategoricalHinge is the Crammer–Singer form with one-hot targets.
class MultiClassHinge : public detail::ClassIndexLoss<MultiClassHinge, false> {
 public:
  static constexpr const char* name = "MultiClassHinge";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true, has_lanes = true;
  static constexpr int panel_packets = 2;  // (detail/rowwise.hpp: measured at 4096 x 1000)

  MultiClassHinge& margin(double m) {
    if (!std::isfinite(m)) detail::fail_option(name, "margin", m, "is not finite");
    margin_ = m;
    return *this;
  }
  double margin() const { return margin_; }
  /// Squares each hinge term (PyTorch's p = 2).
  MultiClassHinge& squared(bool s) {
    squared_ = s;
    return *this;
  }
  bool squared() const { return squared_; }
  /// Only the most violating class counts (Crammer & Singer, 2001).
  MultiClassHinge& crammer_singer(bool v) {
    crammer_singer_ = v;
    return *this;
  }
  bool crammer_singer() const { return crammer_singer_; }

  void check_shape(Eigen::Index rows, Eigen::Index cols) const {
    ClassIndexLoss::check_shape(rows, cols);
    if (crammer_singer_ && cols < 2 && rows > 0)
      detail::fail(std::string(name) + ": pred has " + std::to_string(cols) +
                   " column(s); the Crammer-Singer variant needs at least 2 classes");
  }

  template <class Row>
  typename Row::Scalar row(const Row& r) const {
    using S = typename Row::Scalar;
    const Eigen::Index C = r.cols(), y = r.label();
    const S w = this->template class_weight<S>(y);
    const S m = static_cast<S>(margin_), fy = r.x(y);
    const S per = crammer_singer_ ? w : S(w / static_cast<S>(C));
    // The term of one violation z, and its first and second derivatives in z.
    // Arithmetic, not a branch on z: with real data z > 0 is a coin toss per
    // class, and a mispredicted branch cost more than the whole term.
    auto hinge = [&](S z, S& d1, S& d2) -> S {
      // Inactive, or the kink: subgradient 0 (z = −inf too). NaN propagates,
      // to the derivatives too: max(NaN, 0) is NaN. (z = −0, from a margin
      // of −0, gives the term −0.)
      using std::max;
      const S on = static_cast<S>(z > S(0));
      const S nan_or_zero = z != z ? z : S(0);
      const S active = max(z, S(0));
      d1 = squared_ ? S(S(2) * active * per) : S(on * per + nan_or_zero);
      d2 = squared_ ? S(on * S(S(2) * per) + nan_or_zero) : nan_or_zero;
      return squared_ ? S(active * active * per) : S(active * per);
    };
    S value(0), dy(0), hy(0);
    if (crammer_singer_) {
      Eigen::Index worst = y == 0 ? 1 : 0;
      for (Eigen::Index c = 0; c < C; ++c)
        if (c != y && (r.x(c) > r.x(worst) || r.x(c) != r.x(c))) worst = c;
      S d1, d2;
      value = hinge(m - fy + r.x(worst), d1, d2);
      if constexpr (Row::order >= 1)
        for (Eigen::Index c = 0; c < C; ++c) {
          if (c == y) continue;
          r.gradient(c, c == worst ? d1 : S(0));
          if constexpr (Row::order >= 2) r.hessian(c, c == worst ? d2 : S(0));
        }
      dy = -d1;
      hy = d2;
    } else {
      for (Eigen::Index c = 0; c < C; ++c) {
        if (c == y) continue;
        S d1, d2;
        value += hinge(m - fy + r.x(c), d1, d2);
        dy -= d1;
        hy += d2;
        if constexpr (Row::order >= 1) r.gradient(c, d1);
        if constexpr (Row::order >= 2) r.hessian(c, d2);
      }
    }
    if constexpr (Row::order >= 1) r.gradient(y, dy);
    if constexpr (Row::order >= 2) r.hessian(y, hy);
    return value;
  }

  /// W rows at once, one per SIMD lane (detail/rowwise.hpp), Weston–Watkins
  /// only (lanes_apply): row()'s arithmetic, term by term in the same order,
  /// so the same bits; the label's own column adds 0 and is written last.
  bool lanes_apply() const { return !crammer_singer_; }
  template <class Lanes>
  bool lanes(Lanes& l) const {
    using S = typename Lanes::Scalar;
    using V = typename Lanes::V;
    using detail::select;
    const Eigen::Index C = l.cols;
    const V y = l.y(), p = this->lane_class_weights(l) / V(static_cast<S>(C));
    const V base = V(static_cast<S>(margin_)) - l.x_label();
    const V scale = V::load(l.scale), zero(0), one(1), two(2);
    V value(0), dy(0), hy(0);
    for (Eigen::Index c = 0; c < C; ++c) {
      const V z = base + l.x(c);
      const auto is_y = y == V(static_cast<S>(c));
      const V on = select(z > zero, one, zero), nan_or_zero = select(z != z, z, zero);
      const V active = detail::max_nan(z, zero);
      const V d1 = squared_ ? V(two * active * p) : V(on * p + nan_or_zero);
      const V d2 = squared_ ? V(on * V(two * p) + nan_or_zero) : nan_or_zero;
      const V term = squared_ ? V(active * active * p) : V(active * p);
      value += select(is_y, zero, term);
      dy -= select(is_y, zero, d1);
      hy += select(is_y, zero, d2);
      if constexpr (Lanes::order >= 1) l.gradient(c, scale * d1);
      if constexpr (Lanes::order >= 2) l.hessian(c, scale * d2);
    }
    value.store(l.term);
    // The label's own column: its derivatives replace what the loop wrote.
    if constexpr (Lanes::order >= 1) l.at_label(scale * dy, false);
    if constexpr (Lanes::order >= 2) l.at_label(scale * hy, false, true);
    return true;
  }

 private:
  double margin_ = 1.0;
  bool squared_ = false;
  bool crammer_singer_ = false;
};

}  // namespace lossfn
