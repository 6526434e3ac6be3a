// Every bad input the docs name, for every loss and every entry
// point: the exception type (lossfn::invalid_argument, a std::invalid_argument),
// the exact message (loss, argument, position, bad value), and that the
// caller's data -- pred, target, weights and every out-argument, including the
// rest of a matrix whose block is the output and a resizable output of the
// wrong size -- is bit for bit what it was before the call.
#include <lossfn/lossfn.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "catch.hpp"
#include "support/entry_points.hpp"

namespace {

using entry_points::same_bits;
using Mat = Eigen::MatrixXd;
using MatF = Eigen::MatrixXf;
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using IVec = Eigen::VectorXi;
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

static_assert(std::is_base_of_v<std::invalid_argument, lossfn::invalid_argument>);

/// The message of the lossfn::invalid_argument that f throws ("" and a
/// failure when it throws nothing or something else).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const lossfn::invalid_argument& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL_CHECK("threw another exception type: " << e.what());
    return "";
  }
  FAIL_CHECK("threw nothing");
  return "";
}

/// Every entry point of `loss` rejects (pred, target[, weights]) with exactly
/// `message`, and leaves all of the caller's data untouched.
template <class Loss, class P, class T, class... W>
void rejects(const Loss& loss, const P& pred, const T& target, const std::string& message,
             const W&... w) {
  using S = typename P::Scalar;
  const typename P::PlainObject pred_before = pred;
  const typename T::PlainObject target_before = target;
  entry_points::Outputs<S> out(pred.rows(), pred.cols());
  entry_points::for_each(
      loss, pred, target, out,
      [&](const char* entry, auto call) {
        INFO(Loss::name << "::" << entry);
        CHECK(error_of(call) == message);
      },
      lossfn::weights(w)...);
  CHECK(out.untouched());
  CHECK(same_bits(pred, pred_before));
  CHECK(same_bits(target, target_before));
}

/// The same with sample weights, which must also be left untouched.
template <class Loss, class P, class T, class W>
void rejects_weighted(const Loss& loss, const P& pred, const T& target, const W& w,
                      const std::string& message) {
  const typename W::PlainObject w_before = w;
  rejects(loss, pred, target, message, w);
  CHECK(same_bits(w, w_before));
}

/// Every entry point accepts the input (the negative control of `rejects`).
template <class Loss, class P, class T, class... W>
void accepts(const Loss& loss, const P& pred, const T& target, const W&... w) {
  entry_points::Outputs<typename P::Scalar> out(pred.rows(), pred.cols());
  entry_points::for_each(
      loss, pred, target, out,
      [&](const char* entry, auto call) {
        INFO(Loss::name << "::" << entry);
        CHECK_NOTHROW(call());
      },
      lossfn::weights(w)...);
}

Mat values(Eigen::Index rows, Eigen::Index cols, double scale = 0.3) {
  Mat m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i)
      m(i, j) = scale * static_cast<double>((i * 7 + j * 3) % 5) / 4.0 - 0.1 * scale;
  return m;
}
Mat probabilities(Eigen::Index rows, Eigen::Index cols) {
  return (values(rows, cols, 1.0).array() * 0.8 + 0.15).matrix();
}
Mat labels01(Eigen::Index rows, Eigen::Index cols) {
  Mat m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = static_cast<double>((i + j) % 2);
  return m;
}
IVec classes(Eigen::Index rows, int C) {
  IVec y(rows);
  for (Eigen::Index i = 0; i < rows; ++i) y(i) = static_cast<int>(i % C);
  return y;
}

/// Shape and weight errors that every element-wise loss shares.
template <class Loss>
void common_elementwise_errors(const Loss& loss, const Mat& pred, const Mat& target) {
  const std::string name = Loss::name;
  // ZeroOneLoss also takes class indices, and says so
  constexpr bool zero_one = std::is_same_v<Loss, lossfn::ZeroOneLoss>;
  const std::string expected =
      zero_one ? "4x2 (binary labels of pred's shape) or 4x1 (integer class indices)"
               : "4x2 (pred's shape)";
  accepts(loss, pred, target);
  // target of another shape, either dimension
  rejects(loss, pred, Mat(target.topRows(3)),
          name + ": target has shape 3x2, expected " + expected);
  rejects(loss, pred, Mat(target.leftCols(1)),
          zero_one ? name +
                         ": target is a 4x1 column of floating-point values: class indices "
                         "must be integers (use y.cast<int>()); binary labels have pred's "
                         "shape 4x2"
                   : name + ": target has shape 4x1, expected " + expected);
  rejects(loss, pred, Mat(target.transpose()),
          name + ": target has shape 2x4, expected " + expected);
  // weights: pred's shape or a column of N; anything else is an error
  const Mat ok = Mat::Constant(4, 2, 0.5);
  accepts(loss, pred, target, ok);
  accepts(loss, pred, target, Mat(ok.leftCols(1)));
  rejects_weighted(loss, pred, target, Mat::Constant(4, 3, 1.0),
                   name +
                       ": weights has shape 4x3, expected 4x2 (pred's shape) or 4x1 (one "
                       "weight per row)");
  rejects_weighted(loss, pred, target, Mat::Constant(3, 1, 1.0),
                   name +
                       ": weights has shape 3x1, expected 4x2 (pred's shape) or 4x1 (one "
                       "weight per row)");
  rejects_weighted(loss, pred, target, Mat::Constant(1, 4, 1.0),
                   name +
                       ": weights has shape 1x4, expected 4x2 (pred's shape) or 4x1 (one "
                       "weight per row)");
  // a column pred: its shape and one weight per row are the same, said once
  const Mat column_pred = pred.leftCols(1), column_target = target.leftCols(1);
  rejects_weighted(loss, column_pred, column_target, Mat::Constant(3, 1, 1.0),
                   name +
                       ": weights has shape 3x1, expected 4x1 (pred's shape: one weight per "
                       "row)");
  // negative, NaN and infinite weights, in either form
  for (double bad : {-0.5, qnan, inf, -inf, -1e-300}) {
    Mat w = ok;
    w(2, 1) = bad;
    rejects_weighted(loss, pred, target, w,
                     name + ": weights(2, 1) = " + lossfn::detail::to_text(bad) +
                         " is not a finite non-negative weight");
    Mat column = ok.leftCols(1);
    column(3, 0) = bad;
    rejects_weighted(loss, pred, target, column,
                     name + ": weights(3, 0) = " + lossfn::detail::to_text(bad) +
                         " is not a finite non-negative weight");
  }
  // -0 is a valid (zero) weight
  Mat negative_zero = ok;
  negative_zero(0, 0) = -0.0;
  accepts(loss, pred, target, negative_zero);
}

}  // namespace

