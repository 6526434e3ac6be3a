// lossfn — log-softmax of one row, shared by the softmax losses.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

#include "math.hpp"
#include "packet.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

/// log Σ_c exp(x_c) of a row, kept as its two parts m = max x and
/// log Σ exp(x_c − m). The largest term is exactly 1, so the sum is in [1, C]
/// and nothing overflows; and log softmax_c = (x_c − m) − log_sum subtracts
/// the two parts separately, so that a large m (logits of 1e4 in float, where
/// m + log 2 would round to a multiple of 1e-3) costs no precision.
template <class S>
struct LogSumExp {
  S max;
  S log_sum;
  /// Σ_{c ≠ argmax} exp(x_c − m): the sum less its largest term, exactly 1,
  /// kept apart so that 1 − softmax of the largest logit keeps its digits
  /// (complement()).
  S rest = S(0);
  Eigen::Index argmax = 0;  // the first largest logit

  /// log softmax_c, with the limits of a row holding +inf (0 for the infinite
  /// logit, −inf for the others) and NaN for a row holding NaN.
  S log_softmax(const S& x) const {
    if (max == std::numeric_limits<S>::infinity())
      return x == max ? S(0) : -std::numeric_limits<S>::infinity();
    return (x - max) - log_sum;
  }
  /// log softmax_c of class c with logit x, to full precision also for the
  /// largest logit: −log1p(rest) there, where (x − m) − log(1 + rest) rounds
  /// 1 + rest first (a logit 17 above the others in float gives exactly 0).
  S log_softmax(Eigen::Index c, const S& x) const {
    using std::log1p;
    if (c == argmax && max != std::numeric_limits<S>::infinity() && max == max) return -log1p(rest);
    return log_softmax(x);
  }
  S softmax(const S& x) const {
    using std::exp;
    return exp(log_softmax(x));
  }
  /// 1 − softmax_c for the logit x of class c. For the largest logit it is
  /// rest / (1 + rest), not 1 − s: where s rounds to 1 (a logit 40 above the
  /// others in double, 17 in float) the subtraction gives 0, while the true
  /// complement, and with it the Hessian s·(1 − s), is e^-40 or so.
  S complement(Eigen::Index c, const S& x) const {
    if (c == argmax && max != std::numeric_limits<S>::infinity()) return rest / (S(1) + rest);
    return S(1) - softmax(x);
  }
};

/// The largest of a contiguous row of at least one packet, on SIMD lanes;
/// false if that largest is +inf, NaN or −inf (a row holding +inf, or all
/// −inf: the scalar log_sum_exp handles those limits). Four running maxima,
/// one max instruction per packet and no masks: a NaN logit is not looked
/// for here (max may drop it), but it makes the row's sum of exponentials
/// NaN, which log_sum_exp_packets checks.
template <class S>
bool row_max_packets(const S* x, Eigen::Index C, S& max) {
  using V = Vec<S>;
  using P = typename V::Packet;
  constexpr Eigen::Index W = V::size;
  constexpr S inf = std::numeric_limits<S>::infinity();
  P m0 = pk::pset1<P>(-inf), m1 = m0, m2 = m0, m3 = m0;
  Eigen::Index c = 0;
  for (; c + 4 * W <= C; c += 4 * W) {
    m0 = pk::pmax(m0, pk::ploadu<P>(x + c));
    m1 = pk::pmax(m1, pk::ploadu<P>(x + c + W));
    m2 = pk::pmax(m2, pk::ploadu<P>(x + c + 2 * W));
    m3 = pk::pmax(m3, pk::ploadu<P>(x + c + 3 * W));
  }
  for (; c + W <= C; c += W) m0 = pk::pmax(m0, pk::ploadu<P>(x + c));
  S lanes[W];
  pk::pstoreu(lanes, pk::pmax(pk::pmax(m0, m1), pk::pmax(m2, m3)));
  S m = lanes[0];
  for (Eigen::Index l = 1; l < W; ++l) m = lanes[l] > m ? lanes[l] : m;
  for (; c < C; ++c)
    if (x[c] > m) m = x[c];
  max = m;
  return m > -inf && m < inf;
}

