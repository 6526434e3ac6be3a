// CoxProportionalHazards: the reference cases (tests/data/cases_cox.txt,
// made by tests/tools/cox_reference.py with mpmath, PyTorch autograd and
// XGBoost's survival:cox formula) over every layout in float and double;
// derivatives against central differences; fused against separate calls;
// a large batch with ties against an O(N²) sum in long double; invariance to
// the order of the rows; half precision; scores far beyond exp's range.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "catch.hpp"
#include "support/entry_points.hpp"
#include "support/reference_runner.hpp"

namespace {

using Cox = lossfn::CoxProportionalHazards;
using Mat = Eigen::MatrixXd;
using Vec = Eigen::VectorXd;

/// N subjects: scores in [-lo, lo], times from a few values (many ties),
/// about half of them events; weights in [0, 2] with some 0 when asked.
struct Batch {
  Vec x;
  Mat target;
  Vec w;
};
Batch batch(Eigen::Index n, unsigned seed, double spread = 2, int distinct_times = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> score(-spread, spread), weight(0, 2);
  std::uniform_int_distribution<int> time(0, distinct_times - 1), coin(0, 1);
  Batch b{Vec(n), Mat(n, 2), Vec(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    b.x(i) = score(rng);
    b.target(i, 0) = 0.5 * time(rng);
    b.target(i, 1) = coin(rng);
    b.w(i) = i % 7 == 3 ? 0.0 : weight(rng);
  }
  return b;
}

/// The Breslow loss and its derivatives by the definition, O(N²), in long
/// double with risk sums relative to each subject (no overflow for |x| < 30).
struct Naive {
  long double value = 0, events = 0;
  std::vector<long double> g, h;
};
Naive naive(const Batch& b, bool weighted) {
  const Eigen::Index n = b.x.size();
  auto w = [&](Eigen::Index i) -> long double { return weighted ? b.w(i) : 1.0L; };
  Naive r;
  r.g.assign(size_t(n), 0);
  r.h.assign(size_t(n), 0);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (b.target(i, 1) != 1 || w(i) == 0) continue;
    long double risk = 0;  // R_i / e^{x_i}
    for (Eigen::Index j = 0; j < n; ++j)
      if (b.target(j, 0) >= b.target(i, 0)) risk += w(j) * std::exp((long double)(b.x(j) - b.x(i)));
    r.value += w(i) * std::log(risk);
    r.events += w(i);
    for (Eigen::Index k = 0; k < n; ++k) {
      if (!(b.target(k, 0) >= b.target(i, 0))) continue;
      const long double p = w(k) * std::exp((long double)(b.x(k) - b.x(i))) / risk;
      r.g[size_t(k)] += w(i) * p;
      r.h[size_t(k)] += w(i) * p * (1 - p);
    }
  }
  for (Eigen::Index k = 0; k < n; ++k)
    if (b.target(k, 1) == 1) r.g[size_t(k)] -= w(k);
  return r;
}

}  // namespace

TEST_CASE("CoxProportionalHazards matches mpmath's Breslow likelihood, autograd and XGBoost",
          "[reference][cox]") {
  reference::check_reference_cases<Cox>("CoxProportionalHazards");
}

TEST_CASE("Cox on 500 subjects with ties agrees with the O(N^2) definition", "[cox]") {
  // Scores within 100 of each other take the linear sweeps, wider ones the
  // running log-sum-exps (detail/risk_sets.hpp): both, weighted or not.
  for (int run = 0; run < 4; ++run) {
    const bool weighted = run % 2 == 1;
    const double spread = run < 2 ? 2.0 : 60.0;
    INFO("scores in +-" << spread);
    const Batch b = batch(500, weighted ? 7 : 8, spread);
    const Naive want = naive(b, weighted);
    for (lossfn::Reduction r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
      INFO((weighted ? "weighted " : "unweighted ")
           << (r == lossfn::Reduction::sum ? "sum" : "mean"));
      const Cox cox = Cox().reduction(r);
      const double scale = r == lossfn::Reduction::sum ? 1.0 : double(1 / want.events);
      Mat g, h;
      const double v =
          weighted ? cox.value_gradient_hessian(b.x, b.target, lossfn::weights(b.w), lossfn::out(g),
                                                lossfn::out(h))
                   : cox.value_gradient_hessian(b.x, b.target, lossfn::out(g), lossfn::out(h));
      CHECK(std::abs(v - double(want.value) * scale) <=
            1e-12 * std::abs(double(want.value) * scale));
      double worst_g = 0, worst_h = 0;
      for (Eigen::Index k = 0; k < b.x.size(); ++k) {
        // Differences of parts of order Σ w_i over the events: absolute error.
        worst_g = std::max(worst_g, std::abs(g(k) - double(want.g[size_t(k)]) * scale));
        worst_h = std::max(worst_h, std::abs(h(k) - double(want.h[size_t(k)]) * scale));
      }
      const double parts = double(want.events) * scale;
      CHECK(worst_g <= 1e-13 * parts);
      CHECK(worst_h <= 1e-13 * parts);
    }
  }
}

