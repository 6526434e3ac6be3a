// The gradient-boosting objectives in float against the float64 value of the
// same inputs: each term (unreduced) in ulps of float, over wide grids of
// predictions and targets, through the SIMD path (contiguous arrays) and
// the scalar path (a strided view). The bounds are the measured worst cases
// with little room: 4 ulp where the formula allows it; more where float's
// own rounding of an intermediate is amplified (documented in
// docs/regression.md and docs/distributions.md):
//  - MeanSquaredLogError: l = r² doubles r's few ulp;
//  - GammaLoss: t·e^{−x} + x cancels near its minimum, so the bound is in
//    ulps of the larger part, not of the result;
//  - TweedieLoss with ρ = 1.5 (exact exponent factors ∓0.5): 4 ulp.
#include <lossfn/lossfn.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "catch.hpp"

namespace {

using Strided = Eigen::Map<const Eigen::ArrayXf, 0, Eigen::InnerStride<2>>;

/// |a − e| in ulps of float at magnitude m (the smallest normal's spacing below it).
double ulps(float a, double e, double m) {
  if (static_cast<double>(a) == e) return 0;
  m = std::max(std::abs(m), double(std::numeric_limits<float>::min()));
  const double spacing = std::ldexp(1.0, std::ilogb(m) - 23);
  return std::abs(static_cast<double>(a) - e) / spacing;
}

struct Grid {
  Eigen::ArrayXf p, t;
};

Grid grid(const std::vector<float>& ps, const std::vector<float>& ts) {
  Grid g{Eigen::ArrayXf(Eigen::Index(ps.size() * ts.size())), Eigen::ArrayXf()};
  g.t.resize(g.p.size());
  Eigen::Index k = 0;
  for (float p : ps)
    for (float t : ts) g.p[k] = p, g.t[k++] = t;
  return g;
}

/// The worst ulp distance of L's float terms from its double terms, where the
/// double term is a normal float; `scale(p, t, term)` gives the magnitude
/// whose ulps count (the term itself, by default).
template <class L, class Scale>
double worst_ulps(L loss, const Grid& g, Scale scale) {
  loss.reduction(lossfn::Reduction::sum);
  const Eigen::ArrayXf simd = loss.unreduced(g.p, g.t);
  // The same numbers every other float of a buffer: the scalar loop.
  std::vector<float> pb(size_t(2 * g.p.size())), tb(pb.size());
  for (Eigen::Index i = 0; i < g.p.size(); ++i)
    pb[size_t(2 * i)] = g.p[i], tb[size_t(2 * i)] = g.t[i];
  const Strided ps(pb.data(), g.p.size()), ts(tb.data(), g.p.size());
  const Eigen::ArrayXf scalar = loss.unreduced(ps, ts);
  const Eigen::ArrayXd exact = loss.unreduced(g.p.cast<double>().eval(), g.t.cast<double>().eval());
  double worst = 0;
  for (Eigen::Index i = 0; i < g.p.size(); ++i) {
    const double e = exact[i];
    if (!(std::abs(e) >= double(std::numeric_limits<float>::min()) &&
          std::abs(e) <= double(std::numeric_limits<float>::max())))
      continue;
    const double m = scale(double(g.p[i]), double(g.t[i]), e);
    for (float a : {simd[i], scalar[i]}) {
      const double u = std::isfinite(a) ? ulps(a, e, m) : INFINITY;
      if (!(u <= worst)) {
        worst = u;
        UNSCOPED_INFO(L::name << " worst at p = " << g.p[i] << ", t = " << g.t[i] << ": " << a
                              << " for " << e);
      }
    }
  }
  return worst;
}

template <class L>
double worst_ulps(L loss, const Grid& g) {
  return worst_ulps(loss, g, [](double, double, double e) { return e; });
}

std::vector<float> uniform(std::mt19937& rng, float lo, float hi, int n) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(std::uniform_real_distribution<float>(lo, hi)(rng));
  return v;
}

}  // namespace

TEST_CASE("objectives in float: terms within a few ulp of float64's", "[objectives][accuracy]") {
  std::mt19937 rng(7);
  std::vector<float> scores = uniform(rng, -88, 88, 150), near = uniform(rng, -3, 3, 150);
  scores.insert(scores.end(), near.begin(), near.end());
  for (float v : {0.0f, 30.0f, -30.0f, 1e-30f}) scores.push_back(v);
  std::vector<float> positive;
  for (float e : uniform(rng, -60, 60, 120)) positive.push_back(std::exp(e));
  for (float v : {1e-30f, 1.0f, 1e30f}) positive.push_back(v);
  std::vector<float> with_zero = positive;
  with_zero.push_back(0.0f);
  std::vector<float> reals = uniform(rng, -5, 5, 200);
  for (float v : {0.0f, 1e-30f, -1e-3f, 1e30f, -1e30f, 3e38f}) reals.push_back(v);
  std::vector<float> above;  // > −1
  for (float v : uniform(rng, -8, 8, 200)) above.push_back(std::expm1(v));
  for (float v : {-0.999f, 0.0f, 1e-30f, 1e30f}) above.push_back(v);

  CHECK(worst_ulps(lossfn::TweedieLoss(), grid(scores, with_zero)) <= 4);
  CHECK(worst_ulps(lossfn::PseudoHuberLoss(), grid(reals, reals)) <= 5);
  CHECK(worst_ulps(lossfn::PseudoHuberLoss().delta(1e-3), grid(reals, reals)) <= 5);
  CHECK(worst_ulps(lossfn::PseudoHuberLoss().delta(1e3), grid(reals, reals)) <= 5);
  CHECK(worst_ulps(lossfn::MeanAbsolutePercentageError(), grid(reals, reals)) <= 3);
  CHECK(worst_ulps(lossfn::ExpectileLoss(), grid(reals, reals)) <= 3);
  CHECK(worst_ulps(lossfn::ExpectileLoss().expectile(1e-6), grid(reals, reals)) <= 3);
  CHECK(worst_ulps(lossfn::MeanSquaredLogError(), grid(above, above)) <= 8);
  // Gamma: in ulps of max(t·e^{−x}, |x|), the parts that cancel near the minimum.
  CHECK(worst_ulps(lossfn::GammaLoss(), grid(near, positive), [](double x, double t, double) {
          return std::max(t * std::exp(-x), std::abs(x));
        }) <= 5);
}
