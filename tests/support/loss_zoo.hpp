// Every differentiable loss of lossfn with default and non-default options, on
// random inputs that keep away from the loss's kinks, for the tests that must
// hold for all of them: derivatives against central differences
// (gradient_check_test.cpp), fused against separate calls, sample weights
// (weights_test.cpp).
//
// zoo::for_each_setup(f) calls f(description, loss, pred, target) once per
// setup; pred is an N x C double matrix, target a double matrix of pred's shape
// (labels, probabilities, values) or an integer column of N class indices.
// Each setup draws its numbers from a seeded generator, so a failure repeats.
#pragma once

#include <lossfn/lossfn.hpp>

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace zoo {

using Mat = Eigen::MatrixXd;
using IVec = Eigen::VectorXi;
using Eigen::Index;

/// How far a residual (or margin violation) stays from a kink: the finite
/// differences step by at most ~1e-5, so 0.05 keeps both points on one piece.
constexpr double kink_margin = 0.05;

class Random {
 public:
  explicit Random(unsigned seed) : engine_(seed) {}
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(engine_);
  }
  int index(int n) { return std::uniform_int_distribution<int>(0, n - 1)(engine_); }
  /// A number in [lo, hi] at least kink_margin away from every kink.
  double away_from(double lo, double hi, std::initializer_list<double> kinks) {
    for (;;) {
      const double v = uniform(lo, hi);
      bool ok = true;
      for (double k : kinks) ok = ok && std::abs(v - k) > kink_margin;
      if (ok) return v;
    }
  }
  Mat uniform(Index rows, Index cols, double lo, double hi) {
    Mat m(rows, cols);
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i) m(i, j) = uniform(lo, hi);
    return m;
  }
  /// pred = target + d with |d| in [0, 3] away from the kinks of d.
  Mat residuals_from(const Mat& target, std::initializer_list<double> kinks) {
    Mat p(target.rows(), target.cols());
    for (Index j = 0; j < p.cols(); ++j)
      for (Index i = 0; i < p.rows(); ++i) p(i, j) = target(i, j) + away_from(-3, 3, kinks);
    return p;
  }
  /// Binary labels: {-1, +1}, or {0, 1} with zero_one.
  Mat labels(Index rows, Index cols, bool zero_one = false) {
    Mat m(rows, cols);
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i) m(i, j) = index(2) == 0 ? (zero_one ? 0.0 : -1.0) : 1.0;
    return m;
  }
  /// Probability targets: 0, 1 and values between.
  Mat probabilities(Index rows, Index cols) {
    Mat m(rows, cols);
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i) {
        const int k = index(4);
        m(i, j) = k == 0 ? 0.0 : k == 1 ? 1.0 : uniform(0, 1);
      }
    return m;
  }
  /// N x C rows that sum to 1 (soft labels).
  Mat distributions(Index rows, Index cols) {
    Mat m = uniform(rows, cols, 0.0, 1.0);
    for (Index i = 0; i < rows; ++i) m.row(i) /= m.row(i).sum();
    return m;
  }
  IVec classes(Index rows, int C) {
    IVec y(rows);
    for (Index i = 0; i < rows; ++i) y(i) = index(C);
    return y;
  }

 private:
  std::mt19937 engine_;
};

/// Scores f for ±1 labels y (0 = −1) with y·f at least kink_margin from margin.
inline Mat scores_for(Random& random, const Mat& labels, double margin) {
  Mat f(labels.rows(), labels.cols());
  for (Index j = 0; j < f.cols(); ++j)
    for (Index i = 0; i < f.rows(); ++i) {
      const double y = labels(i, j) > 0 ? 1.0 : -1.0;
      f(i, j) = y * random.away_from(-3, 3, {margin});
    }
  return f;
}