TEST_CASE("error messages follow the documented example exactly", "[errors]") {
  // The README's example: "SoftmaxCrossEntropy: target[3] = 7 is outside [0, 5)".
  const Mat logits = values(5, 5);
  IVec y = classes(5, 5);
  y(3) = 7;
  rejects(lossfn::SoftmaxCrossEntropy(), logits, y,
          "SoftmaxCrossEntropy: target[3] = 7 is outside [0, 5)");
  // also catchable as std::invalid_argument
  CHECK_THROWS_AS(lossfn::SoftmaxCrossEntropy()(logits, y), std::invalid_argument);
}

TEST_CASE("element-wise losses reject shapes and weights", "[errors]") {
  const Mat pred = values(4, 2), target = values(4, 2, 0.7);
  const Mat prob = probabilities(4, 2), lab = labels01(4, 2);
  common_elementwise_errors(lossfn::MeanSquaredError(), pred, target);
  common_elementwise_errors(lossfn::MeanAbsoluteError(), pred, target);
  common_elementwise_errors(lossfn::RootMeanSquaredError(), pred, target);
  common_elementwise_errors(lossfn::BinaryCrossEntropy(), prob, lab);
  common_elementwise_errors(lossfn::BinaryCrossEntropyWithLogits(), pred, lab);
  common_elementwise_errors(lossfn::Hinge(), pred, lab);
  common_elementwise_errors(lossfn::SigmoidFocalLoss(), pred, lab);
  common_elementwise_errors(lossfn::ZeroOneLoss(), pred, lab);
}

TEST_CASE("BinaryCrossEntropy rejects probabilities and targets outside [0, 1]", "[errors]") {
  const lossfn::BinaryCrossEntropy bce;
  const Mat p = probabilities(4, 2), t = labels01(4, 2);
  const double above_one = std::nextafter(1.0, 2.0),
               below_zero = -std::numeric_limits<double>::denorm_min();
  for (double bad : {1.5, -0.25, above_one, below_zero, qnan, inf, -inf}) {
    Mat bad_p = p;
    bad_p(3, 1) = bad;
    rejects(bce, bad_p, t,
            "BinaryCrossEntropy: pred(3, 1) = " + lossfn::detail::to_text(bad) +
                " is outside [0, 1] (probabilities expected; for logits use "
                "BinaryCrossEntropyWithLogits)");
    Mat bad_t = t;
    bad_t(1, 0) = bad;
    rejects(bce, p, bad_t,
            "BinaryCrossEntropy: target(1, 0) = " + lossfn::detail::to_text(bad) +
                " is outside [0, 1]");
  }
  // the boundaries themselves, and -0, are valid
  Mat edge = p;
  edge(0, 0) = 0.0;
  edge(1, 0) = 1.0;
  edge(2, 0) = -0.0;
  accepts(bce, edge, t);
  // the value shown is the caller's, in the caller's type
  const Eigen::MatrixXi int_t = (Eigen::MatrixXi(4, 2) << 0, 1, 1, 0, 2, 1, 0, 1).finished();
  rejects(bce, p, int_t, "BinaryCrossEntropy: target(2, 0) = 2 is outside [0, 1]");
  MatF pf = p.cast<float>();
  pf(0, 1) = 1.0000001f;
  rejects(bce, pf, t,
          "BinaryCrossEntropy: pred(0, 1) = 1.00000012 is outside [0, 1] "
          "(probabilities expected; for logits use BinaryCrossEntropyWithLogits)");
  // values are checked as the caller gave them, before any conversion to
  // pred's type: 1 + 1e-12 is not a probability even though it rounds to 1.0f
  Mat almost_one = t;
  almost_one(3, 0) = 1 + 1e-12;
  rejects(bce, pf.cwiseMin(1.0f), almost_one,
          "BinaryCrossEntropy: target(3, 0) = " + lossfn::detail::to_text(1 + 1e-12) +
              " is outside [0, 1]");
  // row-major input: the position is still (row, column)
  RowMat pr = p;
  pr(2, 1) = 2.0;
  rejects(bce, pr, t,
          "BinaryCrossEntropy: pred(2, 1) = 2 is outside [0, 1] (probabilities expected; for "
          "logits use BinaryCrossEntropyWithLogits)");
}

TEST_CASE("a bad value late in the data leaves earlier outputs untouched", "[errors]") {
  // The driver must find the bad coefficient before writing any output: the
  // last coefficient in traversal order is the bad one here.
  const Mat p = probabilities(50, 3);
  Mat t = labels01(50, 3);
  t(49, 2) = 3;
  rejects(lossfn::BinaryCrossEntropy(), p, t,
          "BinaryCrossEntropy: target(49, 2) = 3 is outside [0, 1]");
  rejects(lossfn::Hinge(), p, t, "Hinge: target(49, 2) = 3 is not a binary label (-1, 0 or +1)");
  rejects(lossfn::SigmoidFocalLoss(), p, t,
          "SigmoidFocalLoss: target(49, 2) = 3 is outside [0, 1]");
  rejects(lossfn::BinaryCrossEntropyWithLogits(), p, t,
          "BinaryCrossEntropyWithLogits: target(49, 2) = 3 is outside [0, 1]");
  rejects(lossfn::ZeroOneLoss(), p, t,
          "ZeroOneLoss: target(49, 2) = 3 is not a binary label (-1, 0 or +1)");
  const RowMat pr = p, tr = t;
  rejects(lossfn::Hinge(), pr, tr, "Hinge: target(49, 2) = 3 is not a binary label (-1, 0 or +1)");
}

// Regression (fuzz_rowwise): CategoricalCrossEntropy converted probability
// targets to pred's type before checking them, so a double target of
// 1 + 2^-52 or -4.9e-324 with a float pred passed as 1.0f or -0.0f.
TEST_CASE("CategoricalCrossEntropy checks probability targets as given (before conversion)",
          "[errors]") {
  const lossfn::CategoricalCrossEntropy cce;
  const MatF p = (probabilities(4, 3).array() / 3).matrix().cast<float>();
  Mat t = Mat::Constant(4, 3, 1.0 / 3);
  accepts(cce, p, t);
  const double above_one = std::nextafter(1.0, 2.0),
               below_zero = -std::numeric_limits<double>::denorm_min();
  for (double bad : {above_one, below_zero, 1 + 1e-12}) {
    Mat bad_t = t;
    bad_t(2, 1) = bad;
    rejects(cce, p, bad_t,
            "CategoricalCrossEntropy: target(2, 1) = " + lossfn::detail::to_text(bad) +
                " is outside [0, 1]");
  }
  // -0 and the ends are probabilities
  t(0, 0) = -0.0;
  t(1, 0) = 1.0;
  t(2, 0) = 0.0;
  accepts(cce, p, t);
}

