// quickstart — logistic regression in twenty lines of training code.
//
// A linear model f(x) = x·w + b is fitted by plain gradient descent on the
// loss BinaryCrossEntropyWithLogits (PyTorch's binary_cross_entropy_with_logits),
// whose fused value_and_gradient gives the loss and d loss / d f in one pass;
// the chain rule through the linear model is one matrix product. The error
// rate is ZeroOneLoss, which has no gradient (asking for one does not compile).
//
//   quickstart [--quick]
#include <cstdio>
#include <lossfn/lossfn.hpp>

#include "example_support.hpp"

int main(int argc, char** argv) {
  const example::Arguments args = example::parse_arguments(
      argc, argv,
      "usage: quickstart [--quick]\n  trains a logistic regression on generated data\n");

  // Two Gaussian clouds in 5 dimensions, labels 0/1, separated along (1,1,1,1,1).
  const Eigen::Index n = args.quick ? 2000 : 20000, d = 5;
  example::Random random(42);
  Eigen::MatrixXf x(n, d);
  Eigen::VectorXf y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = random.uniform() < 0.5 ? 0.0f : 1.0f;
    for (Eigen::Index j = 0; j < d; ++j)
      x(i, j) = static_cast<float>(random.normal() + (y(i) > 0 ? 0.6 : -0.6));
  }

  lossfn::BinaryCrossEntropyWithLogits loss;  // mean over the batch
  lossfn::ZeroOneLoss errors;                 // {0,1} labels: 0 counts as negative
  Eigen::VectorXf w = Eigen::VectorXf::Zero(d), logits(n), grad(n);
  float b = 0.0f, learning_rate = 0.5f;

  std::printf("logistic regression, %ld samples, %ld features\n", long(n), long(d));
  std::printf("%6s  %12s  %10s\n", "epoch", "loss", "error rate");
  float first = 0, last = 0;
  for (int epoch = 0; epoch <= 100; ++epoch) {
    logits.noalias() = x * w;
    logits.array() += b;
    last = loss.value_and_gradient(logits, y,
                                   lossfn::out(grad));  // grad = d loss / d logits, no allocation
    if (epoch == 0) first = last;
    if (epoch % 10 == 0)
      std::printf("%6d  %12.6f  %9.2f%%\n", epoch, last, 100.0f * errors(logits, y));
    w -= learning_rate * (x.transpose() * grad);  // chain rule through f = x·w + b
    b -= learning_rate * grad.sum();
  }
  const float accuracy = 1.0f - errors(logits, y);
  std::printf("final accuracy %.2f%% (the Bayes rate for this data is about 91%%)\n",
              100.0f * accuracy);

  example::Checks checks;
  checks.expect(last < 0.5f * first, "the loss at least halves");
  checks.expect(accuracy > 0.85f, "accuracy above 85%");
  return checks.exit_code();
}
