// Instantiates every loss's entry points in float and double, so that the
// warning flags see the templates' bodies, not only their declarations.
// Returns 0 when a few values agree with their definitions.
#include <lossfn/lossfn.hpp>

#include <cmath>
#include <cstdio>

namespace {

template <class Loss, class P, class T>
double all_entry_points(const Loss& loss, const P& pred, const T& target) {
  double v = static_cast<double>(loss(pred, target));
  if constexpr (lossfn::traits<Loss>::differentiable) {
    auto [value, grad] = loss.value_and_gradient(pred, target);
    typename P::PlainObject g(pred.rows(), pred.cols());
    v += static_cast<double>(loss.value_and_gradient(pred, target, lossfn::out(g))) -
         static_cast<double>(value);
    v += static_cast<double>(loss.gradient(pred, target).sum() - grad.sum());
  }
  if constexpr (lossfn::traits<Loss>::twice_differentiable) {
    typename P::PlainObject g(pred.rows(), pred.cols()), h(pred.rows(), pred.cols());
    (void)loss.value_gradient_hessian(pred, target, lossfn::out(g), lossfn::out(h));
    v += static_cast<double>(loss.hessian_diagonal(pred, target).sum() - h.sum());
  }
  if constexpr (!std::is_same_v<Loss, lossfn::RootMeanSquaredError>) {
    (void)loss.unreduced(pred, target);
    (void)loss.partial(pred, target).value();
  }
  return v;
}

template <class S>
int check() {
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  M x(3, 4), t(3, 4), prob(3, 4), lab(3, 4);
  x << 1, -2, 3, 0.5, -1, 0, 2, 4, 0.25, -3, 1, -0.5;
  t = x.array() * S(0.5) + S(0.1);
  prob = (x.array().abs() / S(5)).matrix();
  lab = (x.array() > S(0)).template cast<S>().matrix();
  Eigen::VectorXi y(3);
  y << 0, 3, 1;
  double sum = 0;
  sum += all_entry_points(lossfn::MeanSquaredError(), x, t);
  sum += all_entry_points(lossfn::RootMeanSquaredError(), x, t);
  sum += all_entry_points(lossfn::MeanAbsoluteError(), x, t);
  sum += all_entry_points(lossfn::BinaryCrossEntropy(), prob, lab);
  sum += all_entry_points(lossfn::BinaryCrossEntropyWithLogits().pos_weight(2.0), x, lab);
  sum += all_entry_points(lossfn::Hinge(), x, lab);
  sum += all_entry_points(lossfn::ZeroOneLoss(), x, lab);
  sum += all_entry_points(lossfn::SigmoidFocalLoss(), x, lab);
  sum += all_entry_points(lossfn::HuberLoss(), x, t);
  sum += all_entry_points(lossfn::SmoothL1Loss(), x, t);
  sum += all_entry_points(lossfn::LogCoshLoss(), x, t);
  sum += all_entry_points(lossfn::QuantileLoss().quantile(0.9), x, t);
  sum += all_entry_points(lossfn::SquaredHinge(), x, lab);
  sum += all_entry_points(lossfn::KLDivergence(), x, prob);
  sum += all_entry_points(lossfn::PoissonNLLLoss(), x, prob);
  sum += all_entry_points(lossfn::SoftmaxCrossEntropy().label_smoothing(0.1), x, y);
  sum += all_entry_points(lossfn::NegativeLogLikelihood(), x, y);
  sum += all_entry_points(lossfn::MultiClassHinge(), x, y);
  sum += all_entry_points(lossfn::CategoricalCrossEntropy(), prob, y);
  sum += all_entry_points(lossfn::SoftmaxFocalLoss(), x, y);
  sum += all_entry_points(lossfn::ZeroOneLoss(), x, y);
  sum += all_entry_points(lossfn::TweedieLoss().power(1.3), x, prob);
  sum += all_entry_points(lossfn::GammaLoss(), x, M(prob.array() + S(0.5)));
  sum += all_entry_points(lossfn::PseudoHuberLoss().delta(0.5), x, t);
  sum += all_entry_points(lossfn::MeanSquaredLogError(), prob, M(prob.array() * S(0.5)));
  sum += all_entry_points(lossfn::MeanAbsolutePercentageError(), x, t);
  sum += all_entry_points(lossfn::ExpectileLoss().expectile(0.9), x, t);
  // MSE against its definition.
  const double mse = static_cast<double>(lossfn::MeanSquaredError()(x, t));
  const double direct = static_cast<double>((x - t).squaredNorm()) / 12.0;
  if (!std::isfinite(sum) || std::abs(mse - direct) > 1e-5 * direct) {
    std::printf("FAILED: mse %g vs %g, sum %g\n", mse, direct, sum);
    return 1;
  }
  return 0;
}

}  // namespace

int main() {
  return check<float>() + check<double>();
}
