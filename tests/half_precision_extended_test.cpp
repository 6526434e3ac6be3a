// Half precision for HuberLoss and the losses after it in the README's table
// (half_precision_test.cpp covers the first twelve): every case of tests/data/cases_extended.txt
// (and cases.txt) for HuberLoss, SmoothL1Loss, LogCoshLoss, QuantileLoss, SquaredHinge,
// KLDivergence, PoissonNLLLoss and CategoricalCrossEntropy (and of cases_objectives.txt for the
// gradient-boosting objectives) whose pred, target and weights a 16-bit type holds exactly and
// whose results fit its range, with Eigen::bfloat16 and Eigen::half predictions, through every
// entry point and layout of support/reference_runner.hpp.
//
// Tolerance (reference::Tolerance<bfloat16> / <half>): the terms are computed
// in float from inputs that are exact in the 16-bit type, so the only error
// beyond a float run's is the final rounding of each result to 16 bits: one
// unit roundoff u = 2^-8 (bfloat16, 8-bit significand) or 2^-11 (half), plus
// 2^-23 for the value's double → float step, on top of float's bar (2e-4
// relative, 1e-6·max|e| absolute); half adds a floor of 2^-25 for results in
// its subnormal range, where its step is a fixed 2^-24. Cases whose inputs
// are not exact in the 16-bit type are skipped: rounding the inputs would
// move the expected numbers by the loss's condition number times u, which no
// fixed bar describes. check_16bit requires each loss to run at least its two
// "*bf16*" cases (made exact for bfloat16) in bfloat16 and one case in half.
#include "support/reference_runner.hpp"
#include "support/sixteen_bit.hpp"

using sixteen_bit::check_16bit;

TEST_CASE("16-bit HuberLoss matches the reference", "[half][reference][extended]") {
  check_16bit<lossfn::HuberLoss>("HuberLoss");
}
TEST_CASE("16-bit SmoothL1Loss matches the reference", "[half][reference][extended]") {
  check_16bit<lossfn::SmoothL1Loss>("SmoothL1Loss");
}
TEST_CASE("16-bit LogCoshLoss matches the reference", "[half][reference][extended]") {
  check_16bit<lossfn::LogCoshLoss>("LogCoshLoss");
}
TEST_CASE("16-bit QuantileLoss matches the reference", "[half][reference][extended]") {
  check_16bit<lossfn::QuantileLoss>("QuantileLoss");
}
TEST_CASE("16-bit SquaredHinge matches the reference", "[half][reference][extended]") {
  check_16bit<lossfn::SquaredHinge>("SquaredHinge");
}
TEST_CASE("16-bit KLDivergence matches the reference", "[half][reference][extended]") {
  check_16bit<lossfn::KLDivergence>("KLDivergence");
}
TEST_CASE("16-bit PoissonNLLLoss matches the reference", "[half][reference][extended]") {
  check_16bit<lossfn::PoissonNLLLoss>("PoissonNLLLoss");
}
TEST_CASE("16-bit CategoricalCrossEntropy matches the reference", "[half][reference][extended]") {
  check_16bit<lossfn::CategoricalCrossEntropy>("CategoricalCrossEntropy");
}

// The gradient-boosting objectives (tests/data/cases_objectives.txt).
TEST_CASE("16-bit TweedieLoss matches the reference", "[half][reference][objectives]") {
  check_16bit<lossfn::TweedieLoss>("TweedieLoss");
}
TEST_CASE("16-bit GammaLoss matches the reference", "[half][reference][objectives]") {
  check_16bit<lossfn::GammaLoss>("GammaLoss");
}
TEST_CASE("16-bit PseudoHuberLoss matches the reference", "[half][reference][objectives]") {
  check_16bit<lossfn::PseudoHuberLoss>("PseudoHuberLoss");
}
TEST_CASE("16-bit MeanSquaredLogError matches the reference", "[half][reference][objectives]") {
  check_16bit<lossfn::MeanSquaredLogError>("MeanSquaredLogError");
}
TEST_CASE("16-bit MeanAbsolutePercentageError matches the reference",
          "[half][reference][objectives]") {
  check_16bit<lossfn::MeanAbsolutePercentageError>("MeanAbsolutePercentageError");
}
TEST_CASE("16-bit ExpectileLoss matches the reference", "[half][reference][objectives]") {
  check_16bit<lossfn::ExpectileLoss>("ExpectileLoss");
}
