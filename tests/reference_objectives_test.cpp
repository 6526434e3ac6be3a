// The reference cases of the gradient-boosting objectives
// (tests/data/cases_objectives.txt, made by tests/tools/objectives_reference.py:
// scikit-learn's HalfTweedieLoss / HalfGammaLoss for the log-link gradients
// and Hessians, mpmath closed forms for every value and the other losses), in
// float and double over every layout of support/layouts.hpp, through every
// entry point. A float run skips the *double_extremes* cases and any case
// whose results exceed float's range (reference::results_fit).
#include "support/reference_runner.hpp"

TEST_CASE("TweedieLoss matches scikit-learn's HalfTweedieLoss", "[reference][objectives]") {
  reference::check_reference_cases<lossfn::TweedieLoss>("TweedieLoss");
}

TEST_CASE("GammaLoss matches scikit-learn's HalfGammaLoss", "[reference][objectives]") {
  reference::check_reference_cases<lossfn::GammaLoss>("GammaLoss");
}

TEST_CASE("PseudoHuberLoss matches delta^2 (sqrt(1 + (d/delta)^2) - 1)",
          "[reference][objectives]") {
  reference::check_reference_cases<lossfn::PseudoHuberLoss>("PseudoHuberLoss");
}

TEST_CASE("MeanSquaredLogError matches (log1p p - log1p t)^2", "[reference][objectives]") {
  reference::check_reference_cases<lossfn::MeanSquaredLogError>("MeanSquaredLogError");
}

TEST_CASE("MeanAbsolutePercentageError matches Keras' 100 |d| / max(|t|, 1e-7)",
          "[reference][objectives]") {
  reference::check_reference_cases<lossfn::MeanAbsolutePercentageError>(
      "MeanAbsolutePercentageError");
}

TEST_CASE("ExpectileLoss matches a u^2 (a = tau or 1 - tau)", "[reference][objectives]") {
  reference::check_reference_cases<lossfn::ExpectileLoss>("ExpectileLoss");
}
