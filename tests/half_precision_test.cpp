// Half precision: Eigen::bfloat16 and Eigen::half predictions
// are computed and accumulated in float (at least), and every result comes
// back in the prediction's type.
//
// The expected numbers are the reference cases (PyTorch 1.13, float64;
// tests/data/cases.txt and cases_extended.txt) whose inputs a 16-bit type
// holds exactly: every case named "*bf16*" (made so that a bfloat16 run sees
// the numbers double saw), and any other case whose pred, target and weights
// are all exact in that type. They run through every entry point and layout of
// support/reference_runner.hpp at Tolerance<Eigen::bfloat16> / <Eigen::half>:
// float's bar plus one rounding to the 16-bit type (see reference_runner.hpp).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support/reference_runner.hpp"
#include "support/sixteen_bit.hpp"

namespace {

using Eigen::bfloat16;
using Eigen::half;

using sixteen_bit::check_16bit;

}  // namespace

// ---- the reference cases ------------------------------------------------------

TEST_CASE("16-bit MeanSquaredError matches the reference", "[half][reference]") {
  check_16bit<lossfn::MeanSquaredError>("MeanSquaredError");
}
TEST_CASE("16-bit RootMeanSquaredError matches the reference", "[half][reference]") {
  check_16bit<lossfn::RootMeanSquaredError>("RootMeanSquaredError");
}
TEST_CASE("16-bit MeanAbsoluteError matches the reference", "[half][reference]") {
  check_16bit<lossfn::MeanAbsoluteError>("MeanAbsoluteError");
}
TEST_CASE("16-bit BinaryCrossEntropy matches the reference", "[half][reference]") {
  check_16bit<lossfn::BinaryCrossEntropy>("BinaryCrossEntropy");
}
TEST_CASE("16-bit BinaryCrossEntropyWithLogits matches the reference", "[half][reference]") {
  check_16bit<lossfn::BinaryCrossEntropyWithLogits>("BinaryCrossEntropyWithLogits");
}
TEST_CASE("16-bit SoftmaxCrossEntropy matches the reference", "[half][reference]") {
  check_16bit<lossfn::SoftmaxCrossEntropy>("SoftmaxCrossEntropy");
}
TEST_CASE("16-bit NegativeLogLikelihood matches the reference", "[half][reference]") {
  check_16bit<lossfn::NegativeLogLikelihood>("NegativeLogLikelihood");
}
TEST_CASE("16-bit Hinge matches the reference", "[half][reference]") {
  check_16bit<lossfn::Hinge>("Hinge");
}
TEST_CASE("16-bit MultiClassHinge matches the reference", "[half][reference]") {
  check_16bit<lossfn::MultiClassHinge>("MultiClassHinge");
}
TEST_CASE("16-bit ZeroOneLoss matches the reference", "[half][reference]") {
  check_16bit<lossfn::ZeroOneLoss>("ZeroOneLoss");
}
TEST_CASE("16-bit SigmoidFocalLoss matches the reference", "[half][reference]") {
  check_16bit<lossfn::SigmoidFocalLoss>("SigmoidFocalLoss");
}
TEST_CASE("16-bit SoftmaxFocalLoss matches the reference", "[half][reference]") {
  check_16bit<lossfn::SoftmaxFocalLoss>("SoftmaxFocalLoss");
}

// ---- every entry point against the float computation ------------------------
//
// A 16-bit run computes exactly what a float run on the same numbers computes
// and rounds each result once to the 16-bit type. So every result of a 16-bit
// run must lie within one rounding (u·|f|, u = 2^-8 or 2^-11, or half's
// subnormal step) of the float run's; the 1e-6·|f| more leaves room for a
// driver that takes a different (SIMD) path for float than for 16 bits.