TEST_CASE("logit losses reject targets outside [0, 1]", "[errors]") {
  const Mat x = values(4, 2, 5.0), t = labels01(4, 2);
  for (double bad : {1.5, -0.25, std::nextafter(1.0, 2.0), qnan, inf}) {
    Mat bad_t = t;
    bad_t(2, 1) = bad;
    const std::string v = lossfn::detail::to_text(bad);
    rejects(lossfn::BinaryCrossEntropyWithLogits(), x, bad_t,
            "BinaryCrossEntropyWithLogits: target(2, 1) = " + v + " is outside [0, 1]");
    rejects(lossfn::SigmoidFocalLoss(), x, bad_t,
            "SigmoidFocalLoss: target(2, 1) = " + v + " is outside [0, 1]");
  }
  // soft targets inside [0, 1] are fine
  accepts(lossfn::BinaryCrossEntropyWithLogits(), x, probabilities(4, 2));
  accepts(lossfn::SigmoidFocalLoss(), x, probabilities(4, 2));
}

TEST_CASE("binary labels must be -1, 0 or +1", "[errors]") {
  const Mat f = values(4, 2, 3.0);
  Mat y = labels01(4, 2).array() * 2 - 1;  // {-1, +1}
  accepts(lossfn::Hinge(), f, y);
  accepts(lossfn::Hinge(), f, labels01(4, 2));  // {0, 1} too
  for (double bad : {2.0, 0.5, -2.0, qnan, inf, -inf, 1e-300}) {
    Mat bad_y = y;
    bad_y(1, 1) = bad;
    const std::string v = lossfn::detail::to_text(bad);
    rejects(lossfn::Hinge(), f, bad_y,
            "Hinge: target(1, 1) = " + v + " is not a binary label (-1, 0 or +1)");
    rejects(lossfn::ZeroOneLoss(), f, bad_y,
            "ZeroOneLoss: target(1, 1) = " + v + " is not a binary label (-1, 0 or +1)");
  }
  // checked in the target's own type: 1e-300 would round to 0.0f, a valid label
  Mat tiny = y;
  tiny(0, 1) = 1e-300;
  rejects(lossfn::Hinge(), MatF(f.cast<float>()), tiny,
          "Hinge: target(0, 1) = 1e-300 is not a binary label (-1, 0 or +1)");
  const Eigen::MatrixXi int_y = (Eigen::MatrixXi(4, 2) << 1, -1, 0, 1, 1, 1, -3, 0).finished();
  rejects(lossfn::Hinge(), f, int_y,
          "Hinge: target(3, 0) = -3 is not a binary label (-1, 0 or +1)");
}

TEST_CASE("row-wise losses reject bad class indices", "[errors]") {
  const Mat x = values(5, 3, 4.0);
  const Mat logp = (x.array().colwise() - x.array().exp().rowwise().sum().log()).matrix();
  auto check = [&](const auto& loss, const Mat& pred) {
    using L = std::decay_t<decltype(loss)>;
    const std::string name = L::name;
    IVec y = classes(5, 3);
    accepts(loss, pred, y);
    // a negative label on a loss with ignore_index (not set) says how to skip it
    constexpr bool skippable = !std::is_same_v<L, lossfn::MultiClassHinge>;
    for (int bad : {3, -1, 7, std::numeric_limits<int>::max(), std::numeric_limits<int>::min()}) {
      IVec bad_y = y;
      bad_y(4) = bad;
      const std::string label = std::to_string(bad);
      rejects(loss, pred, bad_y,
              name + ": target[4] = " + label + " is outside [0, 3)" +
                  (skippable && bad < 0
                       ? " (to skip rows labelled " + label + ", set ignore_index(" + label + "))"
                       : ""));
    }
    // any integer type: 64-bit, unsigned, and unsigned beyond long long's range
    Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1> y64 = y.cast<std::int64_t>();
    y64(0) = std::int64_t(1) << 40;
    rejects(loss, pred, y64, name + ": target[0] = 1099511627776 is outside [0, 3)");
    Eigen::Matrix<std::uint64_t, Eigen::Dynamic, 1> yu = y.cast<std::uint64_t>();
    yu(1) = std::numeric_limits<std::uint64_t>::max();
    rejects(loss, pred, yu, name + ": target[1] = 18446744073709551615 is outside [0, 3)");
    Eigen::Matrix<unsigned char, Eigen::Dynamic, 1> y8 = y.cast<unsigned char>();
    y8(2) = 200;
    rejects(loss, pred, y8, name + ": target[2] = 200 is outside [0, 3)");
    // wrong target shapes: a row, a matrix, too few or too many rows
    rejects(loss, pred, IVec(y.head(4)),
            name + ": target has shape 4x1, expected 5x1 (one class index per row of pred)");
    rejects(loss, pred, Eigen::RowVectorXi(y.transpose()),
            name + ": target has shape 1x5, expected 5x1 (one class index per row of pred)");
    rejects(loss, pred, Eigen::MatrixXi::Zero(5, 3),
            std::is_same_v<L, lossfn::SoftmaxCrossEntropy>
                ? name +
                      ": target is a 5x3 matrix of integers: probabilities must be "
                      "floating-point (use y.cast<float>()); class indices are 5x1"
                : name +
                      ": target has shape 5x3, expected 5x1 (one class index per row of "
                      "pred)");
    // sample weights: a column of N only, finite and non-negative
    const Mat w = Mat::Constant(5, 1, 2.0);
    accepts(loss, pred, y, w);
    rejects_weighted(loss, pred, y, Mat::Constant(5, 3, 1.0),
                     name + ": weights has shape 5x3, expected 5x1 (one weight per row)");
    rejects_weighted(loss, pred, y, Mat::Constant(4, 1, 1.0),
                     name + ": weights has shape 4x1, expected 5x1 (one weight per row)");
    for (double bad : {-1.0, qnan, inf}) {
      Mat bad_w = w;
      bad_w(3) = bad;
      rejects_weighted(loss, pred, y, bad_w,
                       name + ": weights(3, 0) = " + lossfn::detail::to_text(bad) +
                           " is not a finite non-negative weight");
    }
    // class weights: one per column of pred
    auto weighted = loss;
    weighted.class_weights({1.0, 2.0});
    rejects(weighted, pred, y,
            name + ": class_weights has 2 entries, expected 3 (one per column of pred)");
    weighted.class_weights({1.0, 2.0, 3.0, 4.0});
    rejects(weighted, pred, y,
            name + ": class_weights has 4 entries, expected 3 (one per column of pred)");
    weighted.class_weights({1.0, 2.0, 3.0});
    accepts(weighted, pred, y);
    // an empty batch still checks shapes (0 rows, 3 columns)
    accepts(loss, Mat(0, 3), IVec(0));
    rejects(loss, Mat(0, 3), IVec(1),
            name + ": target has shape 1x1, expected 0x1 (one class index per row of pred)");
  };
  check(lossfn::SoftmaxCrossEntropy(), x);
  check(lossfn::NegativeLogLikelihood(), logp);
  check(lossfn::MultiClassHinge(), x);
  check(lossfn::MultiClassHinge().crammer_singer(true), x);
  check(lossfn::SoftmaxFocalLoss(), x);
  // ZeroOneLoss has no class weights: its own checks
  IVec y = classes(5, 3);
  accepts(lossfn::ZeroOneLoss(), x, y);
  y(2) = 3;
  rejects(lossfn::ZeroOneLoss(), x, y, "ZeroOneLoss: target[2] = 3 is outside [0, 3)");
  // integer N x 1 targets are class indices: the message says what they need
  rejects(lossfn::ZeroOneLoss(), x, IVec(4),
          "ZeroOneLoss: target has shape 4x1, expected 5x1 (one class index per row of pred)");
  // float labels N x 1 for N x C scores: not class indices
  rejects(lossfn::ZeroOneLoss(), x, Mat::Zero(5, 1),
          "ZeroOneLoss: target is a 5x1 column of floating-point values: class indices must be "
          "integers (use y.cast<int>()); binary labels have pred's shape 5x3");
  // a one-column pred: binary labels only
  rejects(lossfn::ZeroOneLoss(), Mat(x.leftCols(1)), Mat::Zero(4, 1),
          "ZeroOneLoss: target has shape 4x1, expected 5x1 (binary labels of pred's shape)");
  rejects_weighted(lossfn::ZeroOneLoss(), x, classes(5, 3), Mat::Constant(5, 3, -1.0),
                   "ZeroOneLoss: weights has shape 5x3, expected 5x1 (one weight per row)");
}

