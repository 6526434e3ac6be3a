// The reference cases (PyTorch 1.13, float64; tests/data/cases.txt) of the
// binary classification losses, in float and double over every layout.
#include "support/reference_runner.hpp"

TEST_CASE("BinaryCrossEntropy matches PyTorch's binary_cross_entropy", "[reference][binary]") {
  reference::check_reference_cases<lossfn::BinaryCrossEntropy>("cases.txt", "BinaryCrossEntropy");
}
TEST_CASE("BinaryCrossEntropyWithLogits matches PyTorch's binary_cross_entropy_with_logits",
          "[reference][binary]") {
  reference::check_reference_cases<lossfn::BinaryCrossEntropyWithLogits>(
      "cases.txt", "BinaryCrossEntropyWithLogits");
}
TEST_CASE("Hinge matches relu(margin - y*f)", "[reference][binary]") {
  reference::check_reference_cases<lossfn::Hinge>("cases.txt", "Hinge");
}
TEST_CASE("SigmoidFocalLoss matches torchvision's sigmoid_focal_loss", "[reference][binary]") {
  reference::check_reference_cases<lossfn::SigmoidFocalLoss>("cases.txt", "SigmoidFocalLoss");
}
TEST_CASE("ZeroOneLoss matches the reference error rates", "[reference][binary]") {
  reference::check_reference_cases<lossfn::ZeroOneLoss>("cases.txt", "ZeroOneLoss");
}
