// Built with -fno-exceptions: a bad input must print lossfn's message and
// abort. The runner checks the exit status and stderr.
#include <lossfn/lossfn.hpp>

#include <cstdio>

int main() {
  Eigen::MatrixXf logits = Eigen::MatrixXf::Zero(4, 5);
  Eigen::VectorXi labels(4);
  labels << 0, 1, 2, 7;
  const float v = lossfn::SoftmaxCrossEntropy()(logits, labels);
  std::printf("returned %g instead of aborting\n", static_cast<double>(v));
  return 0;
}
