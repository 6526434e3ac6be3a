// The reference cases (PyTorch 1.13, float64; tests/data/cases.txt and
// cases_extended.txt, copies of shared/reference/) of the binary classification losses, in float
// and double over every layout of support/layouts.hpp, through every entry point (value, gradient,
// both fused forms, unreduced, partial, hessian_diagonal, value_gradient_hessian). Each loss is
// checked in one test case of one file (its instantiations are the suite's heaviest). A float run
// skips a case whose inputs are not floats or whose expected results exceed float's range
// (reference::results_fit): float rightly gives inf or 0 there, and the case
// runs in double.
#include "support/reference_runner.hpp"

TEST_CASE("BinaryCrossEntropy matches PyTorch's binary_cross_entropy", "[reference][binary]") {
  reference::check_reference_cases<lossfn::BinaryCrossEntropy>("BinaryCrossEntropy");
}

TEST_CASE("BinaryCrossEntropyWithLogits matches PyTorch's binary_cross_entropy_with_logits",
          "[reference][binary]") {
  reference::check_reference_cases<lossfn::BinaryCrossEntropyWithLogits>(
      "BinaryCrossEntropyWithLogits");
}

TEST_CASE("Hinge matches relu(margin - y f)", "[reference][binary]") {
  reference::check_reference_cases<lossfn::Hinge>("Hinge");
}

TEST_CASE("SquaredHinge matches relu(margin - y f)^2", "[reference][binary]") {
  reference::check_reference_cases<lossfn::SquaredHinge>("SquaredHinge");
}

TEST_CASE("SigmoidFocalLoss matches torchvision's sigmoid_focal_loss", "[reference][binary]") {
  reference::check_reference_cases<lossfn::SigmoidFocalLoss>("SigmoidFocalLoss");
}

TEST_CASE("ZeroOneLoss matches the reference error rates", "[reference][binary]") {
  reference::check_reference_cases<lossfn::ZeroOneLoss>("ZeroOneLoss");
}