namespace {

/// S's relative rounding error, 2^-digits. (Not epsilon()/2: Eigen 3.4.0's
/// numeric_limits<Eigen::half>::epsilon() is 2^-13, not 2^-10.)
template <class S>
double unit_roundoff() {
  return std::ldexp(1.0, -std::numeric_limits<S>::digits);
}

template <class S, class A, class F>
void check_rounded(const Eigen::DenseBase<A>& got, const Eigen::DenseBase<F>& f,
                   const std::string& what) {
  INFO(what);
  REQUIRE(got.rows() == f.rows());
  REQUIRE(got.cols() == f.cols());
  for (Eigen::Index j = 0; j < f.cols(); ++j)
    for (Eigen::Index i = 0; i < f.rows(); ++i) {
      const double a = static_cast<double>(got(i, j)), e = static_cast<double>(f(i, j));
      if (a == e || (a != a && e != e)) continue;
      INFO("at (" << i << ", " << j << "): " << a << " against float's " << e);
      CHECK(std::abs(a - e) <=
            (unit_roundoff<S>() + 1e-6) * std::abs(e) + reference::Tolerance<S>::floor);
    }
}
template <class S>
void check_rounded(double got, double f, const std::string& what) {
  check_rounded<S>(Eigen::Matrix<double, 1, 1>::Constant(got),
                   Eigen::Matrix<double, 1, 1>::Constant(f), what);
}

/// The same numbers, NaN where NaN.
template <class A, class B>
bool identical(const Eigen::DenseBase<A>& a, const Eigen::DenseBase<B>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i)
      if (!(a(i, j) == b(i, j) || (a(i, j) != a(i, j) && b(i, j) != b(i, j)))) return false;
  return true;
}

/// A random matrix of numbers that bfloat16 (and so half) holds exactly.
Eigen::MatrixXf exact_random(Eigen::Index rows, Eigen::Index cols, float lo, float hi,
                             unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  Eigen::MatrixXf m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i)
      m(i, j) = static_cast<float>(static_cast<bfloat16>(u(random)));
  return m;
}

/// Every entry point of `loss` with 16-bit predictions (S) against the float
/// run on the same numbers, with and without sample weights. `target` is
/// passed as given (float values or integer class indices): targets of
/// another type than the prediction's are the point.
template <class S, class Loss, class T>
void check_against_float(const Loss& loss, const Eigen::MatrixXf& pred_f, const T& target,
                         const std::string& name) {
  using M16 = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  using A16 = Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic>;
  const M16 pred = pred_f.cast<S>();
  REQUIRE(pred.template cast<float>() == pred_f);  // the inputs are exact in S
  const Eigen::Index N = pred.rows(), C = pred.cols();
  const std::string where = name + " [" + reference::type_name<S>() + "]";
  constexpr bool row_wise = lossfn::traits<Loss>::row_wise;

  // Weights of several types: one per row (double), and pred's shape (S).
  const Eigen::VectorXd row_weights = Eigen::VectorXd::LinSpaced(N, 0.25, 0.25 * double(N));
  const Eigen::MatrixXf full_weights_f = exact_random(N, C, 0.0f, 3.0f, 7);
  const M16 full_weights = full_weights_f.cast<S>();

  auto run = [&](const std::string& how, const auto&... w16) {
    // The float run with the same weights, as float.
    auto float_weights = [&](const auto& w) -> Eigen::MatrixXf { return w.template cast<float>(); };
    const std::string at = where + how;
    auto float_call = [&](auto&& f) {
      if constexpr (sizeof...(w16) == 0)
        return f(pred_f, target);
      else {
        const Eigen::MatrixXf wf = float_weights(w16...);
        return f(pred_f, target, lossfn::weights(wf));
      }
    };
    auto half_call = [&](auto&& f) {
      if constexpr (sizeof...(w16) == 0)
        return f(pred, target);
      else
        return f(pred, target, lossfn::weights(w16)...);
    };

    // value and operator(): the prediction's type.
    const S value = half_call([&](const auto&... a) { return loss.value(a...); });
    static_assert(std::is_same_v<decltype(loss.value(pred, target)), S>);
    static_assert(std::is_same_v<decltype(loss(pred, target)), S>);
    const float value_f = float_call([&](const auto&... a) { return loss.value(a...); });
    check_rounded<S>(static_cast<double>(value), value_f, at + ": value");
    CHECK(half_call([&](const auto&... a) { return loss(a...); }) == value);

    if constexpr (!std::is_same_v<Loss, lossfn::RootMeanSquaredError>) {
      // partial: double sums, a float value() (see the test "A half sum
      // beyond 65504 is inf; its Partial<float> keeps the number").
      const auto part = half_call([&](const auto&... a) { return loss.partial(a...); });
      static_assert(std::is_same_v<decltype(loss.partial(pred, target)), lossfn::Partial<float>>);
      static_assert(std::is_same_v<decltype(part.sum), double>);
      static_assert(std::is_same_v<decltype(part.value()), float>);
      const auto part_f = float_call([&](const auto&... a) { return loss.partial(a...); });
      CHECK(part.weight == part_f.weight);
      check_rounded<S>(part.sum, part_f.sum, at + ": partial sum");
      check_rounded<S>(static_cast<double>(value), part.value(), at + ": partial value");

      // unreduced: the prediction's type.
      const auto u = half_call([&](const auto&... a) { return loss.unreduced(a...); });
      static_assert(std::is_same_v<typename std::decay_t<decltype(u)>::Scalar, S>);
      const auto u_f = float_call([&](const auto&... a) { return loss.unreduced(a...); });
      check_rounded<S>(u, u_f, at + ": unreduced");
    }

    if constexpr (lossfn::traits<Loss>::differentiable) {
      const M16 g = half_call([&](const auto&... a) { return loss.gradient(a...); });
      static_assert(std::is_same_v<decltype(loss.gradient(pred, target)), M16>);
      const Eigen::MatrixXf g_f = float_call([&](const auto&... a) { return loss.gradient(a...); });
      check_rounded<S>(g, g_f, at + ": gradient");

      // Fused: the same numbers, in a struct of the prediction's types.
      const auto fused = half_call([&](const auto&... a) { return loss.value_and_gradient(a...); });
      static_assert(std::is_same_v<std::remove_const_t<decltype(fused.value)>, S>);
      CHECK(fused.value == value);
      CHECK(identical(fused.gradient, g));

      // Into a 16-bit Block of a bigger array, and into float storage: the
      // output's own type receives the float result, rounded only to it.
      A16 big = A16::Constant(N + 2, C + 1, S(-3));
      Eigen::MatrixXf out_f;  // empty: resized to pred's shape
      const S v_block = half_call([&](const auto&... a) {
        return loss.value_and_gradient(a..., lossfn::out(big.block(1, 1, N, C)));
      });
      const S v_float_out = half_call(
          [&](const auto&... a) { return loss.value_and_gradient(a..., lossfn::out(out_f)); });
      CHECK(v_block == value);
      CHECK(v_float_out == value);
      CHECK(identical(big.block(1, 1, N, C), g));
      CHECK(big.row(0).isConstant(S(-3)));
      CHECK(big.col(0).isConstant(S(-3)));
      CHECK(big.row(N + 1).isConstant(S(-3)));
      check_rounded<float>(out_f, g_f, at + ": gradient into float storage");
    }

    if constexpr (lossfn::traits<Loss>::twice_differentiable) {
      const M16 h = half_call([&](const auto&... a) { return loss.hessian_diagonal(a...); });
      const Eigen::MatrixXf h_f =
          float_call([&](const auto&... a) { return loss.hessian_diagonal(a...); });
      check_rounded<S>(h, h_f, at + ": hessian");
      Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> g2, h2;
      const S v2 = half_call([&](const auto&... a) {
        return loss.value_gradient_hessian(a..., lossfn::out(g2), lossfn::out(h2));
      });
      static_assert(std::is_same_v<decltype(loss.value_gradient_hessian(
                                       pred, target, lossfn::out(g2), lossfn::out(h2))),
                                   S>);
      CHECK(v2 == value);
      CHECK(identical(h2, h));
      CHECK(identical(g2, half_call([&](const auto&... a) { return loss.gradient(a...); })));
    }
  };

  run("");
  run(", weights per row (double)", row_weights);
  if constexpr (!row_wise && !std::is_same_v<Loss, lossfn::ZeroOneLoss>)
    run(", weights of pred's shape (" + std::string(reference::type_name<S>()) + ")", full_weights);
}

