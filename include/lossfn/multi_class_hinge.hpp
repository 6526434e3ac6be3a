// lossfn — multi-class hinge loss (Weston–Watkins and Crammer–Singer).
#pragma once

#include <algorithm>

#include "detail/class_options.hpp"

LOSSFN_WARNINGS_OFF

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
                        convex = true, reads_row_runs = true, has_lanes = true;
  static constexpr int panel_packets =
      2;  // (detail/rowwise.hpp: its running values fit in registers)

  MultiClassHinge& margin(double m) & {
    if (!std::isfinite(m)) detail::fail_option(name, "margin", m, "is not finite");
    margin_ = m;
    return *this;
  }
  MultiClassHinge margin(double m) && { return std::move(this->margin(m)); }
  double margin() const { return margin_; }
  /// Squares each hinge term (PyTorch's p = 2).
  MultiClassHinge& squared(bool s) & {
    squared_ = s;
    return *this;
  }
  MultiClassHinge squared(bool s) && { return std::move(this->squared(s)); }
  bool squared() const { return squared_; }
  /// Only the most violating class counts (Crammer & Singer, 2001).
  MultiClassHinge& crammer_singer(bool v) & {
    crammer_singer_ = v;
    return *this;
  }
  MultiClassHinge crammer_singer(bool v) && { return std::move(this->crammer_singer(v)); }
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
    S value(0), dy(0), hy(0);
    if (crammer_singer_) {
      Eigen::Index worst = y == 0 ? 1 : 0;
      for (Eigen::Index c = 0; c < C; ++c)
        if (c != y && (r.x(c) > r.x(worst) || r.x(c) != r.x(c))) worst = c;
      const Term<S> t = term(S(m - fy + r.x(worst)), per);
      value = t.value;
      if constexpr (Row::order >= 1)
        for (Eigen::Index c = 0; c < C; ++c) {
          if (c == y) continue;
          r.gradient(c, c == worst ? t.d1 : S(0));
          if constexpr (Row::order >= 2) r.hessian(c, c == worst ? t.d2 : S(0));
        }
      dy = -t.d1;
      hy = t.d2;
    } else {
      // A contiguous row's whole packets on SIMD lanes, the rest term by term.
      Eigen::Index c = packets(r, S(m - fy), per, value, dy, hy);
      for (; c < C; ++c) {
        if (c == y) continue;
        const Term<S> t = term(S(m - fy + r.x(c)), per);
        value += t.value;
        dy -= t.d1;
        hy += t.d2;
        if constexpr (Row::order >= 1) r.gradient(c, t.d1);
        if constexpr (Row::order >= 2) r.hessian(c, t.d2);
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
    const V scale = V::load(l.scale), zero(0);
    V value(0), dy(0), hy(0);
    for (Eigen::Index c = 0; c < C; ++c) {
      const Term<V> t = term(V(base + l.x(c)), p);
      const auto is_y = y == V(static_cast<S>(c));
      value += select(is_y, zero, t.value);
      dy -= select(is_y, zero, t.d1);
      hy += select(is_y, zero, t.d2);
      if constexpr (Lanes::order >= 1) l.gradient(c, scale * t.d1);
      if constexpr (Lanes::order >= 2) l.hessian(c, scale * t.d2);
    }
    value.store(l.term);
    // The label's own column: its derivatives replace what the loop wrote.
    if constexpr (Lanes::order >= 1) l.at_label(scale * dy, false);
    if constexpr (Lanes::order >= 2) l.at_label(scale * hy, false, true);
    return true;
  }

 private:
  /// One violation z's term and its first and second derivatives in z,
  /// times p (w_y/C, or w_y for Crammer–Singer), on a scalar or on SIMD
  /// lanes alike. Arithmetic, not a branch on z: with real data z > 0 is a
  /// coin toss per class, and a mispredicted branch cost more than the whole
  /// term. Inactive, or the kink: subgradient 0 (z = −inf too). NaN
  /// propagates, to the derivatives too. (z = −0, from a margin of −0,
  /// gives the term −0.)
  template <class T>
  struct Term {
    T value, d1, d2;
  };
  template <class T>
  Term<T> term(const T& z, const T& p) const {
    using detail::select;
    const T zero(0), one(1), two(2);
    const T on = select(z > zero, one, zero), nan_or_zero = select(z != z, z, zero);
    const T active = detail::max_nan(z, zero);
    if (squared_)
      return {T(active * active * p), T(two * active * p), T(on * T(two * p) + nan_or_zero)};
    return {T(active * p), T(on * p + nan_or_zero), nan_or_zero};
  }

  /// Weston–Watkins along a contiguous row (a row-major pred of more than 64
  /// classes, or a tile), on SIMD lanes: the packets' terms and derivatives
  /// summed per lane, then the lanes in order, into value, dy and hy; d1 and
  /// d2 written to the row (through gradient_data() where it is contiguous).
  /// Returns the first column left to row()'s scalar loop: 0 where the row
  /// is not contiguous (or narrower than a packet), else the tail after the
  /// last whole packet. The label's lane adds 0, as row() skips it; its
  /// entries are row()'s to write. The sums' order is not the column by
  /// column one of row()'s loop and of a column-major panel's lanes: those
  /// agree with it within a few roundings, not bitwise.
  template <class Row, class S>
  Eigen::Index packets(const Row& r, S base, S per, S& value, S& dy, S& hy) const {
    if constexpr (detail::has_packet<S>) {
      using V = detail::Vec<S>;
      constexpr Eigen::Index W = V::size;
      const S* x = r.data();
      S* g = r.gradient_data();
      const Eigen::Index C = r.cols(), y = r.label();
      if (!x || C < W) return 0;
      const V vbase(base), p(per), scale(r.scale());
      V sum(0), d(0), h(0);
      Eigen::Index c = 0;
      for (; c + W <= C; c += W) {
        Term<V> t = term(V(vbase + V::load(x + c)), p);
        S part[W];
        if constexpr (Row::order >= 1) {
          if (g) {
            V(scale * t.d1).store(g + c);
          } else {
            t.d1.store(part);
            for (Eigen::Index k = 0; k < W; ++k) r.gradient(c + k, part[k]);
          }
        }
        if constexpr (Row::order >= 2) {
          t.d2.store(part);
          for (Eigen::Index k = 0; k < W; ++k) r.hessian(c + k, part[k]);
        }
        if (y >= c && y < c + W)  // the label's packet, once per row
          t = {detail::with_lane(t.value, y - c, S(0)), detail::with_lane(t.d1, y - c, S(0)),
               detail::with_lane(t.d2, y - c, S(0))};
        sum += t.value;
        d += t.d1;
        h += t.d2;
      }
      // (value, dy and hy are +0 here: the same bits as adding, or
      // subtracting, the lanes one by one.)
      value += detail::sum_in_lane_order(sum);
      dy -= detail::sum_in_lane_order(d);
      hy += detail::sum_in_lane_order(h);
      return c;
    } else {
      (void)r, (void)base, (void)per, (void)value, (void)dy, (void)hy;
      return 0;
    }
  }

  double margin_ = 1.0;
  bool squared_ = false;
  bool crammer_singer_ = false;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