/// Σ_{c ≠ argmax} e_c of the row's exponentials e_c = exp(x_c − m), on SIMD
/// lanes, each lane summing its own columns and the lanes then added in
/// order, and argmax, the first column holding m (a NaN is never there). The
/// packets are compared with m until the first that holds it, whose lane
/// argmax then adds 0, not its e_c = 1 — no pass of its own, no select in
/// every packet. With `out`, e_c is also written to out[c]: one exp per
/// logit serves the sum and the gradient (or a softmax; out may be x, each
/// x[c] is read before out[c] is written).
template <class S>
S sum_exp_packets(const S* x, Eigen::Index C, S m, Eigen::Index& argmax, S* out) {
  using V = Vec<S>;
  constexpr Eigen::Index W = V::size;
  const V vm(m);
  V sum(0);
  argmax = -1;
  Eigen::Index c = 0;
  for (; c + W <= C; c += W) {
    const V v = V::load(x + c);
    V e = exp_nonpositive(V(v - vm));
    if (out) e.store(out + c);
    if (argmax < 0 && (v == vm).any()) {  // the first packet holding m
      S lanes[W];                         // (v's lanes, not x: out may be x itself)
      v.store(lanes);
      Eigen::Index k = 0;
      while (lanes[k] != m) ++k;
      e = with_lane(e, k, S(0));
      argmax = c + k;
    }
    sum += e;
  }
  S rest = sum_in_lane_order(sum);
  for (; c < C; ++c) {
    const S xc = x[c];
    const S e = exp(S(xc - m));
    if (out) out[c] = e;
    if (argmax < 0 && xc == m)
      argmax = c;
    else
      rest += e;
  }
  return rest;
}

/// log_sum_exp of a contiguous row of at least one packet, on SIMD lanes;
/// false for a row holding NaN or +inf (or all −inf).
template <class S>
bool log_sum_exp_packets(const S* x, Eigen::Index C, LogSumExp<S>& out, S* exps = nullptr) {
  S m;
  Eigen::Index argmax;
  if (!row_max_packets(x, C, m)) return false;
  const S rest = sum_exp_packets(x, C, m, argmax, exps);
  if (!(rest <= static_cast<S>(C))) return false;  // NaN: a NaN logit
  out = {m, log(S(1) + rest), rest, argmax};
  return true;
}

/// The fast path of a softmax loss's gradient: for a row given as a
/// contiguous run of at least one packet, with a contiguous gradient row and
/// finite logits, writes e_c = exp(x_c − max) to the gradient row (one exp
/// per logit, on SIMD lanes; softmax_c = e_c / (1 + lse.rest)) and returns
/// that row; else nullptr, and the loss takes its general path.
template <class Row>
typename Row::Scalar* exps_into_gradient(const Row& row, LogSumExp<typename Row::Scalar>& lse) {
  using S = typename Row::Scalar;
  if constexpr (has_packet<S>) {
    S* g = row.gradient_data();
    if (g && row.data() && row.cols() >= Vec<S>::size &&
        log_sum_exp_packets(row.data(), row.cols(), lse, g))
      return g;
  }
  return nullptr;
}