/// Numbers for every kind of input, all exact in bfloat16 and half.
struct Inputs {
  static constexpr Eigen::Index N = 7, C = 5;
  Eigen::MatrixXf scores = exact_random(N, C, -3, 3, 1);
  Eigen::MatrixXf values = exact_random(N, C, -3, 3, 2);
  Eigen::MatrixXf probabilities = exact_random(N, C, 0.01f, 0.99f, 3);
  Eigen::MatrixXf soft_targets = exact_random(N, C, 0, 1, 4);
  Eigen::MatrixXf labels01 = (exact_random(N, C, 0, 1, 5).array() > 0.5f).cast<float>();
  Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic> labels_pm1 =
      (exact_random(N, C, 0, 1, 6).array() > 0.5f).cast<int>() * 2 - 1;
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1> classes64 =
      (Eigen::Matrix<std::int64_t, N, 1>() << 0, 4, 2, 2, 1, 3, 0).finished();
  Eigen::Matrix<unsigned char, Eigen::Dynamic, 1> classes8 = classes64.cast<unsigned char>();
  Eigen::MatrixXf log_probabilities =
      probabilities.array().log().matrix().cast<bfloat16>().cast<float>();
  Eigen::MatrixXd counts = exact_random(N, C, 0, 6, 8).array().floor().cast<double>();
};

