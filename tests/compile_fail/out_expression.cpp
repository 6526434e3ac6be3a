// Must NOT compile: an expression as an output (nothing to write into).
// first error: lossfn::out: an output must be writable storage .*not const and not an expression
#include <lossfn/huber_loss.hpp>

int main() {
  Eigen::MatrixXf p = Eigen::MatrixXf::Zero(4, 2), t = Eigen::MatrixXf::Ones(4, 2);
  Eigen::MatrixXf g = Eigen::MatrixXf::Zero(4, 2);
  const float value = lossfn::HuberLoss().value_and_gradient(p, t, lossfn::out(g * 2.0f));
  return static_cast<int>(value + g.sum());
}
