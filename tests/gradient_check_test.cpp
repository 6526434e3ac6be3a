// Derivatives against finite differences, for every differentiable loss
// (support/loss_zoo.hpp: all but ZeroOneLoss, with default and other options,
// class-index and probability targets), in double, under both reductions,
// without sample weights and with both kinds of them:
//   - the gradient against central differences of `value`;
//   - the Hessian diagonal (`hessian_diagonal` and `value_gradient_hessian`)
//     against central differences of `gradient`, coefficient by coefficient —
//     for a row-wise loss that is d²l/dx_c², the diagonal of the row's block;
//     for RootMeanSquaredError the diagonal of its full Hessian.
// The points are random and kept kink_margin (0.05) away from every kink, so
// both sides of a difference lie on the same smooth piece.
//
// Step and tolerance: h = 1e-6·max(1, |x|) (rounded so that x ± h is exact).
// The central difference's truncation error is h²·|f'''|/6 ≲ 1e-11 here and
// its rounding error about ε·|f|/h ≈ 2e-10·|f|; both sit far below the bar
// |analytic − numeric| <= 1e-6·|numeric| + 1e-6·max(max |numeric|, 0.01),
// while any real mistake (a wrong factor, a missing term, a denominator off
// by one sample) is orders of magnitude above it. The absolute part scales
// with the largest entry so that a mean over many terms (entries ~1/N) is
// held to the same relative standard as a sum.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "catch.hpp"
#include "support/loss_zoo.hpp"

namespace {

using zoo::Index;
using zoo::Mat;

struct Tolerance {
  double relative = 1e-6, absolute = 1e-6;
};

/// Entries of `analytic` that miss `numeric`, formatted for the failure message.
std::string mismatches(const Mat& analytic, const Mat& numeric, Tolerance tol = {}) {
  const double scale = std::max(numeric.cwiseAbs().maxCoeff(), 0.01);
  std::ostringstream out;
  out.precision(17);
  for (Index j = 0; j < numeric.cols(); ++j)
    for (Index i = 0; i < numeric.rows(); ++i) {
      const double a = analytic(i, j), n = numeric(i, j);
      if (!(std::abs(a - n) <= tol.relative * std::abs(n) + tol.absolute * scale))
        out << "  (" << i << ", " << j << "): analytic " << a << ", numeric " << n << "\n";
    }
  return out.str();
}

/// x + h and x − h for the step of x, and their exact distance.
struct Step {
  double plus, minus, width;
  explicit Step(double x) {
    const double h = 1e-6 * std::max(1.0, std::abs(x));
    plus = x + h;
    minus = x - h;
    width = plus - minus;
  }
};

/// Central differences in every coefficient (i, j) of pred of `f(x, i, j)`,
/// a number computed from a perturbed copy x of pred.
template <class F>
Mat central_differences(const Mat& pred, F&& f) {
  Mat d(pred.rows(), pred.cols());
  Mat x = pred;
  for (Index j = 0; j < pred.cols(); ++j)
    for (Index i = 0; i < pred.rows(); ++i) {
      const Step s(pred(i, j));
      x(i, j) = s.plus;
      const double up = f(x, i, j);
      x(i, j) = s.minus;
      const double down = f(x, i, j);
      x(i, j) = pred(i, j);
      d(i, j) = (up - down) / s.width;
    }
  return d;
}

/// Central differences of `f` (pred -> double): the gradient.
template <class F>
Mat numeric_gradient(const Mat& pred, F&& f) {
  return central_differences(pred, [&](const Mat& x, Index, Index) { return f(x); });
}

/// Central differences of coefficient (i, j) of `grad` (pred -> Mat) in
/// coefficient (i, j): the Hessian's diagonal.
template <class F>
Mat numeric_hessian_diagonal(const Mat& pred, F&& grad) {
  return central_differences(
      pred, [&](const Mat& x, Index i, Index j) { return static_cast<double>(grad(x)(i, j)); });
}

int checked = 0;

template <class L, class T>
void check_derivatives(const std::string& what, const L& loss, const Mat& pred, const T& target,
                       const Mat& w) {
  static_assert(lossfn::traits<L>::differentiable);
  INFO(what);
  const auto value = [&](const Mat& x) {
    return zoo::with_weights(w, [&](auto... weights) { return loss.value(x, target, weights...); });
  };
  const auto gradient = [&](const Mat& x) -> Mat {
    return zoo::with_weights(w,
                             [&](auto... weights) { return loss.gradient(x, target, weights...); });
  };
  const Mat g = gradient(pred);
  const std::string g_bad = mismatches(g, numeric_gradient(pred, value));
  INFO("gradient against central differences of value:\n" << g_bad);
  CHECK(g_bad.empty());

  if constexpr (lossfn::traits<L>::twice_differentiable) {
    const Mat numeric = numeric_hessian_diagonal(pred, gradient);
    const Mat h = zoo::with_weights(
        w, [&](auto... weights) -> Mat { return loss.hessian_diagonal(pred, target, weights...); });
    Mat g_fused(pred.rows(), pred.cols()), h_fused(pred.rows(), pred.cols());
    zoo::with_weights(w, [&](auto... weights) {
      return loss.value_gradient_hessian(pred, target, weights..., lossfn::out(g_fused),
                                         lossfn::out(h_fused));
    });
    const std::string h_bad = mismatches(h, numeric), fused_bad = mismatches(h_fused, numeric);
    INFO("hessian_diagonal against central differences of gradient:\n" << h_bad);
    INFO("value_gradient_hessian's Hessian against them:\n" << fused_bad);
    CHECK(h_bad.empty());
    CHECK(fused_bad.empty());
    const std::string fused_g_bad = mismatches(g_fused, numeric_gradient(pred, value));
    INFO("value_gradient_hessian's gradient against central differences of value:\n"
         << fused_g_bad);
    CHECK(fused_g_bad.empty());
  }
  ++checked;
}

}  // namespace

