// Shards (docs/api.md, "Shards"): a batch split into 1, 2, 3 and 7 shards — uneven,
// some empty — for an element-wise loss, a row-wise loss with ignore_index and
// class weights, and weighted calls, under mean and sum, in double:
//   - Σ partials .value() equals `value` on the whole batch within 1e-12
//     relative (the sums are the same terms added in another grouping);
//   - each shard's Reduction::sum gradient divided by the total weight (for
//     mean; as it is, for sum) equals the whole batch's gradient rows, as
//     examples/sharded_training.cpp combines them — the same for the Hessian;
//   - an empty shard is a valid partial {0, 0}, and a Partial remembers its
//     reduction;
//   - a float prediction's Partial<float> holds double sums: float shards of
//     16M terms near 1e32, whose sums are far beyond FLT_MAX, add up to the
//     mean within 1e-7 of a long-double reference.
#include <cfloat>
#include <cmath>
#include <string>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "support/loss_zoo.hpp"

namespace {

using zoo::Index;
using zoo::Mat;

/// Row boundaries of `shards` uneven shards of n rows; with 3 or more shards
/// some are empty (two equal cuts), and one is a single row.
std::vector<Index> cuts_for(Index n, int shards) {
  switch (shards) {
    case 1:
      return {0, n};
    case 2:
      return {0, n / 3, n};
    case 3:
      return {0, 0, 1, n};  // an empty shard first, then a single row
    default: {
      // 7: sizes 2, 0, 5, 1, 0, 3, rest
      std::vector<Index> c{0};
      for (Index s : {2, 0, 5, 1, 0, 3}) c.push_back(c.back() + s);
      c.push_back(n);
      REQUIRE(c[6] <= n);
      return c;
    }
  }
}

bool close(const Mat& a, const Mat& b) {
  const double scale = b.cwiseAbs().maxCoeff();
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         ((a - b).array().abs() <= 1e-12 * (scale + b.array().abs())).all();
}

template <class T>
T rows_of(const T& m, Index begin, Index n) {
  return m.middleRows(begin, n);
}

/// Checks the sharded value, gradient and Hessian of `loss` on (pred, target[, w]).
template <class L, class T>
void check_shards(const std::string& what, const L& loss, const Mat& pred, const T& target,
                  const Mat& w) {
  const L summed = zoo::with_reduction(loss, lossfn::Reduction::sum);
  const bool weighted = w.size() != 0;
  const auto whole_value =
      zoo::with_weights(w, [&](auto... ws) { return loss.value(pred, target, ws...); });
  const Mat whole_gradient =
      zoo::with_weights(w, [&](auto... ws) -> Mat { return loss.gradient(pred, target, ws...); });
  const Mat whole_hessian = zoo::with_weights(
      w, [&](auto... ws) -> Mat { return loss.hessian_diagonal(pred, target, ws...); });
  for (int shards : {1, 2, 3, 7}) {
    INFO(what << ", " << shards << " shard(s)");
    const std::vector<Index> cuts = cuts_for(pred.rows(), shards);
    std::vector<lossfn::Partial<double>> partials;
    Mat g_sum(pred.rows(), pred.cols()), h_sum(pred.rows(), pred.cols());
    double magnitude = 0;
    for (size_t s = 0; s + 1 < cuts.size(); ++s) {
      const Index begin = cuts[s], n = cuts[s + 1] - cuts[s];
      const Mat p = rows_of(pred, begin, n);
      const T t = rows_of(target, begin, n);
      const Mat ws = weighted ? rows_of(w, begin, n) : Mat();
      partials.push_back(
          zoo::with_weights(ws, [&](auto... x) { return loss.partial(p, t, x...); }));
      magnitude += std::abs(partials.back().sum);
      if (n == 0) {
        CHECK(partials.back().sum == 0.0);
        CHECK(partials.back().weight == 0.0);
      }
      CHECK(partials.back().reduction == loss.reduction());
      // Each worker's Σ-reduction gradient and Hessian of its rows.
      Mat g(n, pred.cols()), h(n, pred.cols());
      zoo::with_weights(ws, [&](auto... x) {
        return summed.value_gradient_hessian(p, t, x..., lossfn::out(g), lossfn::out(h));
      });
      g_sum.middleRows(begin, n) = g;
      h_sum.middleRows(begin, n) = h;
    }
    lossfn::Partial<double> total = partials.front();
    for (size_t s = 1; s < partials.size(); ++s) total = total + partials[s];
    lossfn::Partial<double> accumulated = partials.front();
    for (size_t s = 1; s < partials.size(); ++s) accumulated += partials[s];
    CHECK(total.value() == accumulated.value());
    const double v = total.value();
    const bool mean = loss.reduction() == lossfn::Reduction::mean;
    const double scale = mean ? magnitude / total.weight : magnitude;
    INFO("Σ partials " << v << ", whole batch " << whole_value);
    CHECK(std::abs(v - whole_value) <= 1e-12 * scale);
    const double divide = mean ? total.weight : 1.0;
    CHECK(close(g_sum / divide, whole_gradient));
    CHECK(close(h_sum / divide, whole_hessian));
  }
}

template <class L, class T>
void both_reductions(const std::string& what, L loss, const Mat& pred, const T& target,
                     const Mat& w = Mat()) {
  check_shards(what + ", mean", loss, pred, target, w);
  loss.reduction(lossfn::Reduction::sum);
  check_shards(what + ", sum", loss, pred, target, w);
}

}  // namespace

