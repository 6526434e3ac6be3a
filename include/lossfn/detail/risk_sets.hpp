// lossfn — the risk sets of a proportional-hazards model: subjects ordered by
// time, and the running sums over those orders that the Cox partial
// likelihood and its derivatives need.
//
// Method (Breslow's ties): sort the subjects by time, once (O(N log N)); a
// sweep from the latest time down gives each risk sum R_i = Σ_{t_j ≥ t_i}
// w_j·e^{x_j}; a sweep from the earliest time up gives, at each subject k,
// A_k = Σ_{events i, t_i ≤ t_k} w_i/R_i and B_k = Σ w_i/R_i². Subjects of
// one time form a group: the whole group joins a sum before any member reads
// it, which is what makes the derivatives exact at tied times. Every sum is
// a log-sum-exp, so no finite score overflows or underflows one:
//  - scores within 100 of the largest, M, and weights in [1e-30, 1e30] (the
//    usual case): each w·e^{x − M} is computed once, vectorized, and every
//    sum of them, of their reciprocals and of the squared reciprocals is a
//    normal double — the sweeps are plain running sums, with no exponential
//    of their own;
//  - anything else (scores of ±700, a NaN): running log-sum-exps, one
//    exponential per step, which rescale as the largest term grows.
// Single-threaded, in a fixed order: the same bits on every run.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "access.hpp"
#include "reduce.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

/// log Σ w_j·e^{x_j} over the terms added so far, kept as e^max·(top + rest):
/// max is the largest x added, top its weight, rest the other terms over
/// e^max (so rest ≤ Σ w). Adding rescales by e^{−|x − max|} ≤ 1: nothing
/// overflows or underflows. A sum dominated by one term keeps its digits:
/// log(top + rest) is taken as log top + log1p(rest/top).
class RunningLogSumExp {
  double max_ = -std::numeric_limits<double>::infinity();
  double top_ = 0, rest_ = 0;

 public:
  /// Adds w·e^x (w > 0; a NaN x makes the sum NaN).
  void add(double x, double w) {
    if (x > max_) {
      rest_ = (rest_ + top_) * std::exp(max_ - x);
      max_ = x;
      top_ = w;
    } else {
      rest_ += w * std::exp(x - max_);
    }
  }
  /// The largest x added.
  double max() const { return max_; }
  /// log Σ − max = log(top + rest), so that log Σ − c = (max − c) +
  /// log_over_max() has no cancellation where c is close to max (c = x_i
  /// gives the Cox term log R_i − x_i to a few ulp).
  double log_over_max() const {
    return (top_ == 1 ? 0.0 : std::log(top_)) + std::log1p(rest_ / top_);
  }
};

/// The subjects in order of time (ties in row order: a stable order), with
/// each one's row, score, weight and event gathered into that order.
template <class Time>
struct SurvivalOrder {
  /// (time, 2·row + event), ascending: the event rides in the key's lowest
  /// bit, so the order is still by time then row, and the gather reads no
  /// event column at random rows.
  std::vector<std::pair<Time, Index>> by_time;
  std::vector<double> score, weight;
  std::vector<char> event;

  Index size() const { return static_cast<Index>(by_time.size()); }
  Index row(Index p) const { return by_time[static_cast<size_t>(p)].second >> 1; }
  /// Position p's time equals position q's (p < q, so it is not greater).
  bool tied(Index p, Index q) const {
    return !(by_time[static_cast<size_t>(p)].first < by_time[static_cast<size_t>(q)].first);
  }
};