TEST_CASE("ignore_index: ignored rows skip the range check, never the weight check", "[errors]") {
  const Mat x = values(4, 3, 2.0);
  IVec y = classes(4, 3);
  y(1) = -100;
  auto check = [&](auto loss) {
    const std::string name = decltype(loss)::name;
    // without ignore_index, a negative label says how to skip its rows
    rejects(loss, x, y,
            name +
                ": target[1] = -100 is outside [0, 3) (to skip rows labelled -100, set "
                "ignore_index(-100))");
    loss.ignore_index(-100);
    accepts(loss, x, y);
    CHECK(loss.ignore_index() == -100);
    // A negative or non-finite weight is an error even on an ignored row
    Mat w = Mat::Ones(4, 1);
    w(1) = -2;
    rejects_weighted(loss, x, y, w,
                     name + ": weights(1, 0) = -2 is not a finite non-negative weight");
    w(1) = qnan;
    rejects_weighted(loss, x, y, w,
                     name + ": weights(1, 0) = nan is not a finite non-negative weight");
    // an ignore_index inside [0, C) ignores that class; other labels are still checked
    loss.ignore_index(0);
    IVec y2 = classes(4, 3);
    y2(3) = 5;
    rejects(loss, x, y2, name + ": target[3] = 5 is outside [0, 3)");
    // with ignore_index set, another negative label gets no hint
    y2(3) = -1;
    rejects(loss, x, y2, name + ": target[3] = -1 is outside [0, 3)");
  };
  check(lossfn::SoftmaxCrossEntropy());
  check(lossfn::NegativeLogLikelihood());
  check(lossfn::SoftmaxFocalLoss());
  check(lossfn::ZeroOneLoss());
  // ZeroOneLoss's ignore_index is for class indices: with binary labels of
  // pred's shape (never padding) it is an error, not silently unused
  const Mat labels = Mat::Ones(4, 3);
  accepts(lossfn::ZeroOneLoss(), x, labels);
  rejects(lossfn::ZeroOneLoss().ignore_index(-1), x, labels,
          "ZeroOneLoss: ignore_index is set, but target holds binary labels of pred's shape; "
          "ignore_index applies to class indices (an N x 1 integer column, with C >= 2 columns "
          "of pred)");
  // unsigned labels never alias a negative ignore_index through wrap-around
  Eigen::Matrix<std::uint64_t, Eigen::Dynamic, 1> yu = classes(4, 3).cast<std::uint64_t>();
  yu(2) = std::numeric_limits<std::uint64_t>::max();  // -1 as a long long
  rejects(lossfn::SoftmaxCrossEntropy().ignore_index(-1), x, yu,
          "SoftmaxCrossEntropy: target[2] = 18446744073709551615 is outside [0, 3)");
}

TEST_CASE("SoftmaxCrossEntropy probability targets must have pred's shape", "[errors]") {
  const Mat x = values(4, 3, 2.0);
  const Mat t = Mat::Constant(4, 3, 1.0 / 3);
  accepts(lossfn::SoftmaxCrossEntropy(), x, t);
  rejects(
      lossfn::SoftmaxCrossEntropy(), x, Mat(t.leftCols(2)),
      "SoftmaxCrossEntropy: target has shape 4x2, expected 4x3 (probabilities of pred's shape)");
  // float class labels: the number type is the cause, the cast the fix
  rejects(lossfn::SoftmaxCrossEntropy(), x, Mat(4, 1),
          "SoftmaxCrossEntropy: target is a 4x1 column of floating-point values: class indices "
          "must be integers (use y.cast<int>()); probabilities have pred's shape 4x3");
  rejects(lossfn::CategoricalCrossEntropy(), Mat::Constant(4, 3, 1.0 / 3), Mat(4, 1),
          "CategoricalCrossEntropy: target is a 4x1 column of floating-point values: class "
          "indices must be integers (use y.cast<int>()); probabilities have pred's shape 4x3");
  // an integer one-hot matrix: probabilities are floating-point
  rejects(lossfn::SoftmaxCrossEntropy(), x, Eigen::MatrixXi(Eigen::MatrixXi::Zero(4, 3)),
          "SoftmaxCrossEntropy: target is a 4x3 matrix of integers: probabilities must be "
          "floating-point (use y.cast<float>()); class indices are 4x1");
  // a loss of class indices only: the shape of indices
  rejects(lossfn::NegativeLogLikelihood(), x, Eigen::MatrixXi(Eigen::MatrixXi::Zero(4, 3)),
          "NegativeLogLikelihood: target has shape 4x3, expected 4x1 (one class index per row "
          "of pred)");
  rejects(lossfn::SoftmaxCrossEntropy().class_weights({1.0, 1.0}), x, t,
          "SoftmaxCrossEntropy: class_weights has 2 entries, expected 3 (one per column of pred)");
}

TEST_CASE("BinaryCrossEntropyWithLogits pos_weight: length and values", "[errors]") {
  const Mat x = values(4, 3, 3.0), t = labels01(4, 3);
  lossfn::BinaryCrossEntropyWithLogits loss;
  accepts(loss.pos_weight({2.0}), x, t);
  accepts(loss.pos_weight({1.0, 2.0, 3.0}), x, t);
  rejects(loss.pos_weight({1.0, 2.0}), x, t,
          "BinaryCrossEntropyWithLogits: pos_weight has 2 entries, expected 1 or 3 (one per "
          "column of pred)");
  rejects(loss.pos_weight({1.0, 2.0, 3.0, 4.0}), x, t,
          "BinaryCrossEntropyWithLogits: pos_weight has 4 entries, expected 1 or 3 (one per "
          "column of pred)");
  loss.pos_weight({1.0, 2.0, 3.0});
  for (double bad : {-1.0, qnan, inf}) {
    CHECK(error_of([&] {
            loss.pos_weight({1.0, bad, 3.0});
          }) == "BinaryCrossEntropyWithLogits: pos_weight[1] = " + lossfn::detail::to_text(bad) +
                    " is not a finite non-negative weight");
    CHECK(error_of([&] { loss.pos_weight(bad); }) ==
          "BinaryCrossEntropyWithLogits: pos_weight[0] = " + lossfn::detail::to_text(bad) +
              " is not a finite non-negative weight");
    CHECK(error_of([&] { loss.pos_weight(Eigen::Vector3d(1.0, 2.0, bad)); }) ==
          "BinaryCrossEntropyWithLogits: pos_weight[2] = " + lossfn::detail::to_text(bad) +
              " is not a finite non-negative weight");
  }
  // a rejected setter leaves the option as it was
  CHECK(loss.pos_weight() == std::vector<double>{1.0, 2.0, 3.0});
}

