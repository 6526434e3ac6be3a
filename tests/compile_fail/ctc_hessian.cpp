// Must NOT compile: CTCLoss has a gradient but no Hessian.
// first error: CTCLoss has no Hessian
#include <lossfn/ctc_loss.hpp>

int main() {
  Eigen::MatrixXf logits = Eigen::MatrixXf::Zero(4, 3);
  Eigen::VectorXi frames = Eigen::VectorXi::Constant(1, 4);
  Eigen::VectorXi labels = Eigen::VectorXi::Constant(1, 1);
  Eigen::VectorXi counts = Eigen::VectorXi::Constant(1, 1);
  lossfn::CTCLoss().hessian_diagonal(logits, frames, labels, counts);
  return 0;
}