/// Sorts N (time, 2·row + event) pairs and gathers score(row) and
/// weight(row) into that order. Pairs are distinct, so std::sort's order is
/// the stable one.
template <class Time, class TimeOf, class ScoreOf, class WeightOf, class EventOf>
SurvivalOrder<Time> order_by_time(Index n, const TimeOf& time, const ScoreOf& score,
                                  const WeightOf& weight, const EventOf& event) {
  SurvivalOrder<Time> o;
  o.by_time.resize(static_cast<size_t>(n));
  for (Index i = 0; i < n; ++i)
    o.by_time[static_cast<size_t>(i)] = {time(i), 2 * i + (event(i) ? 1 : 0)};
  std::sort(o.by_time.begin(), o.by_time.end());
  o.score.resize(static_cast<size_t>(n));
  o.weight.resize(static_cast<size_t>(n));
  o.event.resize(static_cast<size_t>(n));
  for (Index p = 0; p < n; ++p) {
    const Index i = o.row(p);
    o.score[static_cast<size_t>(p)] = score(i);
    o.weight[static_cast<size_t>(p)] = weight(i);
    o.event[static_cast<size_t>(p)] =
        static_cast<char>(o.by_time[static_cast<size_t>(p)].second & 1);
  }
  return o;
}

/// What the downward sweep leaves for the upward one and for the caller.
struct RiskSums {
  double sum = 0;     // Σ_i w_i·δ_i·(log R_i − x_i), pairwise in sweep order
  double events = 0;  // Σ_i w_i·δ_i, the mean's denominator
  double shift = 0;   // M: the largest finite score of a weighted subject
  /// Per position, for an event of weight > 0, its share in A over e^M,
  /// w_i·e^M/R_i: as a logarithm (log-sum-exp sweeps; −inf for anyone else)
  /// or as the number itself (the linear sweeps; 0 for anyone else).
  std::vector<double> share;
  /// Per position: the weighted term w_i·δ_i·(log R_i − x_i) (if asked for).
  std::vector<double> term;
  /// The linear sweeps, per event: rest/(R/e^M), the share of its risk set
  /// not held by its largest term, and the position of that term's subject.
  std::vector<double> rest_share;
  std::vector<Index> top;
};

/// The downward sweep: R_i for each event, its term and its share.
template <class Time>
RiskSums risk_sums(const SurvivalOrder<Time>& o, bool keep_terms) {
  const Index n = o.size();
  const double none = -std::numeric_limits<double>::infinity();
  RiskSums r;
  bool found = false;
  for (Index p = 0; p < n; ++p) {
    const double x = o.score[size_t(p)];
    if (o.weight[size_t(p)] > 0 && std::isfinite(x)) r.shift = found ? std::max(r.shift, x) : x;
    found = found || (o.weight[size_t(p)] > 0 && std::isfinite(x));
  }
  r.share.assign(static_cast<size_t>(n), none);
  if (keep_terms) r.term.assign(static_cast<size_t>(n), 0.0);
  RunningLogSumExp risk;
  PairwiseSum total;
  for (Index end = n; end > 0;) {
    Index begin = end - 1;
    while (begin > 0 && o.tied(begin - 1, end - 1)) --begin;
    for (Index p = begin; p < end; ++p) {
      const double x = o.score[size_t(p)], w = o.weight[size_t(p)];
      // w·e^x = 0 adds nothing; a NaN score propagates whatever its weight.
      if ((w > 0 && x != none) || std::isnan(x)) risk.add(x, w);
    }
    double log_over_max = 0;  // of the group's risk sum, taken once the group has an event
    bool taken = false;
    for (Index p = begin; p < end; ++p) {
      const double w = o.weight[size_t(p)];
      if (!o.event[size_t(p)] || !(w > 0)) continue;
      if (!taken) log_over_max = risk.log_over_max();
      taken = true;
      const double term = w * ((risk.max() - o.score[size_t(p)]) + log_over_max);
      total.add(term);
      r.events += w;
      r.share[size_t(p)] = (w == 1 ? 0.0 : std::log(w)) - ((risk.max() - r.shift) + log_over_max);
      if (keep_terms) r.term[size_t(p)] = term;
    }
    end = begin;
  }
  r.sum = total.sum();
  return r;
}

