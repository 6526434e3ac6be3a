// Must NOT compile: a const matrix as an output.
// first error: lossfn::out: an output must be writable storage .*not const and not an expression
#include <lossfn/mean_squared_error.hpp>

int main() {
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(4, 2), t = Eigen::MatrixXd::Ones(4, 2);
  const Eigen::MatrixXd g = Eigen::MatrixXd::Zero(4, 2);
  const double value = lossfn::MeanSquaredError().value_and_gradient(p, t, lossfn::out(g));
  return static_cast<int>(value + g.sum());
}
