// Must NOT compile: no shard can compute its own Cox terms, since each risk
// sum spans every row at or after its time.
// first error: CoxProportionalHazards has no partial\(\).*each risk sum
#include <lossfn/cox_proportional_hazards.hpp>

int main() {
  Eigen::VectorXd x = Eigen::VectorXd::Zero(4);
  Eigen::MatrixXd t = Eigen::MatrixXd::Ones(4, 2);
  const auto p = lossfn::CoxProportionalHazards().partial(x, t);
  (void)p;
  return 0;
}