/// The upward sweep: calls put(p, g_p, h_p) for every position p with
/// g = w·e^x·A − w·δ and h = w·e^x·A − w²·e^{2x}·B (unscaled). A and B over
/// e^M and e^{2M} are running log-sum-exps of the shares s_i (A = Σ e^{s_i},
/// B = Σ e^{2 s_i}/w_i) sharing one running maximum.
template <class Time, class Put>
void risk_derivatives(const SurvivalOrder<Time>& o, const RiskSums& r, const Put& put) {
  const Index n = o.size();
  const double none = -std::numeric_limits<double>::infinity();
  double max = none, a = 0, b = 0;
  for (Index begin = 0; begin < n;) {
    Index end = begin + 1;
    while (end < n && o.tied(begin, end)) ++end;
    for (Index p = begin; p < end; ++p) {
      const double s = r.share[size_t(p)];
      if (s == none) continue;
      const double w = o.weight[size_t(p)];
      if (s > max) {
        const double e = std::exp(max - s);
        a = a * e + 1;
        b = b * e * e + 1 / w;
        max = s;
      } else {
        const double e = std::exp(s - max);
        a += e;
        b += e * e / w;
      }
    }
    for (Index p = begin; p < end; ++p) {
      const double w = o.weight[size_t(p)], x = o.score[size_t(p)];
      if (!(w > 0)) {  // no term and no share: 0, or NaN for a NaN score
        const double zero = std::isnan(x) ? x : 0.0;
        put(p, zero, zero);
        continue;
      }
      const double u = w * std::exp((x - r.shift) + max);  // w·e^x·A = u·a, as A·e^M = e^max·a
      const double first = u * a;
      put(p, first - (o.event[size_t(p)] ? w : 0.0), first - u * u * b);
    }
    begin = end;
  }
}

// ---- the linear sweeps --------------------------------------------------------

/// The largest finite score (0 if none), and whether the linear sweeps hold:
/// every score within 100 of it (no NaN, no infinity) and every positive
/// weight in [1e-30, 1e30]. Then w·e^{x−M} >= 3.7e-74, a share w_i·e^M/R_i
/// <= e^100 and a term w_i·e^{2M}/R_i² of B <= e^200·1e30: all normal.
template <class Time>
std::pair<double, bool> linear_range(const SurvivalOrder<Time>& o) {
  double max = -std::numeric_limits<double>::infinity();
  for (double x : o.score)
    if (x > max && x != std::numeric_limits<double>::infinity()) max = x;
  bool linear = true;
  for (size_t p = 0; p < o.score.size(); ++p) {
    const double w = o.weight[p];
    linear = linear && o.score[p] >= max - 100 && o.score[p] <= max &&
             (w == 0 || (w >= 1e-30 && w <= 1e30));
  }
  return {std::isfinite(max) ? max : 0.0, linear};
}

/// w·e^{x − M} at every position, in storage aligned for Eigen's widest
/// packet, so that Eigen's vectorized exp never peels a scalar prologue:
/// each position's bits depend on n alone, never on where the buffer lies.
using ScaledRisks = std::vector<double, Eigen::aligned_allocator<double>>;

/// w·e^{x − M} for every position, vectorized.
template <class Time>
ScaledRisks scaled_risks(const SurvivalOrder<Time>& o, double shift) {
  const Index n = o.size();
  ScaledRisks e(static_cast<size_t>(n));
  using Array = Eigen::Array<double, Eigen::Dynamic, 1>;
  const Eigen::Map<const Array> x(o.score.data(), n), w(o.weight.data(), n);
  Eigen::Map<Array, Eigen::AlignedMax>(e.data(), n) = w * (x - shift).exp();
  return e;
}