TEST_CASE("class weights must be finite and non-negative", "[errors]") {
  auto check = [](auto loss) {
    const std::string name = decltype(loss)::name;
    loss.class_weights({0.5, 1.0, 2.0});
    for (double bad : {-1.0, qnan, inf, -inf}) {
      const std::string v = lossfn::detail::to_text(bad);
      CHECK(error_of([&] {
              loss.class_weights({1.0, 2.0, bad});
            }) == name + ": class_weights[2] = " + v + " is not a finite non-negative weight");
      CHECK(error_of([&] { loss.class_weights(std::vector<double>{bad}); }) ==
            name + ": class_weights[0] = " + v + " is not a finite non-negative weight");
      CHECK(error_of([&] { loss.class_weights(Eigen::Vector2f(1.0f, static_cast<float>(bad))); }) ==
            name + ": class_weights[1] = " + v + " is not a finite non-negative weight");
    }
    CHECK(loss.class_weights() == std::vector<double>{0.5, 1.0, 2.0});
  };
  check(lossfn::SoftmaxCrossEntropy());
  check(lossfn::NegativeLogLikelihood());
  check(lossfn::MultiClassHinge());
  check(lossfn::SoftmaxFocalLoss());
  check(lossfn::PolyCrossEntropy());
}

TEST_CASE("options out of range are rejected at once, and the option keeps its value", "[errors]") {
  {
    lossfn::SoftmaxCrossEntropy ce;
    ce.label_smoothing(0.1);
    for (double bad : {-0.1, 1.0, 1.5, qnan, inf, -inf}) {
      CHECK(error_of([&] { ce.label_smoothing(bad); }) ==
            "SoftmaxCrossEntropy: option label_smoothing = " + lossfn::detail::to_text(bad) +
                " is outside [0, 1)");
    }
    CHECK(ce.label_smoothing() == 0.1);
    CHECK_NOTHROW(ce.label_smoothing(0.0));
    CHECK_NOTHROW(ce.label_smoothing(std::nextafter(1.0, 0.0)));
  }
  {
    lossfn::SigmoidFocalLoss focal;
    for (double bad : {-0.5, qnan, inf, -inf})
      CHECK(error_of([&] { focal.gamma(bad); }) ==
            "SigmoidFocalLoss: option gamma = " + lossfn::detail::to_text(bad) +
                " is not a finite number >= 0");
    for (double bad : {1.5, qnan, inf, -inf})
      CHECK(error_of([&] { focal.alpha(bad); }) ==
            "SigmoidFocalLoss: option alpha = " + lossfn::detail::to_text(bad) +
                " is not in [0, 1] (or negative to disable it)");
    CHECK(focal.gamma() == 2.0);
    CHECK(focal.alpha() == 0.25);
    CHECK_NOTHROW(focal.alpha(-1).gamma(0));  // disabled alpha, plain weighted CE
  }
  {
    lossfn::SoftmaxFocalLoss focal;
    for (double bad : {-1e-300, qnan, inf})
      CHECK(error_of([&] { focal.gamma(bad); }) ==
            "SoftmaxFocalLoss: option gamma = " + lossfn::detail::to_text(bad) +
                " is not a finite number >= 0");
    CHECK(focal.gamma() == 2.0);
  }
  {
    lossfn::PolyCrossEntropy poly;
    for (double bad : {-1.0000001, -2.0, qnan, inf, -inf})
      CHECK(error_of([&] { poly.epsilon(bad); }) ==
            "PolyCrossEntropy: option epsilon = " + lossfn::detail::to_text(bad) +
                " is not a finite number >= -1");
    CHECK(poly.epsilon() == 2.0);
    CHECK_NOTHROW(poly.epsilon(-1));
    for (double bad : {-0.1, 1.0, qnan})
      CHECK(error_of([&] { poly.label_smoothing(bad); }) ==
            "PolyCrossEntropy: option label_smoothing = " + lossfn::detail::to_text(bad) +
                " is outside [0, 1)");
  }
  for (double bad : {qnan, inf, -inf}) {
    lossfn::Hinge hinge;
    CHECK(error_of([&] { hinge.margin(bad); }) ==
          "Hinge: option margin = " + lossfn::detail::to_text(bad) + " is not finite");
    lossfn::MultiClassHinge mch;
    CHECK(error_of([&] { mch.margin(bad); }) ==
          "MultiClassHinge: option margin = " + lossfn::detail::to_text(bad) + " is not finite");
    CHECK(hinge.margin() == 1.0);
    CHECK(mch.margin() == 1.0);
  }
}

TEST_CASE("Crammer-Singer needs two classes", "[errors]") {
  const auto cs = lossfn::MultiClassHinge().crammer_singer(true);
  rejects(cs, Mat(values(3, 1)), IVec::Zero(3),
          "MultiClassHinge: pred has 1 column(s); the Crammer-Singer variant needs at least 2 "
          "classes");
  accepts(lossfn::MultiClassHinge(), Mat(values(3, 1)), IVec::Zero(3));
}

