// Sample weights (docs/api.md, "Sample weights") on every loss and every entry point, in
// double, both reductions, for every setup of support/loss_zoo.hpp (class
// weights and ignore_index included):
//   - each entry point with lossfn::weights(w) equals the manual weighted
//     reduction built from the same loss WITHOUT sample weights: value =
//     Σ w·u / Σ term weights (u = unreduced terms, which already carry the
//     class weights; the denominator computed here from the documented rule: Σ w, C·Σ w for
//     a column on an element-wise loss, Σ w_i·cw[y_i] over rows not ignored,
//     Σ w_i for probability targets), unreduced = w·u, gradient and Hessian =
//     w · (the Reduction::sum ones) / denominator, partial = {Σ w·u, denominator};
//   - a column of N on an element-wise loss equals pred-shaped weights with
//     that column repeated (unreduced bitwise, the rest within 1e-14);
//   - all-zero weights give a value of 0 and zero gradient and Hessian;
//   - ZeroOneLoss and RootMeanSquaredError, which the zoo's manual reduction
//     does not cover, separately.
// Relative tolerance 1e-12 (the library and this test sum in different
// orders, in double). Bad weights (negative, NaN, inf, wrong shape) are
// rejected by every entry point of the section-3 losses in errors_test.cpp;
// here the same for the section-5 losses, which it does not cover.
#include <cmath>
#include <limits>
#include <string>

#include "catch.hpp"
#include "support/entry_points.hpp"
#include "support/loss_zoo.hpp"

namespace {

using zoo::Index;
using zoo::Mat;

/// |a − b| <= 1e-12 · (scale + |b|) in every coefficient.
bool close(const Mat& a, const Mat& b, double scale) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  return ((a - b).array().abs() <= 1e-12 * (scale + b.array().abs())).all();
}

/// w broadcast to pred's shape (a column of N repeated along the row).
Mat broadcast(const Mat& w, Index cols) {
  if (w.cols() == cols) return w;
  return w.replicate(1, cols);
}

int checked = 0;

template <class L, class T>
void check_weighted(const std::string& what, const L& loss, const Mat& pred, const T& target,
                    const Mat& w) {
  INFO(what);
  const bool sum = loss.reduction() == lossfn::Reduction::sum;
  const L summed = zoo::with_reduction(loss, lossfn::Reduction::sum);
  const auto W = lossfn::weights(w);
  constexpr bool row_wise = lossfn::traits<L>::row_wise;
  // The sample weight of each term: pred's shape, or N x 1 for a row-wise loss.
  const Mat sw = row_wise ? Mat(w) : broadcast(w, pred.cols());
  // The weight of each gradient coefficient: pred's shape.
  const Mat gw = broadcast(w, pred.cols());

  const Mat u = loss.unreduced(pred, target);
  const Mat weighted_terms = sw.cwiseProduct(u);
  const double denominator = zoo::term_weights(loss, pred, target, w).sum();
  const double scale = sum ? 1.0 : (denominator == 0 ? 0.0 : 1.0 / denominator);
  const double expected = sum                ? weighted_terms.sum()
                          : denominator == 0 ? 0.0
                                             : weighted_terms.sum() * scale;
  const double magnitude = weighted_terms.cwiseAbs().sum() * (sum ? 1.0 : scale);

  CHECK(std::abs(loss.value(pred, target, W) - expected) <= 1e-12 * (magnitude + 1e-300));
  CHECK(std::abs(loss(pred, target, W) - expected) <= 1e-12 * (magnitude + 1e-300));
  CHECK(close(loss.unreduced(pred, target, W), weighted_terms, u.cwiseAbs().maxCoeff()));

  const Mat g = gw.cwiseProduct(summed.gradient(pred, target)) * scale;
  const Mat h = gw.cwiseProduct(summed.hessian_diagonal(pred, target)) * scale;
  const double g_scale = g.cwiseAbs().maxCoeff(), h_scale = h.cwiseAbs().maxCoeff();
  CHECK(close(loss.gradient(pred, target, W), g, g_scale));
  CHECK(close(loss.hessian_diagonal(pred, target, W), h, h_scale));
  const auto [v1, g1] = loss.value_and_gradient(pred, target, W);
  CHECK(std::abs(v1 - expected) <= 1e-12 * (magnitude + 1e-300));
  CHECK(close(g1, g, g_scale));
  Mat g2(pred.rows(), pred.cols()), g3(pred.rows(), pred.cols()), h3(pred.rows(), pred.cols());
  CHECK(std::abs(loss.value_and_gradient(pred, target, W, lossfn::out(g2)) - expected) <=
        1e-12 * (magnitude + 1e-300));
  CHECK(close(g2, g, g_scale));
  CHECK(std::abs(loss.value_gradient_hessian(pred, target, W, lossfn::out(g3), lossfn::out(h3)) -
                 expected) <= 1e-12 * (magnitude + 1e-300));
  CHECK(close(g3, g, g_scale));
  CHECK(close(h3, h, h_scale));

  const lossfn::Partial<double> p = loss.partial(pred, target, W);
  CHECK(std::abs(p.sum - weighted_terms.sum()) <=
        1e-12 * (weighted_terms.cwiseAbs().sum() + 1e-300));
  if (!sum) CHECK(std::abs(p.weight - denominator) <= 1e-12 * denominator);
  CHECK(std::abs(p.value() - expected) <= 1e-12 * (magnitude + 1e-300));

  // A column of N on an element-wise loss is pred-shaped weights, repeated:
  // the same within rounding (not bitwise: under mean the library forms the
  // denominator as C·Σ w for a column and Σ over all N·C weights otherwise,
  // which may differ in the last bit).
  if constexpr (!row_wise) {
    if (w.cols() == 1) {
      const Mat full = broadcast(w, pred.cols());
      const auto F = lossfn::weights(full);
      const double v_full = loss.value(pred, target, F);
      CHECK(std::abs(loss.value(pred, target, W) - v_full) <= 1e-14 * (magnitude + 1e-300));
      CHECK(close(loss.gradient(pred, target, W), loss.gradient(pred, target, F), g_scale));
      CHECK(close(loss.hessian_diagonal(pred, target, W), loss.hessian_diagonal(pred, target, F),
                  h_scale));
      CHECK(entry_points::same_bits(loss.unreduced(pred, target, W),
                                    loss.unreduced(pred, target, F)));
    }
  }

  // All-zero weights: value 0, zero gradient and Hessian, under both reductions.
  const Mat zero = Mat::Zero(w.rows(), w.cols());
  const auto Z = lossfn::weights(zero);
  CHECK(loss.value(pred, target, Z) == 0.0);
  CHECK(loss.gradient(pred, target, Z).isZero(0));
  CHECK(loss.hessian_diagonal(pred, target, Z).isZero(0));
  CHECK(loss.partial(pred, target, Z).value() == 0.0);
  ++checked;
}

