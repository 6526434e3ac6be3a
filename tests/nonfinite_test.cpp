// Numerical torture (the README's "stable for any input"):
//  - a NaN in pred propagates to the value, the gradient and the terms (the
//    Hessian is not bound by this: where it is constant, MSE's 2, it stays so);
//  - ±inf logits give the mathematical limit where one exists;
//  - huge finite logits (±1e30, ±FLT_MAX) give finite values and gradients
//    wherever the exact result is representable;
//  - probabilities at 0, 1 and one ulp from them; cancellation in MSE;
//  - empty batches and batches with nothing counted give 0 and a zero gradient;
//  - float sums over 16M terms within 1e-7 of the double result.
// Where a number is not a plain limit it comes from PyTorch 1.13
// (tests/tools/torture_reference.py prints every one, float32 and float64).
#include <lossfn/lossfn.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "catch.hpp"
#include "support/entry_points.hpp"

namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
using IVec = Eigen::VectorXi;

template <class S>
constexpr S inf = std::numeric_limits<S>::infinity();
template <class S>
constexpr S qnan = std::numeric_limits<S>::quiet_NaN();

template <class S>
bool close(S actual, double expected, double rtol) {
  if (std::isinf(expected)) return static_cast<double>(actual) == expected;
  return std::abs(static_cast<double>(actual) - expected) <= rtol * std::abs(expected) + 1e-300;
}
template <class S>
double rtol() {
  return std::is_same_v<S, float> ? 4e-7 : 1e-14;
}

/// Value and gradient of one element-wise term (sum reduction: the term's own).
template <class S, class Loss>
std::pair<S, S> term(Loss loss, S x, double t) {
  loss.reduction(lossfn::Reduction::sum);
  Mat<S> p(1, 1), tt(1, 1);
  p(0, 0) = x;
  tt(0, 0) = static_cast<S>(t);
  const auto r = loss.value_and_gradient(p, tt);
  return {r.value, r.gradient(0, 0)};
}

/// Value and gradient row of one row-wise term.
template <class S, class Loss>
std::pair<S, Eigen::Matrix<S, 1, Eigen::Dynamic>> row_term(Loss loss, std::initializer_list<S> row,
                                                           int label) {
  loss.reduction(lossfn::Reduction::sum);
  Mat<S> x(1, static_cast<Eigen::Index>(row.size()));
  Eigen::Index c = 0;
  for (S v : row) x(0, c++) = v;
  IVec y(1);
  y(0) = label;
  const auto r = loss.value_and_gradient(x, y);
  return {r.value, r.gradient.row(0)};
}

}  // namespace

// ---- NaN -------------------------------------------------------------------

namespace {

/// With NaN at pred(1, 0): value NaN; gradient and unreduced NaN at
/// (1, 0) (element-wise) or in row 1 (row-wise); everything else finite.
template <class S, class Loss, class T>
void nan_propagates(const Loss& loss, Mat<S> pred, const T& target) {
  INFO(Loss::name);
  pred(1, 0) = qnan<S>;
  CHECK(std::isnan(loss(pred, target)));
  if constexpr (entry_points::has_gradient<Loss>) {
    const Mat<S> g = loss.gradient(pred, target);
    CHECK(g.row(1).hasNaN());
    Mat<S> others = g;
    others.row(1).setZero();
    if constexpr (!lossfn::traits<Loss>::row_wise && !entry_points::is_rmse<Loss>) {
      CHECK(std::isnan(g(1, 0)));
      others = g;
      others(1, 0) = 0;
    }
    if constexpr (!entry_points::is_rmse<Loss>) CHECK(others.allFinite());
  }
  if constexpr (entry_points::has_terms<Loss>) {
    const auto u = loss.unreduced(pred, target);
    CHECK(std::isnan(static_cast<double>(u(1, 0))));
  }
}

template <class S>
void nan_everywhere() {
  Mat<S> x(3, 3);
  x << S(0.5), S(-1), S(2), S(0.25), S(3), S(-2), S(1), S(0), S(-0.5);
  Mat<S> t01(3, 3), pm1(3, 3), soft(3, 3);
  t01 << 1, 0, 1, 1, 0, 0, 0, 1, 1;
  pm1 = S(2) * t01.array() - S(1);
  soft = t01.array() * S(0.6) + S(0.2);
  const Mat<S> prob_target = Mat<S>::Constant(3, 3, S(1) / 3);
  IVec y(3);
  y << 2, 0, 1;
  for (const auto& t : {t01, soft}) {
    nan_propagates<S>(lossfn::MeanSquaredError(), x, t);
    nan_propagates<S>(lossfn::MeanAbsoluteError(), x, t);
    nan_propagates<S>(lossfn::RootMeanSquaredError(), x, t);
    nan_propagates<S>(lossfn::BinaryCrossEntropyWithLogits(), x, t);
    nan_propagates<S>(lossfn::BinaryCrossEntropyWithLogits().pos_weight(0.0), x, t);
    nan_propagates<S>(lossfn::BinaryCrossEntropyWithLogits().pos_weight({3.0, 0.5, 1.0}), x, t);
    nan_propagates<S>(lossfn::SigmoidFocalLoss(), x, t);
    nan_propagates<S>(lossfn::SigmoidFocalLoss().gamma(0).alpha(-1), x, t);
    nan_propagates<S>(lossfn::SigmoidFocalLoss().gamma(0.5).alpha(1), x, t);
  }
  for (const auto& t : {t01, pm1}) {
    nan_propagates<S>(lossfn::Hinge(), x, t);
    nan_propagates<S>(lossfn::Hinge().margin(-3), x, t);
    nan_propagates<S>(lossfn::ZeroOneLoss(), x, t);
  }
  nan_propagates<S>(lossfn::SoftmaxCrossEntropy(), x, y);
  nan_propagates<S>(lossfn::SoftmaxCrossEntropy().label_smoothing(0.2), x, y);
  nan_propagates<S>(lossfn::SoftmaxCrossEntropy().class_weights({1.0, 2.0, 0.5}), x, y);
  nan_propagates<S>(lossfn::SoftmaxCrossEntropy(), x, prob_target);
  nan_propagates<S>(lossfn::SoftmaxFocalLoss(), x, y);
  nan_propagates<S>(lossfn::SoftmaxFocalLoss().gamma(0), x, y);
  nan_propagates<S>(lossfn::MultiClassHinge(), x, y);
  nan_propagates<S>(lossfn::MultiClassHinge().squared(true), x, y);
  nan_propagates<S>(lossfn::MultiClassHinge().crammer_singer(true), x, y);
  nan_propagates<S>(lossfn::ZeroOneLoss(), x, y);
  // NLL reads only logp[y] (y(1) = 0, the NaN's column): the value is NaN;
  // its gradient −w_y is constant, so stays finite, as in PyTorch. A NaN
  // elsewhere in the row is not part of the loss.
  Mat<S> nan_logp = x;
  nan_logp(1, 0) = qnan<S>;
  CHECK(std::isnan(lossfn::NegativeLogLikelihood()(nan_logp, y)));
  CHECK(std::isnan(lossfn::NegativeLogLikelihood().unreduced(nan_logp, y)(1)));
  // A NaN target of a regression loss propagates too.
  Mat<S> nan_target = t01;
  nan_target(2, 1) = qnan<S>;
  CHECK(std::isnan(lossfn::MeanSquaredError()(x, nan_target)));
  CHECK(std::isnan(lossfn::MeanAbsoluteError().gradient(x, nan_target)(2, 1)));
}

}  // namespace

