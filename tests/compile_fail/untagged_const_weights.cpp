// Must NOT compile: sample weights without the lossfn::weights tag. Taken as
// an output, a const weight vector would be written through.
// first error: lossfn: pass sample weights as lossfn::weights\(w\) and outputs as lossfn::out\(g\)
#include <lossfn/mean_squared_error.hpp>

int main() {
  Eigen::VectorXf p = Eigen::VectorXf::Zero(4), t = Eigen::VectorXf::Ones(4);
  const Eigen::VectorXf w = Eigen::VectorXf::Ones(4);
  auto [value, gradient] = lossfn::MeanSquaredError().value_and_gradient(p, t, w);
  return static_cast<int>(value + gradient.sum());
}
