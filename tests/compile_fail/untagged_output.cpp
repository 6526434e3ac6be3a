// Must NOT compile: a non-const vector of pred's shape without a tag. It could
// be weights or an output; neither is guessed.
// first error: lossfn: pass sample weights as lossfn::weights\(w\) and outputs as lossfn::out\(g\)
#include <lossfn/mean_squared_error.hpp>

int main() {
  Eigen::VectorXf p = Eigen::VectorXf::Zero(4), t = Eigen::VectorXf::Ones(4);
  Eigen::VectorXf w = Eigen::VectorXf::Ones(4);
  const float value = lossfn::MeanSquaredError().value_and_gradient(p, t, w);
  return static_cast<int>(value + w.sum());
}