// Regression (fuzz_elementwise): SmoothL1Loss chose its β = 0 branch on the
// double option, so a β > 0 that rounds to 0 in float (4.9e-324) divided 0 by
// 0: a NaN gradient where pred == target. It is MeanAbsoluteError there.
TEST_CASE("SmoothL1Loss: a beta that rounds to 0 in pred's type gives the L1 gradient",
          "[nonfinite]") {
  const auto tiny = lossfn::SmoothL1Loss().beta(std::numeric_limits<double>::denorm_min());
  Mat<float> p(2, 9), t(2, 9);  // 18 coefficients: the SIMD path and its tail
  for (Eigen::Index k = 0; k < p.size(); ++k) {
    p.data()[k] = float(k % 3) - 1;  // -1, 0, 1
    t.data()[k] = 0;
  }
  const Mat<float> g = tiny.gradient(p, t), mae = lossfn::MeanAbsoluteError().gradient(p, t);
  CHECK(g.allFinite());
  CHECK(g == mae);
  CHECK(tiny(p, t) == lossfn::MeanAbsoluteError()(p, t));
  CHECK(tiny.hessian_diagonal(p, t).isZero(0));
  const Mat<float> g1 = tiny.gradient(p.block(0, 0, 2, 1), t.block(0, 0, 2, 1));  // scalar path
  CHECK(g1.allFinite());
  // double keeps its β = 4.9e-324: quadratic inside, where d = 0
  Mat<double> pd = p.cast<double>(), td = t.cast<double>();
  CHECK(tiny.gradient(pd, td).allFinite());
}

TEST_CASE("a NaN in pred propagates to value, gradient and terms", "[nonfinite]") {
  nan_everywhere<float>();
  nan_everywhere<double>();
}

namespace {

template <class S>
void nan_under_zero_target_weights() {
  Mat<S> x(3, 3);
  x << S(0.5), S(-1), S(2), S(0.25), S(3), S(-2), S(1), S(0), S(-0.5);
  IVec y(3);
  y << 2, 0, 1;  // row 1, which gets the NaN, is of class 0
  // class weight 0 on row 1's label (the mean's denominator, 2.5, is not 0)
  nan_propagates<S>(lossfn::SoftmaxCrossEntropy().class_weights({0.0, 2.0, 0.5}), x, y);
  nan_propagates<S>(lossfn::SoftmaxCrossEntropy()
                        .class_weights({0.0, 2.0, 0.5})
                        .reduction(lossfn::Reduction::sum),
                    x, y);
  // an all-zero probability row
  Mat<S> t = Mat<S>::Constant(3, 3, S(1) / 3);
  t.row(1).setZero();
  nan_propagates<S>(lossfn::SoftmaxCrossEntropy(), x, t);
  // a row of -inf has no softmax: NaN whatever its target weights
  Mat<S> minus_inf = x;
  minus_inf.row(1).setConstant(-inf<S>);
  CHECK(std::isnan(lossfn::SoftmaxCrossEntropy().unreduced(minus_inf, t)(1)));
  // ... while 0·log s_c = 0 where only some logits are -inf
  minus_inf.row(1) << -inf<S>, S(0), S(1);
  Mat<S> t1 = t;
  t1.row(1) << S(0), S(0.5), S(0.5);
  CHECK(std::isfinite(lossfn::SoftmaxCrossEntropy()(minus_inf, t1)));
  CHECK(lossfn::SoftmaxCrossEntropy().class_weights({0.0, 2.0, 0.5}).unreduced(minus_inf, y)(1) ==
        0);
  // ... and so does SoftmaxFocalLoss's, on every path (40 rows: the SIMD lanes
  // of column-major rows, the one-exp path of row-major ones); it gave
  // 0·(−inf) = NaN on the row paths.
  Mat<S> tall(40, 3);
  IVec y_tall(40);
  for (Eigen::Index i = 0; i < 40; ++i) {
    tall.row(i) = minus_inf.row(i % 3);
    y_tall(i) = y(i % 3);
  }
  const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> tall_rows = tall;
  for (const double g : {0.0, 2.0}) {
    const auto focal = lossfn::SoftmaxFocalLoss().gamma(g).class_weights({0.0, 2.0, 0.5});
    INFO("gamma " << g);
    CHECK(focal.unreduced(minus_inf, y)(1) == 0);
    for (const auto& terms : {focal.unreduced(tall, y_tall), focal.unreduced(tall_rows, y_tall)}) {
      CHECK(terms.allFinite());
      for (Eigen::Index i = 1; i < 40; i += 3) CHECK(terms(i) == 0);
    }
    CHECK(focal.gradient(tall, y_tall).allFinite());
    CHECK(focal.gradient(tall_rows, y_tall).allFinite());
    CHECK(std::isfinite(focal(tall_rows, y_tall)));
  }
}

}  // namespace