/// Multi-class scores whose hinge terms margin − f_y + f_c (c ≠ y) all stay
/// kink_margin from 0, and whose two largest wrong-class scores differ by more
/// (so Crammer–Singer's argmax does not switch under a small step).
inline Mat multiclass_scores(Random& random, const IVec& y, Index C, double margin) {
  Mat f(y.size(), C);
  for (Index i = 0; i < f.rows(); ++i) {
    for (;;) {
      for (Index c = 0; c < C; ++c) f(i, c) = random.uniform(-2, 2);
      bool ok = true;
      for (Index c = 0; c < C; ++c) {
        if (c == y(i)) continue;
        ok = ok && std::abs(margin - f(i, y(i)) + f(i, c)) > kink_margin;
        for (Index k = 0; k < c; ++k)
          if (k != y(i)) ok = ok && std::abs(f(i, c) - f(i, k)) > kink_margin;
      }
      if (ok) break;
    }
  }
  return f;
}

// ---- what a test needs to know about a loss ------------------------------------
template <class L, class = void>
struct has_class_weights : std::false_type {};
template <class L>
struct has_class_weights<L, std::void_t<decltype(std::declval<const L&>().class_weights())>>
    : std::true_type {};
template <class L, class = void>
struct has_ignore_index : std::false_type {};
template <class L>
struct has_ignore_index<L, std::void_t<decltype(std::declval<const L&>().ignore_index())>>
    : std::true_type {};

template <class L>
constexpr bool is_rmse = std::is_same_v<L, lossfn::RootMeanSquaredError>;

/// The loss with the given reduction (RMSE has none: it is returned as it is).
template <class L>
L with_reduction(L loss, lossfn::Reduction r) {
  if constexpr (!is_rmse<L>) loss.reduction(r);
  return loss;
}

template <class L>
double class_weight_of(const L& loss, long long y) {
  if constexpr (has_class_weights<L>::value) {
    const std::vector<double>& cw = loss.class_weights();
    return cw.empty() ? 1.0 : cw[static_cast<size_t>(y)];
  } else {
    (void)loss, (void)y;
    return 1.0;
  }
}
template <class L>
bool ignored(const L& loss, long long y) {
  if constexpr (has_ignore_index<L>::value) {
    return loss.ignore_index() && *loss.ignore_index() == y;
  } else {
    (void)loss, (void)y;
    return false;
  }
}

/// The weight of each term before reduction, as docs/api.md defines it, computed here from the
/// options and the sample weights w (empty: none): pred's shape for an element-wise loss, N x 1 for
/// a row-wise one. Its total is the denominator of `mean`.
template <class L, class T>
Mat term_weights(const L& loss, const Mat& pred, const T& target, const Mat& w) {
  const Index N = pred.rows(), C = pred.cols();
  auto sample = [&](Index i, Index j) {
    if (w.size() == 0) return 1.0;
    return w.cols() == 1 ? w(i, 0) : w(i, j);
  };
  if constexpr (!lossfn::traits<L>::row_wise) {
    Mat m(N, C);
    for (Index j = 0; j < C; ++j)
      for (Index i = 0; i < N; ++i) m(i, j) = sample(i, j);
    return m;
  } else {
    Mat m(N, 1);
    for (Index i = 0; i < N; ++i) {
      if constexpr (std::is_integral_v<typename T::Scalar>) {
        const long long y = target(i);
        m(i, 0) = ignored(loss, y) ? 0.0 : sample(i, 0) * class_weight_of(loss, y);
      } else {
        m(i, 0) = sample(i, 0);  // probability targets: Σ w_i (N without weights)
      }
    }
    return m;
  }
}