/// The softmax of W rows at once, one row per SIMD lane (a LaneView,
/// detail/rowwise.hpp): per lane the largest logit m, its first column
/// argmax, rest = Σ_{c ≠ argmax} e_c with e_c = exp(x_c − m) — the same
/// quantities as LogSumExp — and the label's logit x_y. false if an active
/// lane holds NaN or +inf (or a panel's lane starts with −inf): the driver
/// then takes those rows one by one.
///
/// On one packet of rows (≤ 64 classes, in L1) two passes, the maximum and
/// then the exponentials, e_c written to the view's tile (order ≥ 1, l.e:
/// on the stack, not in the caller's gradient) for lanes_softmax_gradient
/// and e() to read back. A panel (wide rows of a
/// column-major pred) makes one pass instead, online: where a column's logit
/// exceeds the running maximum, rest becomes (rest + 1)·exp(m − x) and m
/// becomes x, else rest gains exp(x − m) — one exp per logit either way. Its
/// gradient pass takes exp(x_c − m) again: two exps per logit, but two passes
/// over memory rather than three plus a reread of the gradient, and a
/// panel's columns lie N entries apart (16 KB at N = 4096), where no cache
/// keeps them between passes. The rescalings (one per new running maximum: about ln C
/// for a row in random order, C for ascending logits) round as often as the
/// sum's additions do, so the bound on rest's rounding error stays of the
/// order of the sequential sum's, C·ε.
template <class V>
struct LaneSoftmax {
  V max, argmax, rest, x_y;
  /// e_c = exp(x_c − max) of column c: read back from the tile where
  /// lanes_softmax wrote it, recomputed on a panel.
  template <class L>
  V e(const L& l, Eigen::Index c) const {
    if constexpr (L::panel)
      return exp_nonpositive(V(l.x(c) - max));
    else
      return l.e(c);
  }
};
template <bool with_argmax = true, class L>
bool lanes_softmax(const L& l, LaneSoftmax<typename L::V>& out) {
  using S = typename L::Scalar;
  using V = typename L::V;
  constexpr S inf = std::numeric_limits<S>::infinity();
  const Eigen::Index C = l.cols;
  V m(-inf), argmax(0), rest(0);
  if constexpr (L::panel) {
    for (Eigen::Index c = 0; c < C; ++c) {
      const V x = l.x(c);
      const auto larger = m < x;  // false for NaN: found below, by its sum
      const V e = exp_nonpositive(V(-abs(V(x - m))));
      rest = select(larger, V(V(rest + V(1)) * e), V(rest + e));
      m = select(larger, x, m);
      argmax = select(larger, V(static_cast<S>(c)), argmax);
    }
  } else {
    // The maximum in four running maxima (dependency chains a quarter as
    // long; max may drop a NaN, whose exponential makes the sum NaN below).
    // Then one pass: the exponentials, rest = the sum of those of the
    // columns below the maximum plus 1 for each further column equal to it
    // (ties: each e_c is exactly 1), the label's logit x_y, and — for a
    // loss that asks (with_argmax) — the first column equal to the maximum.
    // A running column index serves the compares: no conversion and
    // broadcast of c per column.
    auto larger = [](const V& a, const V& b) { return V(pk::pmax(a.p, b.p)); };
    V m1(-inf), m2(-inf), m3(-inf);
    Eigen::Index c = 0;
    for (; c + 4 <= C; c += 4) {
      m = larger(m, l.x(c));
      m1 = larger(m1, l.x(c + 1));
      m2 = larger(m2, l.x(c + 2));
      m3 = larger(m3, l.x(c + 3));
    }
    for (; c < C; ++c) m = larger(m, l.x(c));
    m = larger(larger(m, m1), larger(m2, m3));
    const V labels = l.y(), one(1);
    V column(0), ties(0), x_y(0);
    [[maybe_unused]] auto found = column != column;  // (all false)
    for (c = 0; c < C; ++c, column += one) {
      const V x = l.x(c);
      const V e = exp_nonpositive(V(x - m));
      if constexpr (L::order >= 1) l.e(c, e);
      const auto top = x == m;
      rest += select(top, V(0), e);
      ties += select(top, one, V(0));
      x_y = select(labels == column, x, x_y);
      if constexpr (with_argmax) {
        argmax = select(top && !found, column, argmax);
        found = found || top;
      }
    }
    rest += ties - one;  // 0 but for ties (and for a lane of NaN, bad below)
    out = {m, argmax, rest, x_y};
  }
  // A lane holding +inf has m = +inf; all −inf, m = −inf; a NaN makes its
  // rest NaN (exp(NaN − m)): those rows are not for the lanes (unless the
  // lane is inactive: the driver drops what it computes).
  const auto bad = !(m < V(inf) && m > V(-inf) && rest <= V(static_cast<S>(C)));
  if (bad.any()) {
    S lanes[L::width];
    select(bad, V(1), V(0)).store(lanes);
    for (Eigen::Index k = 0; k < L::width; ++k)
      if (lanes[k] != S(0) && l.active[k]) return false;
  }
  if constexpr (L::panel) out = {m, argmax, rest, l.x_label()};
  return true;
}