// Regression (fuzz_rowwise): SoftmaxCrossEntropy skipped the terms of zero
// target weight, so a row whose target weights were all 0 gave the term 0
// for a NaN logit (while its gradient was NaN, and NLL and the focal loss
// gave NaN): 0·NaN is NaN, as in PyTorch.
TEST_CASE("SoftmaxCrossEntropy: a NaN logit propagates from a row of zero target weight",
          "[nonfinite]") {
  nan_under_zero_target_weights<float>();
  nan_under_zero_target_weights<double>();
}

// ---- infinities --------------------------------------------------------------

namespace {

template <class S>
void infinite_limits() {
  const S I = inf<S>;
  // BCE with logits: softplus limits; the gradient tends to (1-t)·σ(x) − pw·t·σ(−x).
  lossfn::BinaryCrossEntropyWithLogits bce;
  CHECK(term<S>(bce, I, 1) == std::pair<S, S>(0, 0));
  CHECK(term<S>(bce, -I, 0) == std::pair<S, S>(0, 0));
  CHECK(term<S>(bce, I, 0) == std::pair<S, S>(I, 1));
  CHECK(term<S>(bce, -I, 1) == std::pair<S, S>(I, -1));
  CHECK(term<S>(bce, I, 0.25) == std::pair<S, S>(I, S(0.75)));
  CHECK(term<S>(bce.pos_weight(2.0), -I, 1) == std::pair<S, S>(I, -2));
  CHECK(term<S>(bce.pos_weight(0.0), -I, 1) == std::pair<S, S>(0, 0));  // pw·t = 0
  // Sigmoid focal: saturated where the prediction is right, α_t·(limit of CE) where wrong.
  lossfn::SigmoidFocalLoss focal;  // α 0.25, γ 2
  CHECK(term<S>(focal, I, 1) == std::pair<S, S>(0, 0));
  CHECK(term<S>(focal, -I, 0) == std::pair<S, S>(0, 0));
  CHECK(term<S>(focal, I, 0) == std::pair<S, S>(I, S(0.75)));
  CHECK(term<S>(focal, -I, 1) == std::pair<S, S>(I, S(-0.25)));
  CHECK(term<S>(lossfn::SigmoidFocalLoss().gamma(0.5), I, 0) == std::pair<S, S>(I, S(0.75)));
  // Hinge: the score is right by infinitely much (0) or wrong (inf, gradient −y).
  CHECK(term<S>(lossfn::Hinge(), I, 1) == std::pair<S, S>(0, 0));
  CHECK(term<S>(lossfn::Hinge(), -I, -1) == std::pair<S, S>(0, 0));
  CHECK(term<S>(lossfn::Hinge(), -I, 0) == std::pair<S, S>(0, 0));
  CHECK(term<S>(lossfn::Hinge(), -I, 1) == std::pair<S, S>(I, -1));
  CHECK(term<S>(lossfn::Hinge(), I, 0) == std::pair<S, S>(I, 1));
  // Regression: the limits of d² and |d|; inf − inf has none.
  CHECK(term<S>(lossfn::MeanSquaredError(), I, 1) == std::pair<S, S>(I, I));
  CHECK(term<S>(lossfn::MeanAbsoluteError(), -I, 1) == std::pair<S, S>(I, -1));
  CHECK(std::isnan(term<S>(lossfn::MeanSquaredError(), I, INFINITY).first));
  // Poisson NLL (log input): e^x − t·x → +inf as x → +inf (PyTorch: NaN, inf − inf).
  CHECK(term<S>(lossfn::PoissonNLLLoss(), I, 2) == std::pair<S, S>(I, I));
  CHECK(term<S>(lossfn::PoissonNLLLoss(), I, 0) == std::pair<S, S>(I, I));
  CHECK(term<S>(lossfn::PoissonNLLLoss(), -I, 0) == std::pair<S, S>(0, 0));
  // ZeroOneLoss: ±inf is a confident score, not an error.
  Mat<S> f(1, 2), lab(1, 2);
  f << I, -I;
  lab << 1, 1;
  CHECK(lossfn::ZeroOneLoss().unreduced(f, lab)(0, 0) == 0);
  CHECK(lossfn::ZeroOneLoss().unreduced(f, lab)(0, 1) == 1);
  {
    Mat<S> scores(1, 3);
    scores << I, S(0), -I;
    IVec y0(1), y2(1);
    y0 << 0;
    y2 << 2;
    CHECK(lossfn::ZeroOneLoss()(scores, y0) == 0);
    CHECK(lossfn::ZeroOneLoss()(scores, y2) == 1);
  }

  // Softmax cross-entropy: one +inf logit takes all the probability.
  using R = Eigen::Matrix<S, 1, Eigen::Dynamic>;
  const lossfn::SoftmaxCrossEntropy ce;
  auto [v0, g0] = row_term<S>(ce, {I, 0, 0}, 0);
  CHECK(v0 == 0);
  CHECK(g0 == R::Zero(3));
  auto [v1, g1] = row_term<S>(ce, {I, 0, 0}, 1);
  CHECK(v1 == I);
  CHECK(g1 == (R(3) << 1, -1, 0).finished());
  // one −inf logit takes none: the rest is an ordinary softmax
  auto [v2, g2] = row_term<S>(ce, {-I, 0, 0}, 1);
  CHECK(close(v2, std::log(2.0), rtol<S>()));
  CHECK(g2 == (R(3) << 0, S(-0.5), S(0.5)).finished());
  auto [v3, g3] = row_term<S>(ce, {-I, 0, 0}, 0);
  CHECK(v3 == I);
  CHECK(g3 == (R(3) << -1, S(0.5), S(0.5)).finished());
  // two +inf logits: no limit
  CHECK(std::isnan(row_term<S>(ce, {I, I, 0}, 2).first));
  // Softmax focal: saturated where the +inf logit is the label; CE's limit otherwise.
  auto [fv0, fg0] = row_term<S>(lossfn::SoftmaxFocalLoss(), {I, 0, 0}, 0);
  CHECK(fv0 == 0);
  CHECK(fg0 == R::Zero(3));
  auto [fv1, fg1] = row_term<S>(lossfn::SoftmaxFocalLoss(), {I, 0, 0}, 1);
  CHECK(fv1 == I);
  CHECK(fg1 == (R(3) << 1, -1, 0).finished());
  auto [fv2, fg2] = row_term<S>(lossfn::SoftmaxFocalLoss().gamma(0.5), {I, 0, 0}, 2);
  CHECK(fv2 == I);
  CHECK(fg2 == (R(3) << 1, 0, -1).finished());
  // Multi-class hinge: an infinite violation costs inf with the linear gradient.
  auto [hv, hg] = row_term<S>(lossfn::MultiClassHinge(), {I, 0, 0}, 1);
  CHECK(hv == I);
  CHECK(hg == (R(3) << S(1) / 3, S(-2) / 3, S(1) / 3).finished());  // z_2 = 1 is active too
  auto [hv2, hg2] = row_term<S>(lossfn::MultiClassHinge(), {I, 0, 0}, 0);
  CHECK(hv2 == 0);
  CHECK(hg2 == R::Zero(3));
  auto [cv, cg] = row_term<S>(lossfn::MultiClassHinge().crammer_singer(true), {-I, 0, S(0.5)}, 0);
  CHECK(cv == I);
  CHECK(cg == (R(3) << -1, 0, 1).finished());
  // NLL: log-probability −inf of the label (probability 0)
  auto [nv, ng] = row_term<S>(lossfn::NegativeLogLikelihood(), {-I, S(-0.1), S(-3)}, 0);
  CHECK(nv == I);
  CHECK(ng == (R(3) << -1, 0, 0).finished());
}

}  // namespace

