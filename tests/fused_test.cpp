// Fused against separate calls, for every differentiable loss of
// support/loss_zoo.hpp, in float and double, both reductions, with and
// without sample weights:
//   - value_and_gradient (returned and into the caller's storage) and
//     value_gradient_hessian give BITWISE the value of `value` / operator(),
//     the gradient of `gradient` and the Hessian of `hessian_diagonal`.
//     Bitwise, not "within an ulp": each entry point runs the same kernel on
//     the same terms through the same driver, which sums them in a fixed
//     order (results are bitwise identical for any thread count, so the
//     order cannot depend on the schedule, and nothing makes it depend on
//     which outputs were asked for). A user's line search compares value()
//     with the fused value of the previous step; a last-bit difference there
//     would be a spurious decrease.
//   - `unreduced` reduces to `value`: Σ terms for sum, Σ terms / Σ term
//     weights for mean (the denominator computed here from the documented rule, not by the
//     library: count, Σ w, C·Σ w for a column of w on an element-wise loss,
//     Σ w_i·cw[y_i] over rows not ignored, N / Σ w_i for probability targets).
//     Within 1e-12 (double) / 1e-5 (float) of Σ |terms| / denominator: the
//     library sums in double in its own order, the test in another.
#include <cmath>
#include <string>

#include "catch.hpp"
#include "support/entry_points.hpp"
#include "support/loss_zoo.hpp"

namespace {

using zoo::Index;
using zoo::Mat;

template <class S>
using MatS = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;

template <class S, class T>
auto cast_target(const T& t) {
  if constexpr (std::is_integral_v<typename T::Scalar>)
    return t;
  else
    return MatS<S>(t.template cast<S>());
}

int compared = 0;

template <class S, class L, class T>
void check_fused(const std::string& what, const L& loss, const Mat& pred_d, const T& target_d,
                 const Mat& w_d) {
  using entry_points::same_bits;
  INFO(what << (std::is_same_v<S, float> ? " (float)" : " (double)"));
  const MatS<S> pred = pred_d.cast<S>();
  const auto target = cast_target<S>(target_d);
  const MatS<S> w = w_d.cast<S>();
  auto with = [&](auto&& f) -> decltype(auto) {
    if (w.size() == 0) return f();
    return f(lossfn::weights(w));
  };

  const S value = with([&](auto... ws) { return loss.value(pred, target, ws...); });
  const S called = with([&](auto... ws) { return loss(pred, target, ws...); });
  CHECK(same_bits(Eigen::Matrix<S, 1, 1>(value), Eigen::Matrix<S, 1, 1>(called)));
  const MatS<S> g = with([&](auto... ws) -> MatS<S> { return loss.gradient(pred, target, ws...); });
  const MatS<S> h =
      with([&](auto... ws) -> MatS<S> { return loss.hessian_diagonal(pred, target, ws...); });

  const auto fused = with([&](auto... ws) { return loss.value_and_gradient(pred, target, ws...); });
  MatS<S> g_out = MatS<S>::Constant(pred.rows(), pred.cols(), S(entry_points::sentinel));
  const S v_out = with(
      [&](auto... ws) { return loss.value_and_gradient(pred, target, ws..., lossfn::out(g_out)); });
  MatS<S> g3(pred.rows(), pred.cols()), h3(pred.rows(), pred.cols());
  const S v3 = with([&](auto... ws) {
    return loss.value_gradient_hessian(pred, target, ws..., lossfn::out(g3), lossfn::out(h3));
  });

  using One = Eigen::Matrix<S, 1, 1>;
  CHECK(same_bits(One(fused.value), One(value)));
  CHECK(same_bits(One(v_out), One(value)));
  CHECK(same_bits(One(v3), One(value)));
  CHECK(same_bits(fused.gradient, g));
  CHECK(same_bits(g_out, g));
  CHECK(same_bits(g3, g));
  CHECK(same_bits(h3, h));

  if constexpr (!zoo::is_rmse<L>) {
    const auto terms = with([&](auto... ws) { return loss.unreduced(pred, target, ws...); });
    double total = 0, magnitude = 0;
    for (Index j = 0; j < terms.cols(); ++j)
      for (Index i = 0; i < terms.rows(); ++i) {
        total += static_cast<double>(terms(i, j));
        magnitude += std::abs(static_cast<double>(terms(i, j)));
      }
    const double denominator = loss.reduction() == lossfn::Reduction::sum
                                   ? 1.0
                                   : zoo::term_weights(loss, pred_d, target_d, w_d).sum();
    const double expected = denominator == 0 ? 0.0 : total / denominator;
    const double tol = (std::is_same_v<S, float> ? 1e-5 : 1e-12) *
                       (denominator == 0 ? 1.0 : std::max(magnitude / denominator, 1e-300));
    INFO("Σ unreduced = " << total << ", denominator " << denominator << ", value " << value);
    CHECK(std::abs(static_cast<double>(value) - expected) <= tol);
  }
  ++compared;
}

}  // namespace

TEST_CASE("fused calls equal the separate calls bitwise; unreduced reduces to value",
          "[fused][hessian]") {
  zoo::for_each_setup(
      [&](const std::string& name, const auto& base, const Mat& pred, const auto& target) {
        using L = std::decay_t<decltype(base)>;
        for (lossfn::Reduction r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
          if (zoo::is_rmse<L> && r == lossfn::Reduction::sum) continue;
          const L loss = zoo::with_reduction(base, r);
          for (const auto& [weights_name, w] : zoo::sample_weights<L>(pred, 99u)) {
            const std::string what =
                name + (r == lossfn::Reduction::sum ? ", sum, " : ", mean, ") + weights_name;
            check_fused<double>(what, loss, pred, target, w);
            check_fused<float>(what, loss, pred, target, w);
          }
        }
      });
  CHECK(compared > 200);
}

TEST_CASE("lossfn::out takes named storage and temporary views", "[fused][outputs]") {
  const Mat pred = (Mat(3, 2) << 0.5, -1, 2, 0, -0.25, 1).finished();
  const Mat target = (Mat(3, 2) << 0, 1, 1, 0, 0, 1).finished();
  const lossfn::HuberLoss loss;
  const auto [value, gradient] = loss.value_and_gradient(pred, target);
  // a named Matrix, an empty one (resized), a block of a bigger matrix, a Map
  // over a buffer, the transpose of a row-major matrix, a Ref
  Mat named(3, 2), empty, big = Mat::Zero(5, 4);
  CHECK(loss.value_and_gradient(pred, target, lossfn::out(named)) == value);
  CHECK(loss.value_and_gradient(pred, target, lossfn::out(empty)) == value);
  CHECK(loss.value_and_gradient(pred, target, lossfn::out(big.block(1, 2, 3, 2))) == value);
  std::vector<double> buffer(6);
  CHECK(loss.value_and_gradient(pred, target, lossfn::out(Eigen::Map<Mat>(buffer.data(), 3, 2))) ==
        value);
  Eigen::Matrix<double, 2, 3, Eigen::RowMajor> transposed;
  CHECK(loss.value_and_gradient(pred, target, lossfn::out(transposed.transpose())) == value);
  Eigen::Ref<Mat> ref(named);
  CHECK(loss.value_and_gradient(pred, target, lossfn::out(ref)) == value);
  CHECK(named == gradient);
  CHECK(empty == gradient);
  CHECK(big.block(1, 2, 3, 2) == gradient);
  CHECK(Eigen::Map<Mat>(buffer.data(), 3, 2) == gradient);
  CHECK(transposed.transpose() == gradient);
  CHECK(big.leftCols(2).isZero());
}
