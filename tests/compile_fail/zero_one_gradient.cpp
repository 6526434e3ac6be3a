// Must NOT compile: the 0-1 loss is piecewise constant and has no gradient.
// first error: ZeroOneLoss is not differentiable .*(Hinge|SoftmaxCrossEntropy)
#include <lossfn/zero_one_loss.hpp>

int main() {
  Eigen::VectorXd scores = Eigen::VectorXd::Ones(4);
  Eigen::VectorXd labels = Eigen::VectorXd::Ones(4);
  Eigen::VectorXd g = lossfn::ZeroOneLoss().gradient(scores, labels);
  return static_cast<int>(g.size());
}