TEST_CASE("±inf logits give the mathematical limits", "[nonfinite]") {
  infinite_limits<float>();
  infinite_limits<double>();
}

// ---- huge finite logits ------------------------------------------------------

namespace {

template <class S>
void huge_logits() {
  const double fmax = std::numeric_limits<float>::max();  // PyTorch's inputs, in S
  const double tol = rtol<S>();
  // PyTorch binary_cross_entropy_with_logits (torture_reference.py), t ∈ {0, 0.25, 1}.
  struct Case {
    double x, t, value, gradient;
  };
  const Case cases[] = {{1e30, 0, 1e30, 1},
                        {-1e30, 0, 0, 0},
                        {fmax, 0, fmax, 1},
                        {-fmax, 0, 0, 0},
                        {1e30, 0.25, 7.5e29, 0.75},
                        {-1e30, 0.25, 2.5e29, -0.25},
                        {fmax, 0.25, 0.75 * fmax, 0.75},
                        {-fmax, 0.25, 0.25 * fmax, -0.25},
                        {1e30, 1, 0, 0},
                        {-1e30, 1, 1e30, -1},
                        {fmax, 1, 0, 0},
                        {-fmax, 1, fmax, -1}};
  for (const Case& c : cases) {
    INFO("x = " << c.x << ", t = " << c.t);
    const auto [v, g] = term<S>(lossfn::BinaryCrossEntropyWithLogits(), static_cast<S>(c.x), c.t);
    CHECK(close(v, c.value, tol));
    CHECK(close(g, c.gradient, tol));
    // Sigmoid focal (α 0.25, γ 2): u = 1 − p_t is exactly t or 1 − t here, so
    // l = α_t·u²·ce and dl/dx = α_t·u²·(p − t) (the γ·r·ce part has r = 0).
    const double alpha_t = 0.25 * c.t + 0.75 * (1 - c.t);
    const double u = c.x > 0 ? 1 - c.t : c.t, p = c.x > 0 ? 1 : 0;
    const auto [fv, fg] = term<S>(lossfn::SigmoidFocalLoss(), static_cast<S>(c.x), c.t);
    CHECK(close(fv, alpha_t * u * u * c.value, tol));
    CHECK(close(fg, alpha_t * u * u * (p - c.t), tol));
    // Hinge with {0, 1} labels: max(0, 1 − y·f), gradient −y where active
    if (c.t != 0.25) {
      const double y = c.t == 1 ? 1 : -1;
      const auto [hv, hg] = term<S>(lossfn::Hinge(), static_cast<S>(c.x), c.t);
      CHECK(close(hv, std::max(0.0, 1 - y * static_cast<double>(static_cast<S>(c.x))), tol));
      CHECK(hg == (y * c.x < 1 ? -y : 0));
    }
  }
  // Softmax cross-entropy (PyTorch cross_entropy): finite where −log s_y is.
  using R = Eigen::Matrix<S, 1, Eigen::Dynamic>;
  const S big = static_cast<S>(1e30), fm = static_cast<S>(fmax);
  auto [v, g] = row_term<S>(lossfn::SoftmaxCrossEntropy(), {big, -big, 0}, 1);
  CHECK(close(v, static_cast<double>(big) * 2, tol));
  CHECK(g == (R(3) << 1, -1, 0).finished());
  auto [v2, g2] = row_term<S>(lossfn::SoftmaxCrossEntropy(), {fm, 0, -1}, 2);
  CHECK(close(v2, fmax, tol));
  CHECK(g2 == (R(3) << 1, 0, -1).finished());
  auto [v3, g3] = row_term<S>(lossfn::SoftmaxCrossEntropy(), {big, big, 0}, 0);
  CHECK(close(v3, std::log(2.0), tol));
  CHECK(g3 == (R(3) << S(-0.5), S(0.5), 0).finished());
  // Softmax focal: s_y = 0 exactly, so q = 1 and the loss is CE's.
  auto [fv, fg] = row_term<S>(lossfn::SoftmaxFocalLoss(), {big, -big, 0}, 1);
  CHECK(close(fv, static_cast<double>(big) * 2, tol));
  CHECK(g == fg);
  auto [fv2, fg2] = row_term<S>(lossfn::SoftmaxFocalLoss(), {fm, 0, -1}, 2);
  CHECK(close(fv2, fmax, tol));
  CHECK(fg2 == (R(3) << 1, 0, -1).finished());
  // Multi-class hinge: z_0 = 1 + 2·1e30, z_2 = 1 + 1e30: (z_0 + z_2)/3.
  auto [hv, hg] = row_term<S>(lossfn::MultiClassHinge(), {big, -big, 0}, 1);
  CHECK(close(hv, (3 * static_cast<double>(big)) / 3, 4 * tol));
  CHECK(hg == (R(3) << S(1) / 3, S(-2) / 3, S(1) / 3).finished());
  // every entry point stays finite over a batch of huge logits of both signs
  Mat<S> x(4, 3);
  x << fm, -fm, 0, -big, big, S(1), S(0.5), -fm, big, fm, fm / 2, -fm / 2;
  IVec y(4);
  y << 0, 1, 2, 0;
  Mat<S> t = Mat<S>::Zero(4, 3);
  t(0, 0) = t(1, 1) = t(2, 2) = t(3, 0) = 1;
  CHECK(std::isfinite(lossfn::BinaryCrossEntropyWithLogits()(x, t)));
  CHECK(lossfn::BinaryCrossEntropyWithLogits().gradient(x, t).allFinite());
  CHECK(lossfn::BinaryCrossEntropyWithLogits().hessian_diagonal(x, t).allFinite());
  CHECK(lossfn::SigmoidFocalLoss().gradient(x, t).allFinite());
  CHECK(lossfn::SigmoidFocalLoss().hessian_diagonal(x, t).allFinite());
  CHECK(lossfn::SoftmaxCrossEntropy().gradient(x, y).allFinite());
  CHECK(lossfn::SoftmaxCrossEntropy().hessian_diagonal(x, y).allFinite());
  CHECK(lossfn::SoftmaxFocalLoss().gradient(x, y).allFinite());
  CHECK(lossfn::SoftmaxFocalLoss().hessian_diagonal(x, y).allFinite());
  CHECK(lossfn::MultiClassHinge().gradient(x, y).allFinite());
  CHECK(lossfn::Hinge().gradient(x, t).allFinite());
}

}  // namespace

