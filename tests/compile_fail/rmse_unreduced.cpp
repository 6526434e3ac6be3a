// Must NOT compile: RMSE is a whole-batch statistic with no per-sample terms.
// first error: RootMeanSquaredError has no unreduced\(\)
#include <lossfn/root_mean_squared_error.hpp>

int main() {
  Eigen::VectorXd p = Eigen::VectorXd::Ones(4), t = Eigen::VectorXd::Zero(4);
  lossfn::RootMeanSquaredError().unreduced(p, t);
  return 0;
}
