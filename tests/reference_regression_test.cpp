// The reference cases (PyTorch 1.13, float64; tests/data/cases.txt) of the
// regression losses, in float and double over every layout.
#include "support/reference_runner.hpp"

TEST_CASE("MeanSquaredError matches PyTorch's mse_loss", "[reference][regression]") {
  reference::check_reference_cases<lossfn::MeanSquaredError>("cases.txt", "MeanSquaredError");
}
TEST_CASE("MeanAbsoluteError matches PyTorch's l1_loss", "[reference][regression]") {
  reference::check_reference_cases<lossfn::MeanAbsoluteError>("cases.txt", "MeanAbsoluteError");
}
TEST_CASE("RootMeanSquaredError matches sqrt(mse_loss)", "[reference][regression]") {
  reference::check_reference_cases<lossfn::RootMeanSquaredError>("cases.txt",
                                                                  "RootMeanSquaredError");
}