TEST_CASE("logits of ±1e30 and ±FLT_MAX give finite results where exact ones are", "[nonfinite]") {
  huge_logits<float>();
  huge_logits<double>();
}

// ---- probabilities at the edges ------------------------------------------------

TEST_CASE("BinaryCrossEntropy at 0, 1 and one ulp from them matches PyTorch", "[nonfinite]") {
  // PyTorch binary_cross_entropy, float32 and float64 (torture_reference.py):
  // logs clamped at −100, gradient (p − t)/max(p(1 − p), 1e-12f).
  const float denorm = std::numeric_limits<float>::denorm_min();
  const float below_one = std::nextafter(1.0f, 0.0f);
  struct Case {
    float p, t;
    double value32, gradient32, value64, gradient64;
  };
  const Case cases[] = {
      {0, 0, 0, 0, 0, 0},
      {denorm, 0, 0, 1.4012984585850986e-33, 0, 1.4012984699241295e-33},
      {below_one, 0, 16.63553237915039, 16777216.0, 16.635532333438686, 16777216.0},
      {1, 0, 100, 999999995904.0, 100, 1000000003995.8029},
      {0, 0.5f, 50, -499999997952.0, 50, -500000001997.9014},
      {denorm, 0.5f, 50, -499999997952.0, 50, -500000001997.9014},
      {below_one, 0.5f, 8.317766189575195, 8388607.5, 8.317766196521667, 8388607.49999997},
      {1, 0.5f, 50, 499999997952.0, 50, 500000001997.9014},
      {0, 1, 100, -999999995904.0, 100, -1000000003995.8029},
      {denorm, 1, 100, -999999995904.0, 100, -1000000003995.8029},
      {below_one, 1, 5.960464477539063e-08, -1.0000001192092896, 5.960464655174753e-08,
       -1.0000000596046483},
      {1, 1, 0, 0, 0, 0}};
  for (const Case& c : cases) {
    INFO("p = " << c.p << ", t = " << c.t);
    const auto [v32, g32] = term<float>(lossfn::BinaryCrossEntropy(), c.p, c.t);
    CHECK(close(v32, c.value32, 4e-7));
    CHECK(close(g32, c.gradient32, 4e-7));
    const auto [v64, g64] = term<double>(lossfn::BinaryCrossEntropy(), c.p, c.t);
    CHECK(close(v64, c.value64, 1e-14));
    CHECK(close(g64, c.gradient64, 1e-14));
    // the Hessian is finite (0 where a log is clamped) at every edge
    Mat<double> p(1, 1), t(1, 1);
    p(0, 0) = c.p;
    t(0, 0) = c.t;
    CHECK(lossfn::BinaryCrossEntropy().hessian_diagonal(p, t).allFinite());
  }
}

// ---- cancellation and long sums -------------------------------------------------

TEST_CASE("MSE has no catastrophic cancellation", "[nonfinite]") {
  // (p − t)² rather than p² − 2pt + t²: the difference of nearby numbers is exact.
  const float eps = std::numeric_limits<float>::epsilon();
  const auto [v, g] = term<float>(lossfn::MeanSquaredError(), 1.0f + eps, 1.0);
  CHECK(v == eps * eps);
  CHECK(g == 2 * eps);
  const auto [vd, gd] = term<double>(lossfn::MeanSquaredError(), 1e8 + 1, 1e8);
  CHECK(vd == 1);
  CHECK(gd == 2);
  // float: values near 1e4 whose differences are 1/1024 (exact in float)
  Mat<float> p(1000, 1), t(1000, 1);
  for (int i = 0; i < 1000; ++i) {
    t(i) = 10000.0f + static_cast<float>(i);
    p(i) = t(i) + ((i % 2) ? 1.0f : -1.0f) / 1024;
  }
  CHECK(lossfn::MeanSquaredError()(p, t) == 1.0f / (1024 * 1024));
  CHECK(lossfn::RootMeanSquaredError()(p, t) == 1.0f / 1024);
}

TEST_CASE("float sums over 16M terms are within 1e-7 of double", "[nonfinite][slow]") {
  // A naive float accumulator is off by ~1e-2 here; PyTorch's float32
  // reductions reach ~1e-8 (MSE) and 7e-8 (cross-entropy).
  const Eigen::Index n = Eigen::Index(1) << 24;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Mat<float> p(n, 1), t(n, 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    p(i) = normal(rng);
    t(i) = (i % 3 == 0) ? 1.0f : 0.0f;
  }
  const Mat<double> pd = p.cast<double>(), td = t.cast<double>();
  auto rel = [](double a, double b) { return std::abs(a - b) / std::abs(b); };
  CHECK(rel(lossfn::MeanSquaredError()(p, t), lossfn::MeanSquaredError()(pd, td)) <= 1e-7);
  CHECK(rel(lossfn::BinaryCrossEntropyWithLogits()(p, t),
            lossfn::BinaryCrossEntropyWithLogits()(pd, td)) <= 1e-7);
  const Eigen::Map<const Mat<float>> logits(p.data(), n / 16, 16);
  IVec y(n / 16);
  for (Eigen::Index i = 0; i < y.size(); ++i) y(i) = static_cast<int>(i % 16);
  const Mat<double> logits_d = logits.cast<double>();
  CHECK(rel(lossfn::SoftmaxCrossEntropy()(logits, y), lossfn::SoftmaxCrossEntropy()(logits_d, y)) <=
        1e-7);
}