TEST_CASE("every gradient and Hessian diagonal matches central differences",
          "[gradient_check][hessian]") {
  int setups = 0;
  zoo::for_each_setup([&](const std::string& name, const auto& base, const Mat& pred,
                          const auto& target) {
    using L = std::decay_t<decltype(base)>;
    ++setups;
    for (lossfn::Reduction r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
      if (zoo::is_rmse<L> && r == lossfn::Reduction::sum) continue;  // RMSE: no reduction
      const L loss = zoo::with_reduction(base, r);
      for (const auto& [weights_name, w] : zoo::sample_weights<L>(pred, 7u + unsigned(setups))) {
        check_derivatives(
            name + (r == lossfn::Reduction::sum ? ", sum, " : ", mean, ") + weights_name, loss,
            pred, target, w);
      }
    }
  });
  // Every differentiable loss of the library is in the zoo, some several times.
  CHECK(setups >= 19);
  CHECK(checked > 100);
}

// The check can fail: a Hessian that is off in one coefficient, or a gradient
// scaled by (N − 1)/N, is caught.
TEST_CASE("the finite-difference check catches a wrong derivative", "[gradient_check]") {
  zoo::Random r(5);
  const Mat pred = r.uniform(4, 3, -2, 2), target = r.uniform(4, 3, -2, 2);
  const lossfn::LogCoshLoss loss;
  const auto value = [&](const Mat& x) { return loss.value(x, target); };
  const auto gradient = [&](const Mat& x) -> Mat { return loss.gradient(x, target); };
  const Mat numeric_g = numeric_gradient(pred, value);
  CHECK(mismatches(loss.gradient(pred, target), numeric_g).empty());
  CHECK_FALSE(mismatches(loss.gradient(pred, target) * (11.0 / 12.0), numeric_g).empty());
  const Mat numeric_h = numeric_hessian_diagonal(pred, gradient);
  Mat h = loss.hessian_diagonal(pred, target);
  CHECK(mismatches(h, numeric_h).empty());
  h(2, 1) *= 1.0001;
  CHECK_FALSE(mismatches(h, numeric_h).empty());
}
