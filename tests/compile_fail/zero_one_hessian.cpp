// Must NOT compile: the 0-1 loss has no Hessian either.
// first error: ZeroOneLoss is not differentiable .*(Hinge|SoftmaxCrossEntropy)
#include <lossfn/zero_one_loss.hpp>

int main() {
  Eigen::MatrixXf scores = Eigen::MatrixXf::Zero(4, 3);
  Eigen::VectorXi labels = Eigen::VectorXi::Zero(4);
  Eigen::MatrixXf h = lossfn::ZeroOneLoss().hessian_diagonal(scores, labels);
  return static_cast<int>(h.size());
}