TEST_CASE("Cox derivatives agree with central differences", "[cox][gradient]") {
  for (unsigned seed : {1u, 2u, 3u}) {
    const Batch b = batch(40, seed, 3, 6);
    for (bool weighted : {false, true}) {
      const Cox cox;
      auto f = [&](const Vec& x) {
        return weighted ? cox.value(x, b.target, lossfn::weights(b.w)) : cox.value(x, b.target);
      };
      Mat g, h;
      if (weighted)
        cox.value_gradient_hessian(b.x, b.target, lossfn::weights(b.w), lossfn::out(g),
                                   lossfn::out(h));
      else
        cox.value_gradient_hessian(b.x, b.target, lossfn::out(g), lossfn::out(h));
      const double step = 1e-4;
      for (Eigen::Index k = 0; k < b.x.size(); ++k) {
        Vec up = b.x, down = b.x;
        up(k) += step;
        down(k) -= step;
        const double fd_g = (f(up) - f(down)) / (2 * step);
        const double fd_h = (f(up) - 2 * f(b.x) + f(down)) / (step * step);
        INFO("seed " << seed << (weighted ? " weighted" : "") << ", subject " << k);
        CHECK(std::abs(g(k) - fd_g) <= 1e-7 * (1 + std::abs(g(k))));
        CHECK(std::abs(h(k) - fd_h) <= 2e-4 * (1 + std::abs(h(k))));
        // The Hessian's own gradient: central differences of the gradient.
        const double fd_h2 = ((weighted ? cox.gradient(up, b.target, lossfn::weights(b.w))
                                        : cox.gradient(up, b.target))(k) -
                              (weighted ? cox.gradient(down, b.target, lossfn::weights(b.w))
                                        : cox.gradient(down, b.target))(k)) /
                             (2 * step);
        CHECK(std::abs(h(k) - fd_h2) <= 1e-7 * (1 + std::abs(h(k))));
      }
    }
  }
}

TEST_CASE("Cox fused calls give the bits of the separate ones", "[cox][fused]") {
  const Batch b = batch(500, 11);
  for (lossfn::Reduction r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
    const Cox cox = Cox().reduction(r);
    const double v = cox(b.x, b.target, lossfn::weights(b.w));
    const Vec g = cox.gradient(b.x, b.target, lossfn::weights(b.w));
    const Vec h = cox.hessian_diagonal(b.x, b.target, lossfn::weights(b.w));
    const auto fused = cox.value_and_gradient(b.x, b.target, lossfn::weights(b.w));
    CHECK(fused.value == v);
    CHECK(entry_points::same_bits(fused.gradient, g));
    Vec g2(b.x.size()), g3(b.x.size()), h3(b.x.size());
    CHECK(cox.value_and_gradient(b.x, b.target, lossfn::weights(b.w), lossfn::out(g2)) == v);
    CHECK(entry_points::same_bits(g2, g));
    CHECK(cox.value_gradient_hessian(b.x, b.target, lossfn::weights(b.w), lossfn::out(g3),
                                     lossfn::out(h3)) == v);
    CHECK(entry_points::same_bits(g3, g));
    CHECK(entry_points::same_bits(h3, h));
    // unreduced sums to the value (sum), or to value x Σ w·δ (mean).
    const Eigen::ArrayXd u = cox.unreduced(b.x, b.target, lossfn::weights(b.w));
    const double events = (b.w.array() * b.target.col(1).array()).sum();
    CHECK(std::abs(u.sum() - v * (r == lossfn::Reduction::sum ? 1 : events)) <= 1e-12 * u.sum());
  }
}

TEST_CASE("Cox results follow the rows: permuting them permutes the outputs", "[cox]") {
  const Batch b = batch(300, 12);
  std::vector<int> perm(300);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937(5));
  Batch p = b;
  for (int i = 0; i < 300; ++i) {
    p.x(i) = b.x(perm[size_t(i)]);
    p.target.row(i) = b.target.row(perm[size_t(i)]);
    p.w(i) = b.w(perm[size_t(i)]);
  }
  const Cox cox;
  Mat g, h, gp, hp;
  const double v = cox.value_gradient_hessian(b.x, b.target, lossfn::weights(b.w), lossfn::out(g),
                                              lossfn::out(h));
  const double vp = cox.value_gradient_hessian(p.x, p.target, lossfn::weights(p.w), lossfn::out(gp),
                                               lossfn::out(hp));
  CHECK(std::abs(v - vp) <= 1e-13 * std::abs(v));
  for (int i = 0; i < 300; ++i) {
    // Tied times are grouped, so within a group the row order changes
    // nothing but the order of additions.
    CHECK(std::abs(gp(i) - g(perm[size_t(i)])) <= 1e-15);
    CHECK(std::abs(hp(i) - h(perm[size_t(i)])) <= 1e-15);
  }
}