TEST_CASE("partials over 1, 2, 3 and 7 shards give the whole batch's value and gradient",
          "[partial]") {
  zoo::Random r(2026);
  const Index N = 23, D = 3, C = 5;
  // element-wise
  const Mat t = r.uniform(N, D, -2, 2);
  const Mat x = r.residuals_from(t, {-1.0, 1.0});
  both_reductions("HuberLoss", lossfn::HuberLoss(), x, t);
  both_reductions("HuberLoss, pred-shaped weights", lossfn::HuberLoss(), x, t,
                  r.uniform(N, D, 0, 2));
  const Mat labels = r.probabilities(N, D);
  both_reductions("BinaryCrossEntropyWithLogits pos_weight, column weights",
                  lossfn::BinaryCrossEntropyWithLogits().pos_weight(2.0), r.uniform(N, D, -3, 3),
                  labels, r.uniform(N, 1, 0, 2));
  // row-wise, with ignore_index and class weights
  Eigen::VectorXi y = r.classes(N, int(C));
  y(0) = y(5) = y(7) = -1;  // in the 2-row, 5-row and 1-row shards of 7
  const Mat logits = r.uniform(N, C, -3, 3);
  const auto ce =
      lossfn::SoftmaxCrossEntropy().ignore_index(-1).class_weights({1.0, 0.5, 2.0, 3.0, 0.25});
  both_reductions("SoftmaxCrossEntropy ignore_index, class_weights", ce, logits, y);
  both_reductions("SoftmaxCrossEntropy ignore_index, class_weights, weights", ce, logits, y,
                  r.uniform(N, 1, 0, 2));
  both_reductions("SoftmaxCrossEntropy probabilities, weights", lossfn::SoftmaxCrossEntropy(),
                  logits, r.distributions(N, C), r.uniform(N, 1, 0, 2));
  both_reductions(
      "SoftmaxFocalLoss ignore_index, class_weights",
      lossfn::SoftmaxFocalLoss().ignore_index(-1).class_weights({1.0, 0.5, 2.0, 3.0, 0.25}), logits,
      y);
}

TEST_CASE("a shard whose rows are all ignored, or an empty batch, adds nothing", "[partial]") {
  const Mat logits = Mat::Ones(3, 4);
  const Eigen::VectorXi all_ignored = Eigen::VectorXi::Constant(3, -1);
  const auto ce = lossfn::SoftmaxCrossEntropy().ignore_index(-1);
  const lossfn::Partial<double> p = ce.partial(logits, all_ignored);
  CHECK(p.sum == 0.0);
  CHECK(p.weight == 0.0);
  CHECK(p.value() == 0.0);  // a mean over no weight is 0
  const lossfn::Partial<double> empty = lossfn::MeanSquaredError().partial(Mat(0, 2), Mat(0, 2));
  CHECK(empty.weight == 0.0);
  CHECK(empty.value() == 0.0);
  const auto sum = lossfn::MeanSquaredError().reduction(lossfn::Reduction::sum);
  CHECK(sum.partial(Mat(0, 2), Mat(0, 2)).reduction == lossfn::Reduction::sum);
  // Partial<float> for a float prediction: double sum and weight, a float value().
  const Eigen::MatrixXf f = Eigen::MatrixXf::Ones(2, 2);
  const lossfn::Partial<float> pf =
      lossfn::MeanSquaredError().partial(f, Eigen::MatrixXf::Zero(2, 2));
  static_assert(std::is_same_v<decltype(pf.sum), double>);
  static_assert(std::is_same_v<decltype(pf.weight), double>);
  static_assert(std::is_same_v<decltype(pf.value()), float>);
  CHECK(pf.value() == 1.0f);
  CHECK(pf.weight == 4.0);
}

TEST_CASE("float partials whose sums pass FLT_MAX add up to the mean within 1e-7",
          "[partial][slow]") {
  // 2^24 squared errors d^2 in [2.5e31, 2.25e32): the mean (about 1e32) is a
  // float, the sum of either shard (about 6e38 and 1.2e39) is not. A float
  // sum would be inf and the combined value() inf.
  const Eigen::Index n = Eigen::Index(1) << 24, cut = n / 3;
  Eigen::VectorXf d(n);
  for (Eigen::Index i = 0; i < n; ++i)
    d[i] = 1e16f * (0.5f + static_cast<float>(i % 1021) / 1021.0f);
  const Eigen::VectorXf zero = Eigen::VectorXf::Zero(n);
  long double reference = 0;
  for (Eigen::Index i = 0; i < n; ++i) reference += static_cast<long double>(d[i]) * d[i];
  reference /= static_cast<long double>(n);

  const lossfn::MeanSquaredError mse;
  const lossfn::Partial<float> first = mse.partial(d.head(cut), zero.head(cut));
  const lossfn::Partial<float> second = mse.partial(d.tail(n - cut), zero.tail(n - cut));
  CHECK(first.sum > double(FLT_MAX));
  CHECK(second.sum > double(FLT_MAX));
  const float value = (first + second).value();
  INFO("sharded " << value << ", long-double reference " << static_cast<double>(reference));
  CHECK(std::abs(static_cast<long double>(value) - reference) <= 1e-7L * reference);
  // The unsharded call agrees (its sum never leaves the driver's double).
  CHECK(std::abs(static_cast<long double>(mse(d, zero)) - reference) <= 1e-7L * reference);
}
