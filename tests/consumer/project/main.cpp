// The smallest real use: a loss, its gradient, and a check of the numbers.
#include <cmath>
#include <cstdio>
#include <lossfn/lossfn.hpp>

int main() {
  Eigen::MatrixXf logits(2, 3);
  logits << 1, 2, 3, 0, 0, 0;
  Eigen::VectorXi labels(2);
  labels << 2, 0;
  Eigen::MatrixXf grad;
  const float loss =
      lossfn::SoftmaxCrossEntropy().value_and_gradient(logits, labels, lossfn::out(grad));
  // −log softmax: row 0 → log(e+e²+e³) − 3, row 1 → log 3; mean of the two.
  const double expected =
      (std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0 + std::log(3.0)) / 2.0;
  std::printf("lossfn %s consumer: loss %.6f (expected %.6f)\n", LOSSFN_VERSION, loss, expected);
  return std::abs(loss - expected) < 1e-5 && grad.rows() == 2 && grad.cols() == 3 ? 0 : 1;
}