TEST_CASE("Cox takes scores far beyond exp's range, in double and float", "[cox][nonfinite]") {
  // Risk sums are running log-sum-exps in double: 1e4 and 1e300 stay finite.
  for (double big : {80.0, 700.0, 1e4, 1e300}) {
    Vec x(4);
    x << big, -big, big / 2, 0;
    Mat t(4, 2);
    t << 1, 1, 2, 1, 3, 1, 4, 0;
    Mat g, h;
    const Cox cox;
    const double v = cox.value_gradient_hessian(x, t, lossfn::out(g), lossfn::out(h));
    INFO("scores +-" << big);
    CHECK(std::isfinite(v));
    CHECK(g.allFinite());
    CHECK(h.allFinite());
    // Subject 0 (score big) dominates the first risk set: its term is ~0;
    // subject 1 (score -big) is dominated by subject 2 (score big/2).
    const Eigen::ArrayXd u = cox.unreduced(x, t);
    CHECK(u(0) >= 0);
    CHECK(u(0) <= 2 * std::exp(-big / 2));
    CHECK(std::abs(u(1) - 1.5 * big) <= 1e-12 * 1.5 * big);
    if (big <= 1e4) {
      const Eigen::VectorXf xf = x.cast<float>();
      Eigen::VectorXf gf, hf;
      const float vf =
          cox.value_gradient_hessian(xf, t.cast<float>(), lossfn::out(gf), lossfn::out(hf));
      CHECK(std::isfinite(vf));
      CHECK(gf.allFinite());
      CHECK(hf.allFinite());
      CHECK(std::abs(double(vf) - v) <= 1e-6 * std::abs(v));
    }
  }
}

TEST_CASE("Cox NaN scores propagate", "[cox][nonfinite]") {
  Batch b = batch(20, 4);
  b.x(5) = std::numeric_limits<double>::quiet_NaN();
  b.target(5, 0) = 10;  // in every risk set
  const Cox cox;
  CHECK(std::isnan(cox(b.x, b.target)));
  CHECK(std::isnan(cox.gradient(b.x, b.target)(5)));
}

TEST_CASE("Cox in half precision: float's results rounded once", "[cox][half]") {
  const Batch b = batch(200, 21);
  using Half = Eigen::Matrix<Eigen::half, Eigen::Dynamic, 1>;
  const Half xh = b.x.cast<Eigen::half>();
  const Eigen::VectorXf xf = xh.cast<float>();
  const Cox cox;
  Half gh, hh;
  Eigen::VectorXf gf, hf;
  const Eigen::half vh = cox.value_gradient_hessian(xh, b.target, lossfn::weights(b.w),
                                                    lossfn::out(gh), lossfn::out(hh));
  const float vf = cox.value_gradient_hessian(xf, b.target, lossfn::weights(b.w), lossfn::out(gf),
                                              lossfn::out(hf));
  CHECK(vh == Eigen::half(vf));
  const Eigen::Array<Eigen::half, Eigen::Dynamic, 1> uh = cox.unreduced(xh, b.target);
  const Eigen::ArrayXf uf = cox.unreduced(xf, b.target);
  for (Eigen::Index i = 0; i < 200; ++i) CHECK(uh(i) == Eigen::half(uf(i)));
  for (Eigen::Index i = 0; i < 200; ++i) {
    CHECK(gh(i) == Eigen::half(gf(i)));
    CHECK(hh(i) == Eigen::half(hf(i)));
  }
  // bfloat16 too, with integer times and float weights.
  using Bf = Eigen::Matrix<Eigen::bfloat16, Eigen::Dynamic, 1>;
  const Bf xb = b.x.cast<Eigen::bfloat16>();
  Eigen::MatrixXi ti(200, 2);
  ti.col(0) = (b.target.col(0) * 2).cast<int>();
  ti.col(1) = b.target.col(1).cast<int>();
  const Eigen::VectorXf wf = b.w.cast<float>();
  const Eigen::VectorXf xbf = xb.cast<float>();
  CHECK(cox(xb, ti, lossfn::weights(wf)) == Eigen::bfloat16(cox(xbf, ti, lossfn::weights(wf))));
}

TEST_CASE("Cox keeps the digits of a subject that dominates its own risk set", "[cox]") {
  // Subject 0 (score 30, the earliest time) is e^30 times every other: its
  // share of its own risk set is p = 1 − q with q = o/(1 + o), o = Σ_{j≠0}
  // e^{x_j − 30} ≈ 2.6e-13, so g_0 = p − 1 = −q and h_0 = q(1 − q): a
  // difference of two parts near 1 unless the sweep keeps q apart.
  Vec x(4);
  x << 30, 0, 0.5, -1;
  Mat t(4, 2);
  t << 1, 1, 2, 1, 3, 1, 4, 1;
  const long double o = std::exp(-30.0L) * (1 + std::exp(0.5L) + std::exp(-1.0L));
  const long double q = o / (1 + o);
  Mat g, h;
  const Cox cox = Cox().reduction(lossfn::Reduction::sum);
  cox.value_gradient_hessian(x, t, lossfn::out(g), lossfn::out(h));
  CHECK(std::abs(g(0) + double(q)) <= 1e-13 * double(q));
  CHECK(std::abs(h(0) - double(q * (1 - q))) <= 1e-13 * double(q));
  // The term log R_0 − x_0 = log1p(o) too.
  CHECK(std::abs(cox.unreduced(x, t)(0) - double(std::log1p(o))) <= 1e-13 * double(o));
}