/// The gradient of a softmax loss on lanes, in one pass over the columns:
/// column c is e_c·multiplier, and each lane's label entry is then
/// label_entry (add = false) or gains it (add = true). each_column(c, e_c)
/// is called first in the same pass (a loss's Hessian entries: no second
/// pass, no second exp on a panel). On one packet of rows the label's entry
/// is a select per column; on a panel e_c is recomputed (LaneSoftmax::e)
/// and the label's entries are a store per lane after the pass.
template <class L, class V, class F>
void lanes_softmax_gradient(const L& l, const LaneSoftmax<V>& sm, const V& multiplier,
                            const V& label_entry, bool add, F&& each_column) {
  [[maybe_unused]] const V labels = l.y();  // (one packet of rows: the selects)
  [[maybe_unused]] V column(0);             // (a running index: no broadcast of c)
  for (Eigen::Index c = 0; c < l.cols; ++c) {
    const V e = sm.e(l, c);
    each_column(c, e);
    V g = e * multiplier;
    if constexpr (!L::panel) {
      g = select(labels == column, add ? V(g + label_entry) : label_entry, g);
      column += V(1);
    }
    l.gradient(c, g);
  }
  if constexpr (L::panel) l.at_label(label_entry, add);
}

/// out[c] *= a for c < C, on SIMD lanes.
template <class S>
void scale_run(S* out, Eigen::Index C, S a) {
  Eigen::Index c = 0;
  if constexpr (has_packet<S>) {
    const Vec<S> va(a);
    for (; c + Vec<S>::size <= C; c += Vec<S>::size) (Vec<S>::load(out + c) * va).store(out + c);
  }
  for (; c < C; ++c) out[c] *= a;
}

template <class Row>
LogSumExp<typename Row::Scalar> log_sum_exp(const Row& row) {
  using S = typename Row::Scalar;
  if constexpr (has_packet<S>) {
    LogSumExp<S> fast;
    if (row.data() && row.cols() >= Vec<S>::size &&
        log_sum_exp_packets(row.data(), row.cols(), fast))
      return fast;
  }
  using std::exp;
  using std::log;
  constexpr S inf = std::numeric_limits<S>::infinity();
  const Eigen::Index C = row.cols();
  S m = -inf;
  Eigen::Index argmax = 0;
  bool nan = false;
  int infinite = 0;
  for (Eigen::Index c = 0; c < C; ++c) {
    const S x = row.x(c);
    nan = nan || x != x;
    infinite += x == inf;
    if (x > m) {
      m = x;
      argmax = c;
    }
  }
  nan = nan || infinite > 1;  // two +inf logits: the softmax has no limit
  constexpr S nan_value = std::numeric_limits<S>::quiet_NaN();
  if (nan) return {nan_value, nan_value, nan_value, argmax};
  if (m == -inf) return {nan_value, S(0), nan_value, argmax};  // all −inf: no softmax
  if (m == inf) return {m, S(0), S(0), argmax};
  S rest(0);
  for (Eigen::Index c = 0; c < C; ++c)
    if (c != argmax) rest += exp(row.x(c) - m);
  // log(1 + rest) as before (PyTorch's rounding of the log-sum, which the
  // reference values of log-softmax carry); rest itself serves complement().
  return {m, log(S(1) + rest), rest, argmax};
}

/// Calls f(c, softmax_c) for c = 0 .. C − 1, in order. The exponentials of a
/// contiguous row with a finite maximum are taken on SIMD lanes, a chunk of
/// 256 columns at a time into a buffer on the stack (packet exp: ≤ 2 ulp,
/// detail/vector_math.hpp); any other row goes through lse.softmax one by one.
template <class Row, class F>
void for_each_softmax(const LogSumExp<typename Row::Scalar>& lse, const Row& row, F&& f) {
  using S = typename Row::Scalar;
  const Eigen::Index C = row.cols();
  if constexpr (has_packet<S>) {
    const S* x = row.data();
    if (x && (lse.max - lse.max) == S(0)) {  // finite max (a NaN row fails too)
      using V = Vec<S>;
      constexpr Eigen::Index chunk = 256;
      S s[chunk];
      const V m(lse.max), log_sum(lse.log_sum);
      for (Eigen::Index first = 0; first < C; first += chunk) {
        const Eigen::Index n = std::min(chunk, C - first);
        Eigen::Index k = 0;
        for (; k + V::size <= n; k += V::size)
          exp_nonpositive(V(V(V::load(x + first + k) - m) - log_sum)).store(s + k);
        for (; k < n; ++k) s[k] = lse.softmax(x[first + k]);
        for (k = 0; k < n; ++k) f(first + k, s[k]);
      }
      return;
    }
  }
  for (Eigen::Index c = 0; c < C; ++c) f(c, lse.softmax(row.x(c)));
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