const double qnan = std::numeric_limits<double>::quiet_NaN();
const double inf = std::numeric_limits<double>::infinity();

/// Every entry point rejects `w` with exactly `message`.
template <class L, class T>
void rejects(const L& loss, const Mat& pred, const T& target, const Mat& w,
             const std::string& message) {
  entry_points::Outputs<double> out(pred.rows(), pred.cols());
  int entries = 0;
  entry_points::for_each(
      loss, pred, target, out,
      [&](const char* entry, auto call) {
        INFO(L::name << "::" << entry);
        ++entries;
        std::string error = "nothing thrown";
        try {
          call();
        } catch (const std::invalid_argument& e) {
          error = e.what();
        }
        CHECK(error == message);
      },
      lossfn::weights(w));
  CHECK(entries == 11);
  CHECK(out.untouched());
}

}  // namespace

TEST_CASE("sample weights on every entry point equal the manual weighted reduction", "[weights]") {
  int setups = 0;
  zoo::for_each_setup([&](const std::string& name, const auto& base, const Mat& pred,
                          const auto& target) {
    using L = std::decay_t<decltype(base)>;
    if constexpr (!zoo::is_rmse<L>) {
      ++setups;
      for (lossfn::Reduction r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
        const L loss = zoo::with_reduction(base, r);
        for (const auto& [weights_name, w] : zoo::sample_weights<L>(pred, 31u + unsigned(setups))) {
          if (w.size() == 0) continue;
          check_weighted(
              name + (r == lossfn::Reduction::sum ? ", sum, " : ", mean, ") + weights_name, loss,
              pred, target, w);
        }
      }
    }
  });
  CHECK(checked > 100);
}