template <class S>
void check_every_loss_against_float() {
  const Inputs in;
  check_against_float<S>(lossfn::MeanSquaredError(), in.scores, in.values, "MeanSquaredError");
  check_against_float<S>(lossfn::RootMeanSquaredError(), in.scores, in.values,
                         "RootMeanSquaredError");
  check_against_float<S>(lossfn::MeanAbsoluteError().reduction(lossfn::Reduction::sum), in.scores,
                         in.values, "MeanAbsoluteError");
  check_against_float<S>(lossfn::BinaryCrossEntropy(), in.probabilities, in.soft_targets,
                         "BinaryCrossEntropy");
  check_against_float<S>(lossfn::BinaryCrossEntropyWithLogits().pos_weight({1, 2, 3, 0.5, 1}),
                         in.scores, in.labels01, "BinaryCrossEntropyWithLogits");
  check_against_float<S>(lossfn::Hinge(), in.scores, in.labels_pm1, "Hinge (int labels)");
  check_against_float<S>(lossfn::SigmoidFocalLoss(), in.scores, in.soft_targets,
                         "SigmoidFocalLoss");
  check_against_float<S>(lossfn::ZeroOneLoss(), in.scores, in.labels_pm1, "ZeroOneLoss (binary)");
  check_against_float<S>(lossfn::ZeroOneLoss(), in.scores, in.classes8,
                         "ZeroOneLoss (uint8 class indices)");
  check_against_float<S>(lossfn::SoftmaxCrossEntropy()
                             .label_smoothing(0.125)
                             .class_weights({1, 2, 0.5, 1, 3})
                             .ignore_index(3),
                         in.scores, in.classes64, "SoftmaxCrossEntropy (int64 class indices)");
  check_against_float<S>(lossfn::SoftmaxCrossEntropy(), in.scores, in.soft_targets,
                         "SoftmaxCrossEntropy (probabilities)");
  check_against_float<S>(lossfn::NegativeLogLikelihood().ignore_index(0), in.log_probabilities,
                         in.classes8, "NegativeLogLikelihood (uint8 class indices)");
  check_against_float<S>(lossfn::MultiClassHinge().squared(true), in.scores, in.classes64,
                         "MultiClassHinge");
  check_against_float<S>(lossfn::SoftmaxFocalLoss().class_weights({1, 2, 0.5, 1, 3}), in.scores,
                         in.classes64, "SoftmaxFocalLoss");
}

}  // namespace

TEST_CASE("bfloat16 predictions: every entry point is float's result rounded once", "[half]") {
  check_every_loss_against_float<bfloat16>();
}
TEST_CASE("half predictions: every entry point is float's result rounded once", "[half]") {
  check_every_loss_against_float<half>();
}

// ---- accumulation, range, errors and NaN ----------------------------------------

TEMPLATE_TEST_CASE("16-bit predictions are accumulated in float or wider", "[half]", bfloat16,
                   half) {
  using S = TestType;
  // 2^16 squared errors in [0, 1): a 16-bit running sum would stop growing
  // once it reaches 2^11 (half) or 2^8 (bfloat16) times the size of a term,
  // and return a mean several times too small.
  const Eigen::Index N = 4096, C = 16;
  const Eigen::MatrixXf pred_f = exact_random(N, C, 0, 1, 11);
  const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> pred = pred_f.cast<S>();
  const Eigen::MatrixXf zero = Eigen::MatrixXf::Zero(N, C);
  const double exact_mean = pred_f.cast<double>().array().square().mean();  // ~1/3
  lossfn::MeanSquaredError mse;
  check_rounded<S>(static_cast<double>(mse(pred, zero)), exact_mean, "mean of 2^16 terms");
  const lossfn::Partial<float> part = mse.partial(pred, zero);
  CHECK(part.weight == double(N * C));
  CHECK(std::abs(part.sum / double(N * C) - exact_mean) <= 1e-6 * exact_mean);

  // Row-wise: the mean cross-entropy of 30000 rows.
  const Eigen::Index R = 30000;
  const Eigen::MatrixXf logits_f = exact_random(R, 3, -2, 2, 12);
  Eigen::VectorXi labels(R);
  for (Eigen::Index i = 0; i < R; ++i) labels(i) = int(i % 3);
  double total = 0;
  for (Eigen::Index i = 0; i < R; ++i) {
    const Eigen::RowVector3d x = logits_f.row(i).cast<double>();
    total += std::log(x.array().exp().sum()) - x(labels(i));
  }
  const S ce = lossfn::SoftmaxCrossEntropy()(logits_f.cast<S>(), labels);
  check_rounded<S>(static_cast<double>(ce), total / double(R), "mean cross-entropy of 30000 rows");
}