// ---- nothing to count --------------------------------------------------------------

namespace {

template <class Loss, class S, class T>
void empty_gives_zero(Loss loss, const Mat<S>& pred, const T& target) {
  INFO(Loss::name);
  for (auto r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
    if constexpr (!entry_points::is_rmse<Loss>) loss.reduction(r);
    CHECK(loss(pred, target) == 0);
    if constexpr (entry_points::has_gradient<Loss>) {
      const auto vg = loss.value_and_gradient(pred, target);
      CHECK(vg.value == 0);
      CHECK(vg.gradient.rows() == pred.rows());
      CHECK(vg.gradient.cols() == pred.cols());
      Mat<S> out;  // empty: resized to pred's (empty) shape
      CHECK(loss.value_and_gradient(pred, target, lossfn::out(out)) == 0);
      CHECK(out.rows() == pred.rows());
      CHECK(out.cols() == pred.cols());
    }
    if constexpr (entry_points::has_hessian<Loss>)
      CHECK(loss.hessian_diagonal(pred, target).size() == 0);
    if constexpr (entry_points::has_terms<Loss>) {
      CHECK(loss.unreduced(pred, target).size() == 0);
      const auto part = loss.partial(pred, target);
      CHECK(part.sum == 0);
      CHECK(part.weight == 0);
      CHECK(part.value() == 0);
    }
  }
}

template <class Loss, class S, class T, class W>
void zero_weight_gives_zero(const Loss& loss, const Mat<S>& pred, const T& target, const W& w) {
  INFO(Loss::name);
  const auto vg = loss.value_and_gradient(pred, target, lossfn::weights(w));
  CHECK(vg.value == 0);
  CHECK(vg.gradient.isZero(0));
  if constexpr (entry_points::has_hessian<Loss>)
    CHECK(loss.hessian_diagonal(pred, target, lossfn::weights(w)).isZero(0));
}

}  // namespace

TEST_CASE("empty batches give 0 and an empty gradient", "[nonfinite]") {
  for (Eigen::Index cols : {0, 1, 3}) {
    const Mat<float> p(0, cols), t(0, cols);
    empty_gives_zero(lossfn::MeanSquaredError(), p, t);
    empty_gives_zero(lossfn::MeanAbsoluteError(), p, t);
    empty_gives_zero(lossfn::RootMeanSquaredError(), p, t);
    empty_gives_zero(lossfn::BinaryCrossEntropy(), p, t);
    empty_gives_zero(lossfn::BinaryCrossEntropyWithLogits(), p, t);
    empty_gives_zero(lossfn::Hinge(), p, t);
    empty_gives_zero(lossfn::SigmoidFocalLoss(), p, t);
    empty_gives_zero(lossfn::ZeroOneLoss(), p, t);
    if (cols > 0) {
      const IVec y(0);
      empty_gives_zero(lossfn::SoftmaxCrossEntropy(), p, y);
      empty_gives_zero(lossfn::SoftmaxCrossEntropy(), p, t);
      empty_gives_zero(lossfn::NegativeLogLikelihood(), p, y);
      empty_gives_zero(lossfn::MultiClassHinge(), p, y);
      empty_gives_zero(lossfn::SoftmaxFocalLoss(), p, y);
    }
  }
  // N x 0: rows but no columns (no terms)
  const Mat<double> p(4, 0), t(4, 0);
  empty_gives_zero(lossfn::MeanSquaredError(), p, t);
  empty_gives_zero(lossfn::BinaryCrossEntropyWithLogits(), p, t);
  // ... but 4 samples, each of loss 0, for probability targets over 0 classes
  const auto vg = lossfn::SoftmaxCrossEntropy().value_and_gradient(p, t);
  CHECK(vg.value == 0);
  CHECK(vg.gradient.rows() == 4);
  CHECK(vg.gradient.cols() == 0);
}

TEST_CASE("nothing counted (all ignored, zero weights) gives 0 and a zero gradient",
          "[nonfinite]") {
  Mat<double> x(3, 3);
  x << 1, 2, 3, -1, 0, 5, 2, 2, 2;
  IVec ignored = IVec::Constant(3, -100);
  for (auto r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
    for (const auto& v :
         {lossfn::SoftmaxCrossEntropy().ignore_index(-100).reduction(r).value_and_gradient(x,
                                                                                           ignored),
          lossfn::NegativeLogLikelihood().ignore_index(-100).reduction(r).value_and_gradient(
              x, ignored),
          lossfn::SoftmaxFocalLoss().ignore_index(-100).reduction(r).value_and_gradient(x,
                                                                                        ignored)}) {
      CHECK(v.value == 0);
      CHECK(v.gradient.isZero(0));
    }
    CHECK(lossfn::SoftmaxCrossEntropy()
              .ignore_index(-100)
              .reduction(r)
              .unreduced(x, ignored)
              .isZero(0));
  }
  // every class weight of the labels present is 0: a mean over zero weight
  IVec y(3);
  y << 0, 0, 1;
  const auto cw =
      lossfn::SoftmaxCrossEntropy().class_weights({0.0, 0.0, 1.0}).value_and_gradient(x, y);
  CHECK(cw.value == 0);
  CHECK(cw.gradient.isZero(0));
  // sample weights all 0
  const Mat<double> t = Mat<double>::Zero(3, 3), w_col = Mat<double>::Zero(3, 1);
  zero_weight_gives_zero(lossfn::MeanSquaredError(), x, t, w_col);
  zero_weight_gives_zero(lossfn::BinaryCrossEntropyWithLogits(), x, t, Mat<double>::Zero(3, 3));
  zero_weight_gives_zero(lossfn::Hinge(), x, t, w_col);
  zero_weight_gives_zero(lossfn::RootMeanSquaredError(), x, t, w_col);
  zero_weight_gives_zero(lossfn::SoftmaxCrossEntropy(), x, y, w_col);
  zero_weight_gives_zero(lossfn::MultiClassHinge(), x, y, w_col);
  zero_weight_gives_zero(lossfn::SoftmaxFocalLoss(), x, y, w_col);
}