/// The default setups plus their options: f(description, loss, pred, target).
/// Element-wise inputs are 5 x 3, row-wise 6 x 4 (one setup has ignored rows).
template <class F>
void for_each_setup(F&& f) {
  using lossfn::Reduction;
  const Index N = 5, D = 3, R = 6, C = 4;
  unsigned seed = 1000;
  auto rng = [&] { return Random(++seed); };

  {  // regression
    Random r = rng();
    const Mat t = r.uniform(N, D, -2, 2);
    f("MeanSquaredError", lossfn::MeanSquaredError(), r.residuals_from(t, {}), t);
    f("RootMeanSquaredError", lossfn::RootMeanSquaredError(), r.residuals_from(t, {}), t);
    f("MeanAbsoluteError", lossfn::MeanAbsoluteError(), r.residuals_from(t, {0.0}), t);
    f("HuberLoss", lossfn::HuberLoss(), r.residuals_from(t, {-1.0, 1.0}), t);
    f("HuberLoss delta 0.3", lossfn::HuberLoss().delta(0.3), r.residuals_from(t, {-0.3, 0.3}), t);
    f("SmoothL1Loss", lossfn::SmoothL1Loss(), r.residuals_from(t, {-1.0, 1.0}), t);
    f("SmoothL1Loss beta 0.4", lossfn::SmoothL1Loss().beta(0.4), r.residuals_from(t, {-0.4, 0.4}),
      t);
    f("SmoothL1Loss beta 0", lossfn::SmoothL1Loss().beta(0), r.residuals_from(t, {0.0}), t);
    f("LogCoshLoss", lossfn::LogCoshLoss(), r.residuals_from(t, {}), t);
    f("QuantileLoss", lossfn::QuantileLoss(), r.residuals_from(t, {0.0}), t);
    f("QuantileLoss q 0.1", lossfn::QuantileLoss().quantile(0.1), r.residuals_from(t, {0.0}), t);
    f("QuantileLoss q 0.85", lossfn::QuantileLoss().quantile(0.85), r.residuals_from(t, {0.0}), t);
  }
  {  // Poisson: counts, log-rates or rates
    Random r = rng();
    Mat counts(N, D);
    for (Index j = 0; j < D; ++j)
      for (Index i = 0; i < N; ++i)
        counts(i, j) = r.index(3) == 0 ? 0.0 : std::floor(r.uniform(0, 6));
    counts(0, 0) = 2.5;  // counts need not be integers
    f("PoissonNLLLoss", lossfn::PoissonNLLLoss(), r.uniform(N, D, -2, 2), counts);
    f("PoissonNLLLoss full", lossfn::PoissonNLLLoss().full(true), r.uniform(N, D, -2, 2), counts);
    f("PoissonNLLLoss rate", lossfn::PoissonNLLLoss().log_input(false), r.uniform(N, D, 0.2, 4),
      counts);
    f("PoissonNLLLoss rate eps 0.1 full",
      lossfn::PoissonNLLLoss().log_input(false).eps(0.1).full(true), r.uniform(N, D, 0.2, 4),
      counts);
  }
  {  // binary
    Random r = rng();
    const Mat pm = r.labels(N, D), zo = r.labels(N, D, true), prob = r.probabilities(N, D);
    f("BinaryCrossEntropy", lossfn::BinaryCrossEntropy(), r.uniform(N, D, 0.05, 0.95), prob);
    f("BinaryCrossEntropy 0/1 targets", lossfn::BinaryCrossEntropy(), r.uniform(N, D, 0.05, 0.95),
      zo);
    f("BinaryCrossEntropyWithLogits", lossfn::BinaryCrossEntropyWithLogits(),
      r.uniform(N, D, -4, 4), prob);
    f("BinaryCrossEntropyWithLogits pos_weight 2.5",
      lossfn::BinaryCrossEntropyWithLogits().pos_weight(2.5), r.uniform(N, D, -4, 4), prob);
    f("BinaryCrossEntropyWithLogits pos_weight per column",
      lossfn::BinaryCrossEntropyWithLogits().pos_weight({0.5, 2.0, 3.0}), r.uniform(N, D, -4, 4),
      prob);
    f("Hinge", lossfn::Hinge(), scores_for(r, pm, 1.0), pm);
    f("Hinge 0/1 labels", lossfn::Hinge(), scores_for(r, zo, 1.0), zo);
    f("Hinge margin 0.5", lossfn::Hinge().margin(0.5), scores_for(r, pm, 0.5), pm);
    f("SquaredHinge", lossfn::SquaredHinge(), scores_for(r, pm, 1.0), pm);
    f("SquaredHinge margin 2, 0/1 labels", lossfn::SquaredHinge().margin(2), scores_for(r, zo, 2.0),
      zo);
    f("SigmoidFocalLoss", lossfn::SigmoidFocalLoss(), r.uniform(N, D, -4, 4), zo);
    f("SigmoidFocalLoss alpha 0.5 gamma 1", lossfn::SigmoidFocalLoss().alpha(0.5).gamma(1),
      r.uniform(N, D, -4, 4), zo);
    f("SigmoidFocalLoss alpha -1 gamma 0", lossfn::SigmoidFocalLoss().alpha(-1).gamma(0),
      r.uniform(N, D, -4, 4), prob);
    f("SigmoidFocalLoss gamma 1.5, soft targets", lossfn::SigmoidFocalLoss().gamma(1.5),
      r.uniform(N, D, -4, 4), prob);
  }
  {  // distributions
    Random r = rng();
    const Mat t = r.probabilities(N, D);
    Mat log_t = r.uniform(N, D, -4, 0);
    log_t(1, 1) = -std::numeric_limits<double>::infinity();  // a zero probability
    f("KLDivergence", lossfn::KLDivergence(), r.uniform(N, D, -4, 0), t);
    f("KLDivergence log_target", lossfn::KLDivergence().log_target(true), r.uniform(N, D, -4, 0),
      log_t);
  }
  {  // gradient-boosting objectives (log-link scores, positive targets)
    Random r = rng();
    Mat counts = r.uniform(N, D, 0, 4);
    counts(0, 0) = counts(2, 1) = 0;  // Tweedie's zero targets
    const Mat amounts = r.uniform(N, D, 0.1, 5);
    f("TweedieLoss", lossfn::TweedieLoss(), r.uniform(N, D, -2, 2), counts);
    f("TweedieLoss power 1.2", lossfn::TweedieLoss().power(1.2), r.uniform(N, D, -2, 2), counts);
    f("TweedieLoss power 1.9", lossfn::TweedieLoss().power(1.9), r.uniform(N, D, -2, 2), counts);
    f("GammaLoss", lossfn::GammaLoss(), r.uniform(N, D, -2, 2), amounts);
    const Mat t = r.uniform(N, D, -2, 2);
    f("PseudoHuberLoss", lossfn::PseudoHuberLoss(), r.residuals_from(t, {}), t);
    f("PseudoHuberLoss delta 0.3", lossfn::PseudoHuberLoss().delta(0.3), r.residuals_from(t, {}),
      t);
    const Mat above = r.uniform(N, D, -0.9, 4);  // > −1
    f("MeanSquaredLogError", lossfn::MeanSquaredLogError(), r.uniform(N, D, -0.9, 4), above);
    f("MeanAbsolutePercentageError", lossfn::MeanAbsolutePercentageError(),
      r.residuals_from(t, {0.0}), t);
    f("ExpectileLoss", lossfn::ExpectileLoss(), r.residuals_from(t, {0.0}), t);
    f("ExpectileLoss expectile 0.9", lossfn::ExpectileLoss().expectile(0.9),
      r.residuals_from(t, {0.0}), t);
  }
  {  // multi-class
    Random r = rng();
    const IVec y = r.classes(R, int(C));
    IVec y_ignored = y;
    y_ignored(1) = -100;
    y_ignored(4) = 2;
    IVec y_two = y;  // for ignore_index 2: no −100
    y_two(4) = 2;
    const Mat soft = r.distributions(R, C);
    const std::vector<double> cw{0.5, 2.0, 1.0, 3.0};
    using SCE = lossfn::SoftmaxCrossEntropy;
    f("SoftmaxCrossEntropy", SCE(), r.uniform(R, C, -3, 3), y);
    f("SoftmaxCrossEntropy probabilities", SCE(), r.uniform(R, C, -3, 3), soft);
    f("SoftmaxCrossEntropy label_smoothing 0.1", SCE().label_smoothing(0.1), r.uniform(R, C, -3, 3),
      y);
    f("SoftmaxCrossEntropy class_weights", SCE().class_weights(cw), r.uniform(R, C, -3, 3), y);
    f("SoftmaxCrossEntropy class_weights, smoothing 0.2, ignore_index -100",
      SCE().class_weights(cw).label_smoothing(0.2).ignore_index(-100), r.uniform(R, C, -3, 3),
      y_ignored);
    f("SoftmaxCrossEntropy ignore_index 2", SCE().ignore_index(2), r.uniform(R, C, -3, 3), y_two);
    f("SoftmaxCrossEntropy probabilities, class_weights, smoothing 0.3",
      SCE().class_weights(cw).label_smoothing(0.3), r.uniform(R, C, -3, 3), soft);
    using NLL = lossfn::NegativeLogLikelihood;
    f("NegativeLogLikelihood", NLL(), r.uniform(R, C, -4, 0), y);
    f("NegativeLogLikelihood class_weights, ignore_index 2",
      NLL().class_weights(cw).ignore_index(2), r.uniform(R, C, -4, 0), y_two);
    using CCE = lossfn::CategoricalCrossEntropy;
    f("CategoricalCrossEntropy", CCE(), r.uniform(R, C, 0.05, 0.95), y);
    f("CategoricalCrossEntropy probabilities", CCE(), r.uniform(R, C, 0.05, 0.95), soft);
    using MCH = lossfn::MultiClassHinge;
    f("MultiClassHinge", MCH(), multiclass_scores(r, y, C, 1.0), y);
    f("MultiClassHinge squared", MCH().squared(true), multiclass_scores(r, y, C, 1.0), y);
    f("MultiClassHinge crammer_singer", MCH().crammer_singer(true), multiclass_scores(r, y, C, 1.0),
      y);
    f("MultiClassHinge squared crammer_singer margin 0.5, class_weights",
      MCH().squared(true).crammer_singer(true).margin(0.5).class_weights(cw),
      multiclass_scores(r, y, C, 0.5), y);
    f("MultiClassHinge margin 2, class_weights", MCH().margin(2).class_weights(cw),
      multiclass_scores(r, y, C, 2.0), y);
    using SFL = lossfn::SoftmaxFocalLoss;
    f("SoftmaxFocalLoss", SFL(), r.uniform(R, C, -3, 3), y);
    f("SoftmaxFocalLoss gamma 0", SFL().gamma(0), r.uniform(R, C, -3, 3), y);
    f("SoftmaxFocalLoss gamma 0.5, class_weights, ignore_index -100",
      SFL().gamma(0.5).class_weights(cw).ignore_index(-100), r.uniform(R, C, -3, 3), y_ignored);
    using Poly = lossfn::PolyCrossEntropy;
    f("PolyCrossEntropy", Poly(), r.uniform(R, C, -3, 3), y);
    f("PolyCrossEntropy epsilon -1", Poly().epsilon(-1), r.uniform(R, C, -3, 3), y);
    f("PolyCrossEntropy probabilities, epsilon 0.5", Poly().epsilon(0.5), r.uniform(R, C, -3, 3),
      soft);
    f("PolyCrossEntropy class_weights, smoothing 0.2, ignore_index -100",
      Poly().class_weights(cw).label_smoothing(0.2).ignore_index(-100), r.uniform(R, C, -3, 3),
      y_ignored);
    f("PolyCrossEntropy probabilities, class_weights, smoothing 0.3, epsilon 5",
      Poly().class_weights(cw).label_smoothing(0.3).epsilon(5), r.uniform(R, C, -3, 3), soft);
  }
}

/// The sample-weight variants a loss takes: none, one per row (N x 1), and
/// for element-wise losses one per term (pred's shape). Some weights are 0.
template <class L>
std::vector<std::pair<std::string, Mat>> sample_weights(const Mat& pred, unsigned seed) {
  Random r(seed);
  std::vector<std::pair<std::string, Mat>> out;
  out.emplace_back("no weights", Mat());
  Mat column = r.uniform(pred.rows(), 1, 0.1, 3);
  column(pred.rows() / 2, 0) = 0;
  out.emplace_back("weights, one per row", column);
  if constexpr (!lossfn::traits<L>::row_wise) {
    Mat full = r.uniform(pred.rows(), pred.cols(), 0.1, 3);
    full(0, pred.cols() - 1) = 0;
    out.emplace_back("weights of pred's shape", full);
  }
  return out;
}

/// Calls f(...) with `lossfn::weights(w)` appended, or nothing when w is empty.
template <class F>
decltype(auto) with_weights(const Mat& w, F&& f) {
  if (w.size() == 0) return f();
  return f(lossfn::weights(w));
}

}  // namespace zoo
