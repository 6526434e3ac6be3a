// Must NOT compile: the softmax of a column vector, row by row, is 1
// everywhere (one class per row); the message names v.transpose().
// first error: x is a column vector.*pass v.transpose\(\)
#include <lossfn/activations.hpp>

int main() {
  Eigen::VectorXf v = Eigen::VectorXf::LinSpaced(4, 0.0f, 3.0f);
  Eigen::VectorXf p = lossfn::softmax(v);
  return p(0) > 1.0f;
}