namespace {
/// Rows holding NaN and ±inf whose label is ignore_index: their gradient and
/// Hessian rows are 0 and their terms 0, in both storage orders, on the SIMD
/// lanes (rows of ≤ 64 classes, W at a time) and on the row path.
template <class S, int StorageOrder, class Loss>
void ignored_nonfinite_rows(const Loss& loss, Eigen::Index rows, Eigen::Index C) {
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, StorageOrder>;
  CAPTURE(Loss::name, rows, C, StorageOrder);
  M x(rows, C);
  IVec y(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    y(i) = static_cast<int>(i % C);
    for (Eigen::Index c = 0; c < C; ++c) x(i, c) = static_cast<S>(std::sin(double(3 * i + c)) * 4);
  }
  const S nan = std::numeric_limits<S>::quiet_NaN(), inf = std::numeric_limits<S>::infinity();
  for (Eigen::Index i = 2; i < rows; i += 5) {
    y(i) = -100;
    x(i, 0) = nan;
    x(i, C - 1) = i % 2 ? inf : -inf;
  }
  M g(rows, C), h(rows, C);
  const S v = loss.value_gradient_hessian(x, y, lossfn::out(g), lossfn::out(h));
  const S v1 = loss.value_and_gradient(x, y, lossfn::out(g));
  const auto terms = loss.unreduced(x, y);
  CHECK(std::isfinite(v));
  CHECK(v1 == v);
  for (Eigen::Index i = 2; i < rows; i += 5) {
    CAPTURE(i);
    CHECK(terms(i, 0) == S(0));
    CHECK(g.row(i).isZero(0));
    CHECK(h.row(i).isZero(0));
  }
  CHECK(g.allFinite());
  CHECK(h.allFinite());
}
}  // namespace

TEST_CASE("an ignored row has zero derivatives, also where its logits are NaN or infinite",
          "[nonfinite]") {
  // Found by fuzz_rowwise (-march=native): SoftmaxFocalLoss's SIMD lanes gave
  // an ignored row holding NaN a NaN gradient (scale 0 times NaN).
  for (Eigen::Index rows : {7, 40})
    for (Eigen::Index C : {3, 10}) {
      ignored_nonfinite_rows<float, Eigen::ColMajor>(
          lossfn::SoftmaxCrossEntropy().ignore_index(-100), rows, C);
      ignored_nonfinite_rows<float, Eigen::RowMajor>(
          lossfn::SoftmaxCrossEntropy().ignore_index(-100), rows, C);
      ignored_nonfinite_rows<double, Eigen::ColMajor>(
          lossfn::SoftmaxCrossEntropy().ignore_index(-100), rows, C);
      ignored_nonfinite_rows<float, Eigen::ColMajor>(lossfn::SoftmaxFocalLoss().ignore_index(-100),
                                                     rows, C);
      ignored_nonfinite_rows<float, Eigen::RowMajor>(lossfn::SoftmaxFocalLoss().ignore_index(-100),
                                                     rows, C);
      ignored_nonfinite_rows<double, Eigen::ColMajor>(lossfn::SoftmaxFocalLoss().ignore_index(-100),
                                                      rows, C);
      ignored_nonfinite_rows<double, Eigen::RowMajor>(
          lossfn::SoftmaxFocalLoss().ignore_index(-100).gamma(0.5), rows, C);
      ignored_nonfinite_rows<float, Eigen::ColMajor>(
          lossfn::NegativeLogLikelihood().ignore_index(-100), rows, C);
    }
}

namespace {
/// A NaN or +inf at column p of some rows of an N x C pred: the SIMD paths
/// (one-exp rows, lanes) decline those rows after their sums, and the
/// results are the scalar path's (long double, which has no SIMD), NaN where
/// it is NaN, in both storage orders.
template <class S, int StorageOrder, class Loss>
void special_rows_match_scalar(const Loss& loss, Eigen::Index N, Eigen::Index C, Eigen::Index p,
                               long double special) {
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, StorageOrder>;
  using L = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;
  CAPTURE(Loss::name, N, C, p, static_cast<double>(special), StorageOrder);
  M x(N, C);
  IVec y(N);
  for (Eigen::Index i = 0; i < N; ++i) {
    y(i) = static_cast<int>((i * 7) % C);
    for (Eigen::Index c = 0; c < C; ++c)
      x(i, c) = static_cast<S>(std::cos(double(5 * i + 3 * c)) * 6);
  }
  for (Eigen::Index i = 1; i < N; i += 4) x(i, p) = static_cast<S>(special);
  if (N > 3) y(3) = static_cast<int>(p);  // row 3 (not special) and row 5 share p as label
  if (N > 5) y(5) = static_cast<int>(p);
  const L xl = x.template cast<long double>();
  M g(N, C);
  const auto terms = loss.unreduced(x, y);
  loss.value_and_gradient(x, y, lossfn::out(g));
  const auto tl = loss.unreduced(xl, y);
  const L gl = loss.gradient(xl, y);
  const long double tol = 64 * std::numeric_limits<S>::epsilon();
  auto near = [&](long double a, long double b) {
    if (std::isnan(b)) return std::isnan(a);
    if (std::isinf(b)) return a == b;
    return std::abs(a - b) <= tol * (std::abs(b) + 1);
  };
  long bad = 0;
  for (Eigen::Index i = 0; i < N; ++i) {
    if (!near(terms(i), tl(i)) && bad++ == 0)
      UNSCOPED_INFO("term " << i << ": " << double(terms(i)) << " vs " << double(tl(i)));
    for (Eigen::Index c = 0; c < C; ++c)
      if (!near(g(i, c), gl(i, c)) && bad++ == 0)
        UNSCOPED_INFO("gradient (" << i << ", " << c << "): " << double(g(i, c)) << " vs "
                                   << double(gl(i, c)));
  }
  CHECK(bad == 0);
}
}  // namespace