/// The downward sweep on e = w·e^{x−M}: R_i/e^M = top + rest, top the
/// largest e so far (score x_top, weight w_top), so that
/// log R_i − x_i = (x_top − x_i) + log w_top + log1p(rest/top) keeps its
/// digits where one subject dominates, as RunningLogSumExp does.
template <class Time>
RiskSums risk_sums_linear(const SurvivalOrder<Time>& o, const ScaledRisks& e, double shift,
                          bool keep_terms) {
  const Index n = o.size();
  RiskSums r;
  r.shift = shift;
  r.share.assign(static_cast<size_t>(n), 0.0);
  if (keep_terms) r.term.assign(static_cast<size_t>(n), 0.0);
  r.rest_share.assign(static_cast<size_t>(n), 0.0);
  r.top.assign(static_cast<size_t>(n), -1);
  double top = 0, rest = 0, top_score = 0, log_top_weight = 0;
  Index top_position = -1;
  PairwiseSum total;
  for (Index end = n; end > 0;) {
    Index begin = end - 1;
    while (begin > 0 && o.tied(begin - 1, end - 1)) --begin;
    for (Index p = begin; p < end; ++p) {
      const double v = e[size_t(p)];
      if (v > top) {
        rest += top;
        top = v;
        top_position = p;
        top_score = o.score[size_t(p)];
        const double w = o.weight[size_t(p)];
        log_top_weight = w == 1 ? 0.0 : std::log(w);
      } else {
        rest += v;
      }
    }
    double log_over_top = 0, risk = 0;  // log(R/(w_top·e^{x_top})), R/e^M
    bool taken = false;
    for (Index p = begin; p < end; ++p) {
      const double w = o.weight[size_t(p)];
      if (!o.event[size_t(p)] || !(w > 0)) continue;
      if (!taken) log_over_top = log_top_weight + std::log1p(rest / top), risk = top + rest;
      taken = true;
      const double term = w * ((top_score - o.score[size_t(p)]) + log_over_top);
      total.add(term);
      r.events += w;
      r.share[size_t(p)] = w / risk;
      r.rest_share[size_t(p)] = rest / risk;
      r.top[size_t(p)] = top_position;
      if (keep_terms) r.term[size_t(p)] = term;
    }
    end = begin;
  }
  r.sum = total.sum();
  return r;
}

/// The upward sweep on e = w·e^{x−M}: A·e^M and B·e^{2M} are running sums
/// of the shares a_i = w_i·e^M/R_i and of a_i²/w_i; g = e·A − w·δ and
/// h = e·A − e²·B. Where subject k is the largest term of the risk sets of
/// the latest events (a contiguous run of them, since it stays the largest
/// down to its own time), its share p there is near 1 and both differences
/// would cancel: those events are summed apart, as w_i·(1 − q_i) and
/// w_i·q_i·(1 − q_i) with q_i = 1 − p the rest's share, so that
/// g_k = e_k·A_other + (Σ w_i − w_k·δ_k) − Σ w_i·q_i and
/// h_k = e_k·A_other − e_k²·B_other + Σ w_i·q_i·(1 − q_i), every part
/// without cancellation (p ≤ ½ in the other events).
template <class Time, class Put>
void risk_derivatives_linear(const SurvivalOrder<Time>& o, const ScaledRisks& e, const RiskSums& r,
                             const Put& put) {
  const Index n = o.size();
  double a_other = 0, b_other = 0;                               // events of other largest terms
  double a_run = 0, b_run = 0, w_run = 0, q_run = 0, h_run = 0;  // the latest run
  Index run_top = -1;
  for (Index begin = 0; begin < n;) {
    Index end = begin + 1;
    while (end < n && o.tied(begin, end)) ++end;
    for (Index p = begin; p < end; ++p) {
      const double share = r.share[size_t(p)];
      if (share == 0) continue;
      if (r.top[size_t(p)] != run_top) {
        a_other += a_run;
        b_other += b_run;
        a_run = b_run = w_run = q_run = h_run = 0;
        run_top = r.top[size_t(p)];
      }
      const double w = o.weight[size_t(p)], q = r.rest_share[size_t(p)];
      a_run += share;
      b_run += share * share / w;
      w_run += w;
      q_run += w * q;
      h_run += w * q * (1 - q);
    }
    for (Index p = begin; p < end; ++p) {
      const double v = e[size_t(p)], observed = o.event[size_t(p)] ? o.weight[size_t(p)] : 0.0;
      if (p == run_top) {
        const double first = v * a_other;
        put(p, first + (w_run - observed) - q_run, first - v * v * b_other + h_run);
      } else {
        const double first = v * (a_other + a_run);
        put(p, first - observed, first - v * v * (b_other + b_run));
      }
    }
    begin = end;
  }
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