TEST_CASE("RootMeanSquaredError and ZeroOneLoss take sample weights", "[weights]") {
  zoo::Random r(77);
  const Mat pred = r.uniform(5, 3, -2, 2), target = r.uniform(5, 3, -2, 2);
  Mat w = r.uniform(5, 3, 0.1, 3);
  w(2, 2) = 0;
  const Mat column = w.col(0);
  // RMSE = √(weighted MSE); its gradient is the MSE's over 2·RMSE.
  const lossfn::MeanSquaredError mse;
  const lossfn::RootMeanSquaredError rmse;
  for (const Mat& weights : {w, column}) {
    const auto W = lossfn::weights(weights);
    const double m = mse.value(pred, target, W);
    CHECK(std::abs(rmse.value(pred, target, W) - std::sqrt(m)) <= 1e-14);
    CHECK(close(rmse.gradient(pred, target, W), mse.gradient(pred, target, W) / (2 * std::sqrt(m)),
                1e-3));
    const Mat zero = Mat::Zero(weights.rows(), weights.cols());
    CHECK(rmse.value(pred, target, lossfn::weights(zero)) == 0.0);
    CHECK(rmse.gradient(pred, target, lossfn::weights(zero)).isZero(0));
    CHECK(rmse.hessian_diagonal(pred, target, lossfn::weights(zero)).isZero(0));
  }
  // ZeroOneLoss: binary (either weight form) and multi-class (a column).
  const lossfn::ZeroOneLoss zero_one;
  const Mat labels = r.labels(5, 3);
  for (const Mat& weights : {w, column}) {
    const Mat full = broadcast(weights, 3);
    double num = 0, den = 0;
    for (Index j = 0; j < 3; ++j)
      for (Index i = 0; i < 5; ++i) {
        const double predicted = pred(i, j) > 0 ? 1.0 : -1.0;
        num += full(i, j) * (predicted != labels(i, j));
        den += full(i, j);
      }
    CHECK(std::abs(zero_one.value(pred, labels, lossfn::weights(weights)) - num / den) <= 1e-14);
    CHECK(close(zero_one.unreduced(pred, labels, lossfn::weights(weights)),
                full.cwiseProduct(Mat(zero_one.unreduced(pred, labels).matrix())), 1.0));
  }
  const Eigen::VectorXi y = r.classes(5, 3);
  double num = 0;
  for (Index i = 0; i < 5; ++i) {
    Index best;
    pred.row(i).maxCoeff(&best);
    num += column(i) * (best != y(i));
  }
  CHECK(std::abs(zero_one.value(pred, y, lossfn::weights(column)) - num / column.sum()) <= 1e-14);
}

TEST_CASE(
    "the section-5 losses reject bad weights from every entry point, naming loss and argument",
    "[weights][errors]") {
  zoo::Random r(3);
  const Mat x = r.uniform(4, 2, -1, 1), p = r.uniform(4, 2, 0.1, 0.9), t = r.probabilities(4, 2);
  const Mat labels = r.labels(4, 2), counts = Mat::Constant(4, 2, 2.0);
  auto check = [&](const auto& loss, const Mat& pred, const Mat& target) {
    const std::string name = std::decay_t<decltype(loss)>::name;
    const Mat ok = Mat::Constant(4, 2, 0.5);
    for (double bad : {-0.5, qnan, inf, -inf}) {
      Mat w = ok;
      w(2, 1) = bad;
      rejects(loss, pred, target, w,
              name + ": weights(2, 1) = " + lossfn::detail::to_text(bad) +
                  " is not a finite non-negative weight");
      Mat column = ok.leftCols(1);
      column(3, 0) = bad;
      rejects(loss, pred, target, column,
              name + ": weights(3, 0) = " + lossfn::detail::to_text(bad) +
                  " is not a finite non-negative weight");
    }
    rejects(
        loss, pred, target, Mat::Constant(4, 3, 1.0),
        name + ": weights has shape 4x3, expected 4x2 (pred's shape) or 4x1 (one weight per row)");
    rejects(
        loss, pred, target, Mat::Constant(3, 1, 1.0),
        name + ": weights has shape 3x1, expected 4x2 (pred's shape) or 4x1 (one weight per row)");
  };
  check(lossfn::HuberLoss(), x, t);
  check(lossfn::SmoothL1Loss(), x, t);
  check(lossfn::LogCoshLoss(), x, t);
  check(lossfn::QuantileLoss(), x, t);
  check(lossfn::SquaredHinge(), x, labels);
  check(lossfn::KLDivergence(), x, t);
  check(lossfn::PoissonNLLLoss(), x, counts);

  // CategoricalCrossEntropy (row-wise): a column of N only.
  const Mat probs = r.distributions(4, 3);
  const Eigen::VectorXi y = r.classes(4, 3);
  const lossfn::CategoricalCrossEntropy cce;
  Mat column = Mat::Constant(4, 1, 0.5);
  column(1, 0) = -1;
  rejects(cce, probs, y, column,
          "CategoricalCrossEntropy: weights(1, 0) = -1 is not a finite non-negative weight");
  column(1, 0) = qnan;
  rejects(cce, probs, probs, column,
          "CategoricalCrossEntropy: weights(1, 0) = nan is not a finite non-negative weight");
  rejects(cce, probs, y, Mat::Constant(4, 3, 1.0),
          "CategoricalCrossEntropy: weights has shape 4x3, expected 4x1 (one weight per row)");
}