TEST_CASE("A half sum beyond 65504 is inf; its Partial<float> keeps the number", "[half]") {
  // Results are in the prediction's type, so a sum that half cannot hold
  // overflows to inf, as converting any float above 65504 to half does; the
  // shard's Partial<float> keeps the finite sum (in double) for combining
  // across shards, and its value() is that sum in float.
  const Eigen::Matrix<half, Eigen::Dynamic, Eigen::Dynamic> pred =
      Eigen::Matrix<half, Eigen::Dynamic, Eigen::Dynamic>::Constant(300, 100, half(2.0f));
  const Eigen::MatrixXf target = Eigen::MatrixXf::Zero(300, 100);
  lossfn::MeanSquaredError sum;
  sum.reduction(lossfn::Reduction::sum);
  CHECK(static_cast<float>(sum(pred, target)) == std::numeric_limits<float>::infinity());
  const lossfn::Partial<float> part = sum.partial(pred, target);
  CHECK(part.sum == 120000.0);  // 30000 terms of 4
  CHECK(part.value() == 120000.0f);
  // The mean fits: 4 exactly.
  CHECK(static_cast<float>(lossfn::MeanSquaredError()(pred, target)) == 4.0f);
}

TEMPLATE_TEST_CASE("16-bit inputs: errors name the bad 16-bit value", "[half][errors]", bfloat16,
                   half) {
  using S = TestType;
  using M16 = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  M16 probabilities = M16::Constant(2, 3, S(0.5f));
  probabilities(1, 2) = S(1.5f);
  const Eigen::MatrixXi targets = Eigen::MatrixXi::Ones(2, 3);
  CHECK_THROWS_WITH(lossfn::BinaryCrossEntropy()(probabilities, targets),
                    "BinaryCrossEntropy: pred(1, 2) = 1.5 is outside [0, 1] (probabilities "
                    "expected; for logits use BinaryCrossEntropyWithLogits)");
  const M16 logits = M16::Zero(2, 3);
  const Eigen::VectorXi classes = (Eigen::VectorXi(2) << 0, 3).finished();
  CHECK_THROWS_WITH(lossfn::SoftmaxCrossEntropy()(logits, classes),
                    "SoftmaxCrossEntropy: target[1] = 3 is outside [0, 3)");
  M16 weights = M16::Ones(2, 1);
  weights(1, 0) = S(-0.25f);
  CHECK_THROWS_WITH(
      lossfn::SoftmaxCrossEntropy()(logits, Eigen::VectorXi::Zero(2), lossfn::weights(weights)),
      "SoftmaxCrossEntropy: weights(1, 0) = -0.25 is not a finite non-negative "
      "weight");
  M16 labels = M16::Ones(2, 3);
  labels(0, 1) = S(2.0f);
  CHECK_THROWS_WITH(lossfn::Hinge()(logits, labels),
                    "Hinge: target(0, 1) = 2 is not a binary label (-1, 0 or +1)");
}

TEMPLATE_TEST_CASE("16-bit NaN predictions propagate; infinite logits give their limits", "[half]",
                   bfloat16, half) {
  using S = TestType;
  using M16 = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  const S nan = std::numeric_limits<S>::quiet_NaN(), inf = std::numeric_limits<S>::infinity();
  M16 x = M16::Zero(2, 3);
  x(0, 1) = nan;
  const Eigen::MatrixXf t = Eigen::MatrixXf::Ones(2, 3);
  const auto [value, gradient] = lossfn::BinaryCrossEntropyWithLogits().value_and_gradient(x, t);
  CHECK(value != value);
  CHECK(gradient(0, 1) != gradient(0, 1));
  CHECK(gradient(1, 1) == gradient(1, 1));

  // Logits of +inf for the right label cost nothing, with zero gradient.
  x.setConstant(inf);
  const auto limit = lossfn::BinaryCrossEntropyWithLogits().value_and_gradient(x, t);
  CHECK(static_cast<float>(limit.value) == 0.0f);
  CHECK((limit.gradient.array() == S(0)).all());
  const Eigen::VectorXi classes = Eigen::VectorXi::Zero(2);
  M16 logits = M16::Zero(2, 3);
  logits(1, 2) = nan;
  const Eigen::Array<S, Eigen::Dynamic, 1> per_row =
      lossfn::SoftmaxCrossEntropy().unreduced(logits, classes);
  check_rounded<S>(static_cast<double>(per_row(0)), std::log(3.0), "log 3");
  CHECK(per_row(1) != per_row(1));
}