TEST_CASE("out-arguments of the wrong fixed shape are rejected, untouched", "[errors]") {
  const Mat p = values(4, 2), t = values(4, 2, 0.5);
  auto check = [&](const auto& loss, const Mat& pred, const auto& target) {
    const std::string name = std::decay_t<decltype(loss)>::name;
    // a Map over the caller's buffer cannot be resized
    std::vector<double> buffer(20, entry_points::sentinel);
    Eigen::Map<Mat> small(buffer.data(), 3, 2), wide(buffer.data(), 4, 3);
    CHECK(error_of([&] { loss.value_and_gradient(pred, target, lossfn::out(small)); }) ==
          name + ": gradient has shape 3x2, expected 4x2 (pred's shape)");
    CHECK(error_of([&] { loss.value_and_gradient(pred, target, lossfn::out(wide)); }) ==
          name + ": gradient has shape 4x3, expected 4x2 (pred's shape)");
    // a fixed-size matrix, a block of another shape
    Eigen::Matrix<double, 4, 3> fixed =
        Eigen::Matrix<double, 4, 3>::Constant(entry_points::sentinel);
    CHECK(error_of([&] { loss.value_and_gradient(pred, target, lossfn::out(fixed)); }) ==
          name + ": gradient has shape 4x3, expected 4x2 (pred's shape)");
    Mat big = Mat::Constant(6, 6, entry_points::sentinel);
    CHECK(error_of([&] {
            loss.value_and_gradient(pred, target, lossfn::out(big.block(0, 0, 4, 1)));
          }) == name + ": gradient has shape 4x1, expected 4x2 (pred's shape)");
    // a plain matrix of another shape is resized only when it is empty
    Mat other = Mat::Constant(3, 5, entry_points::sentinel);
    CHECK(error_of([&] { loss.value_and_gradient(pred, target, lossfn::out(other)); }) ==
          name + ": gradient has shape 3x5, expected 4x2 (pred's shape), or empty to be resized");
    CHECK(other.rows() == 3);
    CHECK((other.array() == entry_points::sentinel).all());
    // value_gradient_hessian: a bad Hessian output leaves a good (even an
    // empty, resizable) gradient output untouched
    Mat resizable;
    CHECK(error_of([&] {
            loss.value_gradient_hessian(pred, target, lossfn::out(resizable), lossfn::out(small));
          }) == name + ": hessian has shape 3x2, expected 4x2 (pred's shape)");
    CHECK(resizable.size() == 0);
    CHECK(error_of([&] {
            loss.value_gradient_hessian(pred, target, lossfn::out(wide), lossfn::out(resizable));
          }) == name + ": gradient has shape 4x3, expected 4x2 (pred's shape)");
    CHECK(resizable.size() == 0);
    CHECK(std::all_of(buffer.begin(), buffer.end(),
                      [](double v) { return v == entry_points::sentinel; }));
    CHECK((fixed.array() == entry_points::sentinel).all());
    CHECK((big.array() == entry_points::sentinel).all());
  };
  check(lossfn::MeanSquaredError(), p, t);
  check(lossfn::MeanAbsoluteError(), p, t);
  check(lossfn::RootMeanSquaredError(), p, t);
  check(lossfn::BinaryCrossEntropy(), probabilities(4, 2), labels01(4, 2));
  check(lossfn::BinaryCrossEntropyWithLogits(), p, labels01(4, 2));
  check(lossfn::Hinge(), p, labels01(4, 2));
  check(lossfn::SigmoidFocalLoss(), p, labels01(4, 2));
  check(lossfn::SoftmaxCrossEntropy(), p, classes(4, 2));
  check(lossfn::SoftmaxCrossEntropy(), p, Mat::Constant(4, 2, 0.5));
  check(lossfn::NegativeLogLikelihood(), p, classes(4, 2));
  check(lossfn::MultiClassHinge(), p, classes(4, 2));
  check(lossfn::SoftmaxFocalLoss(), p, classes(4, 2));
  check(lossfn::PolyCrossEntropy(), p, classes(4, 2));
  check(lossfn::PolyCrossEntropy(), p, Mat::Constant(4, 2, 0.5));
}

TEST_CASE("PolyCrossEntropy rejects a pred of one column, naming the binary loss", "[errors]") {
  const Mat p = Mat::Constant(3, 1, 0.5);
  const std::string message =
      "PolyCrossEntropy: pred has 1 column, and the loss of one class is identically 0; for two "
      "classes in one column use BinaryCrossEntropyWithLogits";
  CHECK(error_of([&] { lossfn::PolyCrossEntropy()(p, classes(3, 1)); }) == message);
  CHECK(error_of([&] { lossfn::PolyCrossEntropy()(p, Mat::Constant(3, 1, 1.0)); }) == message);
  Mat g = Mat::Constant(3, 1, 7.0);
  CHECK(error_of([&] {
          lossfn::PolyCrossEntropy().value_and_gradient(p, classes(3, 1), lossfn::out(g));
        }) == message);
  CHECK((g.array() == 7.0).all());
}

TEST_CASE("a valid call after a rejected one works (no state left behind)", "[errors]") {
  const lossfn::SoftmaxCrossEntropy ce;
  const Mat x = values(3, 3, 2.0);
  IVec y = classes(3, 3);
  const auto good = ce.value_and_gradient(x, y);
  y(0) = 9;
  CHECK_THROWS_AS(ce(x, y), lossfn::invalid_argument);
  y(0) = 0;
  const auto again = ce.value_and_gradient(x, y);
  CHECK(again.value == good.value);
  CHECK(same_bits(again.gradient, good.gradient));
}

TEST_CASE("an output sharing memory with an input or the other output is rejected", "[errors]") {
  // Outputs are written while inputs are read: the call fails before any
  // write, and the shared storage keeps its values.
  Mat p = Mat::Random(6, 4), t = Mat::Random(6, 4);
  const Mat p0 = p, t0 = t;
  const lossfn::MeanSquaredError mse;
  CHECK(error_of([&] { mse.value_and_gradient(p, t, lossfn::out(p)); }) ==
        "MeanSquaredError: gradient shares memory with pred; pass an output of its own "
        "(outputs are written while inputs are read)");
  CHECK(error_of([&] { mse.value_and_gradient(p, t, lossfn::out(t)); }) ==
        "MeanSquaredError: gradient shares memory with target; pass an output of its own "
        "(outputs are written while inputs are read)");
  Mat g(6, 4);
  CHECK(error_of([&] { mse.value_gradient_hessian(p, t, lossfn::out(g), lossfn::out(g)); }) ==
        "MeanSquaredError: gradient and hessian share memory; pass two outputs");
  // A Map over part of pred's storage, against a block of pred.
  Eigen::Map<Mat> tail(p.data() + 8, 4, 4);
  const Mat u = Mat::Random(4, 4);
  CHECK(error_of([&] {
          mse.value_and_gradient(p.block(0, 0, 4, 4), u, lossfn::out(tail));
        }).find("gradient shares memory with pred") != std::string::npos);
  Mat q = Mat::Random(4, 4);
  CHECK(error_of([&] {
          mse.value_and_gradient(q.transpose(), u, lossfn::out(q));
        }).find("gradient shares memory with pred") != std::string::npos);
  // Weights.
  Mat w = Mat::Ones(6, 4);
  CHECK(error_of([&] {
          mse.value_and_gradient(p, t, lossfn::weights(w), lossfn::out(w));
        }).find("gradient shares memory with weights") != std::string::npos);
  // Row-wise: the softmax losses write exponentials into the gradient row.
  Eigen::VectorXi y = Eigen::VectorXi::Zero(6);
  CHECK(error_of([&] { lossfn::SoftmaxCrossEntropy().value_and_gradient(p, y, lossfn::out(p)); }) ==
        "SoftmaxCrossEntropy: gradient shares memory with pred; pass an output of its own "
        "(outputs are written while inputs are read)");
  Mat h(6, 4);
  CHECK(error_of([&] {
          lossfn::SoftmaxFocalLoss().value_gradient_hessian(p, y, lossfn::out(h), lossfn::out(p));
        }).find("hessian shares memory with pred") != std::string::npos);
  CHECK(p == p0);
  CHECK(t == t0);
  // Disjoint parts of one buffer are fine.
  Mat both(6, 8);
  both.leftCols(4) = p0;
  CHECK_NOTHROW(mse.value_and_gradient(both.leftCols(4), t, lossfn::out(both.rightCols(4))));
  CHECK(both.rightCols(4).isApprox(2.0 * (p0 - t) / 24.0));
}

