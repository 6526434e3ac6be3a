// The reference cases (PyTorch 1.13, float64; tests/data/cases.txt and
// cases_extended.txt, copies of shared/reference/) of the regression losses, in float and
// double over every layout of support/layouts.hpp, through every entry point
// (value, gradient, both fused forms, unreduced, partial, hessian_diagonal,
// value_gradient_hessian). Each loss is checked in one test case of one file
// (its instantiations are the suite's heaviest). A float run skips a case
// whose inputs are not floats or whose expected results exceed float's range
// (reference::results_fit): float rightly gives inf or 0 there, and the case
// runs in double.
#include "support/reference_runner.hpp"

TEST_CASE("MeanSquaredError matches PyTorch's mse_loss", "[reference][regression]") {
  reference::check_reference_cases<lossfn::MeanSquaredError>("MeanSquaredError");
}

TEST_CASE("RootMeanSquaredError matches sqrt(mse_loss)", "[reference][regression]") {
  reference::check_reference_cases<lossfn::RootMeanSquaredError>("RootMeanSquaredError");
}

TEST_CASE("MeanAbsoluteError matches PyTorch's l1_loss", "[reference][regression]") {
  reference::check_reference_cases<lossfn::MeanAbsoluteError>("MeanAbsoluteError");
}

TEST_CASE("HuberLoss matches PyTorch's huber_loss", "[reference][regression]") {
  reference::check_reference_cases<lossfn::HuberLoss>("HuberLoss");
}

TEST_CASE("SmoothL1Loss matches PyTorch's smooth_l1_loss (beta 0: l1_loss)",
          "[reference][regression]") {
  reference::check_reference_cases<lossfn::SmoothL1Loss>("SmoothL1Loss");
}

TEST_CASE("LogCoshLoss matches log(cosh d)", "[reference][regression]") {
  reference::check_reference_cases<lossfn::LogCoshLoss>("LogCoshLoss");
}

TEST_CASE("QuantileLoss matches q relu(t - x) + (1 - q) relu(x - t)", "[reference][regression]") {
  reference::check_reference_cases<lossfn::QuantileLoss>("QuantileLoss");
}

TEST_CASE("PoissonNLLLoss matches PyTorch's poisson_nll_loss", "[reference][regression]") {
  reference::check_reference_cases<lossfn::PoissonNLLLoss>("PoissonNLLLoss");
}
