// The gradient-boosting objectives in float against the float64 results of
// the same inputs: each term (unreduced), gradient and Hessian coefficient in
// ulps of float, over wide grids of predictions and targets, through the
// SIMD path (contiguous arrays) and the scalar path (a strided view). The
// bound is 4 ulp. TweedieLoss, GammaLoss and MeanSquaredLogError evaluate
// float data in double (their float formulas cancel or round an exponent's
// argument); PseudoHuberLoss stays in float and corrects for the roundings of
// d and δ, except in its Hessian (bound 10).
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

/// The three outputs compared: the terms (unreduced), the gradient and the
/// Hessian diagonal (both under Reduction::sum: one coefficient's derivative).
enum class Output { term, gradient, hessian };

template <class L, class P, class T>
auto evaluate(const L& loss, Output output, const P& p, const T& t) {
  using A = typename P::PlainObject;
  if (output == Output::term) return A(loss.unreduced(p, t));
  if (output == Output::gradient) return A(loss.gradient(p, t));
  return A(loss.hessian_diagonal(p, t));
}

/// The worst ulp distance of L's float results from its double results of
/// the same inputs, where the double result is a normal float; `scale(p, t,
/// result)` gives the magnitude whose ulps count (the result itself, by
/// default).
template <class L, class Scale>
double worst_ulps(L loss, const Grid& g, Output output, Scale scale) {
  loss.reduction(lossfn::Reduction::sum);
  const Eigen::ArrayXf simd = evaluate(loss, output, g.p, g.t);
  // The same numbers every other float of a buffer: the scalar loop.
  std::vector<float> pb(size_t(2 * g.p.size())), tb(pb.size());
  for (Eigen::Index i = 0; i < g.p.size(); ++i)
    pb[size_t(2 * i)] = g.p[i], tb[size_t(2 * i)] = g.t[i];
  const Strided ps(pb.data(), g.p.size()), ts(tb.data(), g.p.size());
  const Eigen::ArrayXf scalar = evaluate(loss, output, ps, ts);
  const Eigen::ArrayXd exact =
      evaluate(loss, output, g.p.cast<double>().eval(), g.t.cast<double>().eval());
  const char* what[] = {"term", "gradient", "Hessian"};
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
        UNSCOPED_INFO(L::name << " " << what[int(output)] << " worst at p = " << g.p[i] << ", t = "
                              << g.t[i] << ": " << a << " for " << e << " (" << u << " ulp)");
      }
    }
  }
  return worst;
}

/// The term and the gradient within `bound` ulp of themselves, the Hessian
/// within `hessian_bound`.
template <class L>
void check_ulps(L loss, const Grid& g, double bound, double hessian_bound) {
  const auto itself = [](double, double, double e) { return e; };
  CHECK(worst_ulps(loss, g, Output::term, itself) <= bound);
  CHECK(worst_ulps(loss, g, Output::gradient, itself) <= bound);
  CHECK(worst_ulps(loss, g, Output::hessian, itself) <= hessian_bound);
}
template <class L>
void check_ulps(L loss, const Grid& g, double bound = 4) {
  check_ulps(loss, g, bound, bound);
}

std::vector<float> uniform(std::mt19937& rng, float lo, float hi, int n) {
  std::vector<float> v;
  for (int i = 0; i < n; ++i) v.push_back(std::uniform_real_distribution<float>(lo, hi)(rng));
  return v;
}

}  // namespace

TEST_CASE("objectives in float: terms and derivatives within 4 ulp of float64's",
          "[objectives][accuracy]") {
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

  // Near Gamma's minimum x = log t, where t·e^{−x} and x cancel (l = 0 at
  // x = −1, t = 1/e), and Tweedie's powers whose 1 − ρ and 2 − ρ are inexact.
  std::vector<float> minimum_x, minimum_t;
  for (float t : positive)
    for (float dx : {-1e-3f, 0.0f, 1e-3f, 0.1f})
      minimum_x.push_back(std::log(t) + dx), minimum_t.push_back(t);
  for (float x : uniform(rng, -1.01f, -0.99f, 200))
    minimum_x.push_back(x), minimum_t.push_back(std::exp(-1.0f + 0.01f * (x + 1)));
  const Grid minimum{Eigen::Map<Eigen::ArrayXf>(minimum_x.data(), Eigen::Index(minimum_x.size())),
                     Eigen::Map<Eigen::ArrayXf>(minimum_t.data(), Eigen::Index(minimum_t.size()))};

  check_ulps(lossfn::TweedieLoss(), grid(scores, with_zero));
  check_ulps(lossfn::TweedieLoss().power(1.1), grid(scores, with_zero));
  check_ulps(lossfn::TweedieLoss().power(1.01), grid(scores, with_zero));
  check_ulps(lossfn::TweedieLoss().power(1.9), grid(scores, with_zero));
  // PseudoHuber's Hessian (1 + (d/δ)²)^{−3/2} triples the relative error of
  // d/δ and of the square root: 7.5–9.1 ulp measured.
  check_ulps(lossfn::PseudoHuberLoss(), grid(reals, reals), 4, 10);
  check_ulps(lossfn::PseudoHuberLoss().delta(1e-3), grid(reals, reals), 4, 10);
  check_ulps(lossfn::PseudoHuberLoss().delta(1e3), grid(reals, reals), 4, 10);
  // δ = 0.7: the term at 4.03 ulp with SSE2 (d/δ and δ rounded, then four roundings).
  check_ulps(lossfn::PseudoHuberLoss().delta(0.7), grid(reals, reals), 4.1, 10);
  check_ulps(lossfn::MeanAbsolutePercentageError(), grid(reals, reals));
  check_ulps(lossfn::ExpectileLoss(), grid(reals, reals));
  check_ulps(lossfn::ExpectileLoss().expectile(1e-6), grid(reals, reals));
  check_ulps(lossfn::MeanSquaredLogError(), grid(above, above));
  check_ulps(lossfn::GammaLoss(), grid(scores, positive));
  check_ulps(lossfn::GammaLoss(), minimum);
}