TEST_CASE("softmax rows holding NaN or +inf anywhere give the scalar path's results",
          "[nonfinite]") {
  const long double nan = std::numeric_limits<long double>::quiet_NaN();
  const long double inf = std::numeric_limits<long double>::infinity();
  for (Eigen::Index C : {5, 16, 17, 40, 100, 1000})
    for (Eigen::Index p : {Eigen::Index(0), C / 2, C - 1})
      for (long double special : {nan, inf, -inf}) {
        const Eigen::Index N = 37;
        special_rows_match_scalar<float, Eigen::RowMajor>(lossfn::SoftmaxCrossEntropy(), N, C, p,
                                                          special);
        special_rows_match_scalar<float, Eigen::ColMajor>(lossfn::SoftmaxCrossEntropy(), N, C, p,
                                                          special);
        special_rows_match_scalar<double, Eigen::RowMajor>(lossfn::SoftmaxCrossEntropy(), N, C, p,
                                                           special);
        special_rows_match_scalar<double, Eigen::ColMajor>(lossfn::SoftmaxCrossEntropy(), N, C, p,
                                                           special);
        special_rows_match_scalar<float, Eigen::RowMajor>(lossfn::SoftmaxFocalLoss(), N, C, p,
                                                          special);
        special_rows_match_scalar<float, Eigen::ColMajor>(lossfn::SoftmaxFocalLoss(), N, C, p,
                                                          special);
      }
}

// ---- the gradient-boosting objectives ------------------------------------------

namespace {

template <class S>
void objectives_nonfinite() {
  Mat<S> x(3, 3), t(3, 3);
  x << S(0.5), S(-1), S(2), S(0.25), S(3), S(-2), S(1), S(0), S(-0.5);
  t << S(0.2), S(0), S(1.5), S(0.8), S(3), S(0.5), S(2), S(0.25), S(1);
  const Mat<S> positive = t.array() + S(0.1), above = x.array().abs();  // MSLE: pred > −1
  nan_propagates<S>(lossfn::TweedieLoss(), x, t);
  nan_propagates<S>(lossfn::TweedieLoss().power(1.2), x, t);
  nan_propagates<S>(lossfn::GammaLoss(), x, positive);
  nan_propagates<S>(lossfn::PseudoHuberLoss(), x, t);
  nan_propagates<S>(lossfn::PseudoHuberLoss().delta(1e-3), x, t);
  nan_propagates<S>(lossfn::MeanSquaredLogError(), above, t);
  nan_propagates<S>(lossfn::MeanAbsolutePercentageError(), x, t);
  nan_propagates<S>(lossfn::ExpectileLoss().expectile(0.9), x, t);

  const S I = inf<S>;
  // Tweedie: e^{(2−ρ)x} → inf, t·e^{(1−ρ)x} → 0 as x → inf; as x → −inf the
  // t-part → inf, and is exactly 0 where t = 0 (never 0·inf).
  CHECK(term<S>(lossfn::TweedieLoss(), I, 2) == std::pair<S, S>(I, I));
  CHECK(term<S>(lossfn::TweedieLoss(), -I, 2) == std::pair<S, S>(I, -I));
  CHECK(term<S>(lossfn::TweedieLoss(), -I, 0) == std::pair<S, S>(0, 0));
  const auto far = term<S>(lossfn::TweedieLoss().power(1.9), S(-700), 0);  // e^{(1−ρ)x} = inf
  CHECK((std::isfinite(far.first) && std::isfinite(far.second)));
  // Gamma: t·e^{−x} + x → inf at both ends (at −inf not inf − inf).
  CHECK(term<S>(lossfn::GammaLoss(), I, 2) == std::pair<S, S>(I, 1));
  CHECK(term<S>(lossfn::GammaLoss(), -I, 2) == std::pair<S, S>(I, -I));
  // Pseudo-Huber: linear tails, slope ±δ, curvature 0.
  CHECK(term<S>(lossfn::PseudoHuberLoss(), I, 1) == std::pair<S, S>(I, 1));
  CHECK(term<S>(lossfn::PseudoHuberLoss().delta(0.5), -I, 1) == std::pair<S, S>(I, S(-0.5)));
  CHECK(term<S>(lossfn::PseudoHuberLoss().delta(1e-3), S(1e30), 0).second == S(1e-3));
  Mat<S> big(1, 2), zero = Mat<S>::Zero(1, 2);
  big << I, S(-3e38);
  const Mat<S> far_h = lossfn::PseudoHuberLoss().hessian_diagonal(big, zero);
  CHECK(far_h(0, 0) == 0);
  CHECK((far_h(0, 1) >= 0 && far_h(0, 1) <= S(1e-100)));  // 0 in float
  CHECK(std::isfinite(lossfn::PseudoHuberLoss().delta(1e-3).unreduced(big, zero)(0, 1)));
  // MSLE: r → inf, its derivatives 2r/(1 + p) and 2(1 − r)/(1 + p)² → 0.
  CHECK(term<S>(lossfn::MeanSquaredLogError(), I, 1) == std::pair<S, S>(I, 0));
  big << I, S(1);
  CHECK(lossfn::MeanSquaredLogError().hessian_diagonal(big, zero)(0, 0) == 0);
  // MAPE: slope 100/|t|; Expectile: (a·u)·u with a = τ or 1 − τ.
  CHECK(term<S>(lossfn::MeanAbsolutePercentageError(), I, 2) == std::pair<S, S>(I, 50));
  CHECK(term<S>(lossfn::MeanAbsolutePercentageError(), -I, -2) == std::pair<S, S>(I, -50));
  CHECK(term<S>(lossfn::ExpectileLoss(), I, 0) == std::pair<S, S>(I, I));
  CHECK(term<S>(lossfn::ExpectileLoss(), -I, 0) == std::pair<S, S>(I, -I));
  // (a·u)·u: a small τ keeps a huge residual's term finite where a·u² is.
  CHECK(term<S>(lossfn::ExpectileLoss().expectile(1e-6), S(0), 1e20).first ==
        S(S(S(1e-6) * S(1e20)) * S(1e20)));
}

}  // namespace

TEST_CASE("objectives: NaN propagates, infinities give their limits", "[nonfinite][objectives]") {
  objectives_nonfinite<float>();
  objectives_nonfinite<double>();
}
