// The extended reference cases (PyTorch 1.13, float64; tests/data/cases_extended.txt,
// a copy of shared/reference/cases_extended.txt): the eight losses of SPEC
// section 5, sample weights on every loss, and the Hessian diagonal of every
// loss that has one — in float and double over every layout of
// support/layouts.hpp, through every entry point (value, gradient, both fused
// forms, unreduced, partial, hessian_diagonal, value_gradient_hessian).
// A float run skips a case whose inputs are not floats or whose expected
// results exceed float's range (reference::results_fit; e.g. the Hessian
// 1/p² = 1e60 of CategoricalCrossEntropy at p = 1e-30): float rightly gives
// inf there, and the case runs in double.
#include "support/reference_runner.hpp"

namespace {
const char* const kFile = "cases_extended.txt";
}

// ---- the losses of SPEC section 5 -------------------------------------------
TEST_CASE("HuberLoss matches PyTorch's huber_loss", "[reference][extended][regression]") {
  reference::check_reference_cases<lossfn::HuberLoss>(kFile, "HuberLoss");
}
TEST_CASE("SmoothL1Loss matches PyTorch's smooth_l1_loss (beta 0: l1_loss)",
          "[reference][extended][regression]") {
  reference::check_reference_cases<lossfn::SmoothL1Loss>(kFile, "SmoothL1Loss");
}
TEST_CASE("LogCoshLoss matches log(cosh d)", "[reference][extended][regression]") {
  reference::check_reference_cases<lossfn::LogCoshLoss>(kFile, "LogCoshLoss");
}
TEST_CASE("QuantileLoss matches q relu(t - x) + (1 - q) relu(x - t)",
          "[reference][extended][regression]") {
  reference::check_reference_cases<lossfn::QuantileLoss>(kFile, "QuantileLoss");
}
TEST_CASE("SquaredHinge matches relu(margin - y f)^2", "[reference][extended][binary]") {
  reference::check_reference_cases<lossfn::SquaredHinge>(kFile, "SquaredHinge");
}
TEST_CASE("KLDivergence matches PyTorch's kl_div", "[reference][extended][distribution]") {
  reference::check_reference_cases<lossfn::KLDivergence>(kFile, "KLDivergence");
}
TEST_CASE("PoissonNLLLoss matches PyTorch's poisson_nll_loss",
          "[reference][extended][regression]") {
  reference::check_reference_cases<lossfn::PoissonNLLLoss>(kFile, "PoissonNLLLoss");
}
TEST_CASE("CategoricalCrossEntropy matches -sum t max(log p, -100)",
          "[reference][extended][multiclass]") {
  reference::check_reference_cases<lossfn::CategoricalCrossEntropy>(kFile,
                                                                    "CategoricalCrossEntropy");
}

// ---- the losses of SPEC section 3: sample weights and Hessians ---------------
TEST_CASE("MeanSquaredError: weights and Hessian match the reference", "[reference][extended]") {
  reference::check_reference_cases<lossfn::MeanSquaredError>(kFile, "MeanSquaredError");
}
TEST_CASE("RootMeanSquaredError: weights and Hessian match the reference",
          "[reference][extended]") {
  reference::check_reference_cases<lossfn::RootMeanSquaredError>(kFile, "RootMeanSquaredError");
}
TEST_CASE("MeanAbsoluteError: weights and Hessian match the reference", "[reference][extended]") {
  reference::check_reference_cases<lossfn::MeanAbsoluteError>(kFile, "MeanAbsoluteError");
}
TEST_CASE("BinaryCrossEntropy: weights and Hessian match the reference",
          "[reference][extended]") {
  reference::check_reference_cases<lossfn::BinaryCrossEntropy>(kFile, "BinaryCrossEntropy");
}
TEST_CASE("BinaryCrossEntropyWithLogits: weights and Hessian match the reference",
          "[reference][extended]") {
  reference::check_reference_cases<lossfn::BinaryCrossEntropyWithLogits>(
      kFile, "BinaryCrossEntropyWithLogits");
}
TEST_CASE("SoftmaxCrossEntropy: weights and Hessian match the reference",
          "[reference][extended]") {
  reference::check_reference_cases<lossfn::SoftmaxCrossEntropy>(kFile, "SoftmaxCrossEntropy");
}
TEST_CASE("NegativeLogLikelihood: weights and Hessian match the reference",
          "[reference][extended]") {
  reference::check_reference_cases<lossfn::NegativeLogLikelihood>(kFile, "NegativeLogLikelihood");
}
TEST_CASE("Hinge: weights and Hessian match the reference", "[reference][extended]") {
  reference::check_reference_cases<lossfn::Hinge>(kFile, "Hinge");
}
TEST_CASE("MultiClassHinge: weights and Hessian match the reference", "[reference][extended]") {
  reference::check_reference_cases<lossfn::MultiClassHinge>(kFile, "MultiClassHinge");
}
TEST_CASE("ZeroOneLoss: weights match the reference", "[reference][extended]") {
  reference::check_reference_cases<lossfn::ZeroOneLoss>(kFile, "ZeroOneLoss");
}
TEST_CASE("SigmoidFocalLoss: weights and Hessian match the reference", "[reference][extended]") {
  reference::check_reference_cases<lossfn::SigmoidFocalLoss>(kFile, "SigmoidFocalLoss");
}
TEST_CASE("SoftmaxFocalLoss: weights and Hessian match the reference", "[reference][extended]") {
  reference::check_reference_cases<lossfn::SoftmaxFocalLoss>(kFile, "SoftmaxFocalLoss");
}
