// The reference cases (PyTorch 1.13, float64; tests/data/cases.txt and
// cases_extended.txt, copies of shared/reference/) of the softmax losses, in float and
// double over every layout of support/layouts.hpp, through every entry point
// (value, gradient, both fused forms, unreduced, partial, hessian_diagonal,
// value_gradient_hessian). Each loss is checked in one test case of one file
// (its instantiations are the suite's heaviest). A float run skips a case
// whose inputs are not floats or whose expected results exceed float's range
// (reference::results_fit): float rightly gives inf or 0 there, and the case
// runs in double.
#include "support/reference_runner.hpp"

TEST_CASE("SoftmaxCrossEntropy matches PyTorch's cross_entropy", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::SoftmaxCrossEntropy>("SoftmaxCrossEntropy");
}

TEST_CASE("SoftmaxFocalLoss matches -alpha_y (1-s_y)^gamma log s_y", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::SoftmaxFocalLoss>("SoftmaxFocalLoss");
}

TEST_CASE("PolyCrossEntropy matches Poly-1 (mpmath; optax's formula)", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::PolyCrossEntropy>("PolyCrossEntropy");
}
