// Must NOT compile: a temporary matrix as an output (written, then thrown away).
// first error: lossfn::out: an output must outlive the call; a temporary Matrix or Array
#include <lossfn/softmax_cross_entropy.hpp>

int main() {
  Eigen::MatrixXf z = Eigen::MatrixXf::Zero(4, 3);
  Eigen::VectorXi y = Eigen::VectorXi::Zero(4);
  const float value =
      lossfn::SoftmaxCrossEntropy().value_and_gradient(z, y, lossfn::out(Eigen::MatrixXf(4, 3)));
  return static_cast<int>(value);
}
