// Must NOT compile: the 0-1 loss has no gradient, and the message saying so
// comes first, before any error about the result held in `auto`.
// first error: ZeroOneLoss is not differentiable .*(Hinge|SoftmaxCrossEntropy)
#include <lossfn/zero_one_loss.hpp>

int main() {
  Eigen::VectorXd scores = Eigen::VectorXd::Ones(4);
  Eigen::VectorXd labels = Eigen::VectorXd::Ones(4);
  auto g = lossfn::ZeroOneLoss().gradient(scores, labels);
  return static_cast<int>(g.size());
}