// The value checks look at contiguous data a packet at a time (without a
// branch per value); a bad value anywhere, in a packet or in the tail, in
// float or double, is still found and reported at its own position.
TEMPLATE_TEST_CASE("value checks find a bad value at any position", "[errors]", float, double) {
  using S = TestType;
  using V = Eigen::Matrix<S, Eigen::Dynamic, 1>;
  const Eigen::Index n = 300;
  const V x = V::LinSpaced(n, S(-3), S(3));
  const V p = V::LinSpaced(n, S(0.01), S(0.99));
  const V t = V::LinSpaced(n, S(0), S(1));
  const S above_one = std::nextafter(S(1), S(2)),
          below_zero = -std::numeric_limits<S>::denorm_min();
  for (Eigen::Index at : {0, 1, 3, 7, 15, 16, 17, 255, 256, 257, 298, 299}) {
    CAPTURE(at);
    const std::string where = "(" + std::to_string(at) + ", 0) = ";
    for (S bad : {S(1.5), above_one, below_zero, std::numeric_limits<S>::quiet_NaN(),
                  std::numeric_limits<S>::infinity()}) {
      CAPTURE(bad);
      const std::string v = lossfn::detail::to_text(bad);
      V bad_t = t;
      bad_t(at) = bad;
      rejects(lossfn::BinaryCrossEntropyWithLogits(), x, bad_t,
              "BinaryCrossEntropyWithLogits: target" + where + v + " is outside [0, 1]");
      rejects(lossfn::SigmoidFocalLoss(), x, bad_t,
              "SigmoidFocalLoss: target" + where + v + " is outside [0, 1]");
      rejects(lossfn::BinaryCrossEntropy(), p, bad_t,
              "BinaryCrossEntropy: target" + where + v + " is outside [0, 1]");
      V bad_p = p;
      bad_p(at) = bad;
      rejects(lossfn::BinaryCrossEntropy(), bad_p, t,
              "BinaryCrossEntropy: pred" + where + v +
                  " is outside [0, 1] (probabilities expected; for logits use "
                  "BinaryCrossEntropyWithLogits)");
    }
    V bad_y = V::Ones(n);
    bad_y(at) = S(0.5);
    rejects(lossfn::Hinge(), x, bad_y,
            "Hinge: target" + where + "0.5 is not a binary label (-1, 0 or +1)");
    V bad_count = V::Ones(n);
    bad_count(at) = below_zero;
    rejects(lossfn::PoissonNLLLoss(), x, bad_count,
            "PoissonNLLLoss: target" + where + lossfn::detail::to_text(below_zero) + " " +
                lossfn::PoissonNLLLoss::target_rule);
  }
  accepts(lossfn::BinaryCrossEntropyWithLogits(), x, t);
  accepts(lossfn::Hinge(), x, V(V::Ones(n)));
  // Over several reduction blocks (2048 coefficients), where value alone tests
  // the rules inside the SIMD loop: the first bad value, in any block.
  const Eigen::Index m = 3 * 2048 + 21;
  const V xm = V::LinSpaced(m, S(-3), S(3));
  for (Eigen::Index at : {Eigen::Index(0), Eigen::Index(2047), Eigen::Index(2048),
                          Eigen::Index(5000), m - 21, m - 1}) {
    CAPTURE(at);
    V y = V::Ones(m);
    y(at) = S(0.5);
    if (at + 1 < m) y(m - 1) = S(7);  // a later bad value is not the one reported
    rejects(
        lossfn::Hinge(), xm, y,
        "Hinge: target(" + std::to_string(at) + ", 0) = 0.5 is not a binary label (-1, 0 or +1)");
  }
}

TEST_CASE("CoxProportionalHazards rejects bad shapes, times, events and weights", "[errors][cox]") {
  const lossfn::CoxProportionalHazards cox;
  const std::string name = "CoxProportionalHazards";
  const Mat x = values(5, 1);
  Mat t(5, 2);
  t << 2, 1, 0, 0, 3.5, 1, 2, 1, 1, 0;
  accepts(cox, x, t);
  accepts(cox, x, Eigen::MatrixXi(t.cast<int>()));
  accepts(cox, Mat(values(1, 1)), Mat(t.topRows(1)));  // a single subject
  // pred is one column: a 1xN row is an error (pass its transpose), and so is Nx2.
  rejects(cox, Mat(x.transpose()), t,
          name +
              ": pred has shape 1x5, expected 5x1 (one log-risk score per row; pass a row "
              "vector transposed)");
  rejects(cox, Mat(values(5, 2)), t,
          name +
              ": pred has shape 5x2, expected 5x1 (one log-risk score per row; pass a row "
              "vector transposed)");
  rejects(cox, x, Mat(t.leftCols(1)),
          name + ": target has shape 5x1, expected 5x2 (time and event of each row of pred)");
  rejects(cox, x, Mat(t.topRows(4)),
          name + ": target has shape 4x2, expected 5x2 (time and event of each row of pred)");
  rejects(cox, x, Mat(t.transpose()),
          name + ": target has shape 2x5, expected 5x2 (time and event of each row of pred)");
  // Times: finite and >= 0, NaN included; reported with the target's own type.
  for (double bad : {-1.0, -1e-300, inf, -inf, qnan}) {
    Mat tb = t;
    tb(3, 0) = bad;
    rejects(cox, x, tb,
            name + ": target(3, 0) = " + lossfn::detail::to_text(bad) +
                " is not a time (finite and >= 0)");
  }
  Eigen::MatrixXi ti = t.cast<int>();
  ti(4, 0) = -2;
  rejects(cox, x, ti, name + ": target(4, 0) = -2 is not a time (finite and >= 0)");
  // Events: 1 or 0, nothing else (NaN neither).
  for (double bad : {2.0, -1.0, 0.5, 1e-300, qnan, inf}) {
    Mat tb = t;
    tb(2, 1) = bad;
    rejects(cox, x, tb,
            name + ": target(2, 1) = " + lossfn::detail::to_text(bad) +
                " is not an event indicator (1 observed, 0 censored)");
  }
  // The first bad value in row order is the one reported.
  Mat tb = t;
  tb(4, 0) = -1;
  tb(1, 1) = 3;
  rejects(cox, x, tb,
          name + ": target(1, 1) = 3 is not an event indicator (1 observed, 0 censored)");
  // Weights: one per row, finite and non-negative.
  const Mat w = Mat::Constant(5, 1, 0.5);
  accepts(cox, x, t, w);
  rejects_weighted(cox, x, t, Mat(Mat::Constant(5, 2, 0.5)),
                   name + ": weights has shape 5x2, expected 5x1 (one weight per row)");
  rejects_weighted(cox, x, t, Mat(Mat::Constant(4, 1, 0.5)),
                   name + ": weights has shape 4x1, expected 5x1 (one weight per row)");
  for (double bad : {-2.0, qnan, inf}) {
    Mat wb = w;
    wb(1, 0) = bad;
    rejects_weighted(cox, x, t, wb,
                     name + ": weights(1, 0) = " + lossfn::detail::to_text(bad) +
                         " is not a finite non-negative weight");
  }
  // Shapes are checked before values: a bad time in a target of the wrong shape.
  Mat wrong = Mat::Constant(4, 2, -1.0);
  rejects(cox, x, wrong,
          name + ": target has shape 4x2, expected 5x2 (time and event of each row of pred)");
  // Outputs of the wrong shape, untouched.
  std::vector<double> buffer(12, entry_points::sentinel);
  Eigen::Map<Mat> small(buffer.data(), 4, 1);
  CHECK(error_of([&] { cox.value_and_gradient(x, t, lossfn::out(small)); }) ==
        name + ": gradient has shape 4x1, expected 5x1 (pred's shape)");
  Mat resizable;
  CHECK(error_of([&] {
          cox.value_gradient_hessian(x, t, lossfn::out(resizable), lossfn::out(small));
        }) == name + ": hessian has shape 4x1, expected 5x1 (pred's shape)");
  CHECK(resizable.size() == 0);
  CHECK(std::all_of(buffer.begin(), buffer.end(),
                    [](double v) { return v == entry_points::sentinel; }));
}

// The gradient-boosting objectives: their shapes and weights like every
// element-wise loss; bad targets (and MSLE's pred <= -1) by position and
// value, in float and double, with every output untouched; options at once.
TEMPLATE_TEST_CASE("objectives reject bad targets, naming loss, argument, position and value",
                   "[errors][objectives]", float, double) {
  using S = TestType;
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  const M x = values(4, 2).cast<S>();
  const M positive = (values(4, 2).array().abs() + 0.5).matrix().cast<S>();
  if constexpr (std::is_same_v<S, double>) {
    common_elementwise_errors(lossfn::TweedieLoss(), x.template cast<double>(),
                              positive.template cast<double>());
    common_elementwise_errors(lossfn::GammaLoss(), x.template cast<double>(),
                              positive.template cast<double>());
    common_elementwise_errors(lossfn::PseudoHuberLoss(), x.template cast<double>(),
                              positive.template cast<double>());
    common_elementwise_errors(lossfn::MeanSquaredLogError(), x.template cast<double>(),
                              positive.template cast<double>());
    common_elementwise_errors(lossfn::MeanAbsolutePercentageError(), x.template cast<double>(),
                              positive.template cast<double>());
    common_elementwise_errors(lossfn::ExpectileLoss(), x.template cast<double>(),
                              positive.template cast<double>());
  }
  const S nan = std::numeric_limits<S>::quiet_NaN(), infinity = std::numeric_limits<S>::infinity();
  const S below_zero = -std::numeric_limits<S>::denorm_min();
  auto with = [](M m, Eigen::Index i, Eigen::Index j, S v) {
    m(i, j) = v;
    return m;
  };
  auto text = [](S v) { return lossfn::detail::to_text(v); };
  for (S bad : {S(-1), below_zero, nan, -infinity}) {
    rejects(lossfn::TweedieLoss().power(1.3), x, with(positive, 2, 1, bad),
            "TweedieLoss: target(2, 1) = " + text(bad) + " is not a target >= 0");
  }
  for (S bad : {S(0), S(-0.0), S(-2), below_zero, nan, -infinity}) {
    rejects(lossfn::GammaLoss(), x, with(positive, 3, 0, bad),
            "GammaLoss: target(3, 0) = " + text(bad) + " is not a target > 0");
  }
  for (S bad : {S(-1), S(-1.5), nan, infinity, -infinity}) {
    rejects(lossfn::MeanSquaredLogError(), x, with(positive, 1, 1, bad),
            "MeanSquaredLogError: target(1, 1) = " + text(bad) + " is not a finite number > -1");
  }
  for (S bad : {S(-1), S(-3), -infinity}) {
    rejects(lossfn::MeanSquaredLogError(), with(x, 0, 1, bad), positive,
            "MeanSquaredLogError: pred(0, 1) = " + text(bad) +
                " is <= -1 (log1p(pred) needs pred > -1)");
  }
  // The first bad value in pred's storage order is the one reported.
  rejects(lossfn::GammaLoss(), x, with(with(positive, 3, 0, S(-1)), 0, 1, S(0)),
          "GammaLoss: target(3, 0) = -1 is not a target > 0");
  // Valid edges: Tweedie's t = 0 and -0, MSLE's NaN pred (it propagates) and
  // its pred and target just above -1.
  accepts(lossfn::TweedieLoss(), x, with(with(positive, 0, 0, S(0)), 1, 0, S(-0.0)));
  accepts(lossfn::MeanSquaredLogError(), with(x, 2, 0, nan), positive);
  const S above = std::nextafter(S(-1), S(0));
  accepts(lossfn::MeanSquaredLogError(), with(x, 2, 0, above), with(positive, 2, 0, above));
  accepts(lossfn::MeanAbsolutePercentageError(), x, with(positive, 0, 0, S(0)));
}

TEST_CASE("objectives' options out of range are rejected at once, keeping their value",
          "[errors][objectives]") {
  lossfn::TweedieLoss tweedie;
  for (double bad : {1.0, 2.0, 0.5, -1.0, qnan, inf})
    CHECK(error_of([&] { tweedie.power(bad); }) ==
          "TweedieLoss: option power = " + lossfn::detail::to_text(bad) + " is outside (1, 2)");
  CHECK(tweedie.power() == 1.5);
  CHECK_NOTHROW(tweedie.power(std::nextafter(1.0, 2.0)).power(std::nextafter(2.0, 1.0)));
  lossfn::PseudoHuberLoss huber;
  for (double bad : {0.0, -1.0, qnan, inf})
    CHECK(error_of([&] { huber.delta(bad); }) ==
          "PseudoHuberLoss: option delta = " + lossfn::detail::to_text(bad) +
              " is not a finite number > 0");
  CHECK(huber.delta() == 1.0);
  lossfn::ExpectileLoss expectile;
  for (double bad : {0.0, 1.0, -0.5, qnan, inf})
    CHECK(error_of([&] { expectile.expectile(bad); }) ==
          "ExpectileLoss: option expectile = " + lossfn::detail::to_text(bad) +
              " is outside (0, 1)");
  CHECK(expectile.expectile() == 0.5);
  CHECK_NOTHROW(expectile.expectile(1e-6).expectile(1 - 1e-6));
}
