// Half precision (SPEC section 5): Eigen::bfloat16 and Eigen::half predictions
// are computed and accumulated in float (at least), and every result comes
// back in the prediction's type.
//
// The expected numbers are the reference cases (PyTorch 1.13, float64;
// tests/data/cases.txt and cases_extended.txt) whose inputs a 16-bit type
// holds exactly: every case named "*bf16*" (made so that a bfloat16 run sees
// the numbers double saw), and any other case whose pred, target and weights
// are all exact in that type. They run through every entry point and layout of
// support/reference_runner.hpp at Tolerance<Eigen::bfloat16> / <Eigen::half>:
// float's bar plus one rounding to the 16-bit type (see reference_runner.hpp).
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "support/reference_runner.hpp"

namespace {

using Eigen::bfloat16;
using Eigen::half;

/// v is a number of type S (so a 16-bit run sees exactly what double saw).
template <class S>
bool exact_in(double v) {
  const float f = static_cast<float>(v);
  return static_cast<double>(f) == v && static_cast<float>(static_cast<S>(f)) == f;
}

template <class S>
bool inputs_exact(const reference::Case& c) {
  for (const reference::Matrix* m : {&c.pred, &c.target, &c.weights})
    for (double v : m->values)
      if (!exact_in<S>(v)) return false;
  return true;
}

/// Every expected result is finite in S (half overflows above 65504: a
/// Hessian t/p² or a sum of large terms may not fit).
template <class S>
bool results_fit(const reference::Case& c) {
  const double max = static_cast<double>(std::numeric_limits<S>::max());
  if (!(std::abs(c.value) <= max)) return false;
  for (const reference::Matrix* m : {&c.gradient, &c.unreduced, &c.hessian})
    for (double v : m->values)
      if (!(std::abs(v) <= max)) return false;
  return true;
}

struct Count {
  int run = 0, bf16_named = 0;
};

/// Runs every case of `loss_name` (both files) that S can hold, in S.
template <class Loss, class S>
Count check_16bit_cases(const std::string& loss_name) {
  Count count;
  for (const char* file : {"cases.txt", "cases_extended.txt"}) {
    for (const reference::Case& c : reference::cases_of(file, loss_name)) {
      const bool named = c.name.find("bf16") != std::string::npos;
      const bool selected = inputs_exact<S>(c) && results_fit<S>(c) &&
                            c.name.find("double_extremes") == std::string::npos;
      if (named && std::is_same_v<S, bfloat16>) {
        INFO(c.name << " is named bf16 but bfloat16 cannot hold its inputs or results");
        CHECK(selected);
      }
      if (!selected) continue;
      reference::check_case<Loss, S>(c);
      ++count.run;
      count.bf16_named += named;
    }
  }
  return count;
}

/// Both 16-bit types; bfloat16 must have run the loss's "*bf16*" cases.
template <class Loss>
void check_16bit(const std::string& loss_name) {
  const Count b = check_16bit_cases<Loss, bfloat16>(loss_name);
  const Count h = check_16bit_cases<Loss, half>(loss_name);
  INFO(loss_name << ": " << b.run << " cases in bfloat16, " << h.run << " in half");
  CHECK(b.bf16_named >= 2);  // each loss has at least a mean and a weighted sum case
  CHECK(h.run >= 1);
}

}  // namespace

// ---- the reference cases ------------------------------------------------------

TEST_CASE("16-bit MeanSquaredError matches the reference", "[half][reference]") {
  check_16bit<lossfn::MeanSquaredError>("MeanSquaredError");
}
TEST_CASE("16-bit RootMeanSquaredError matches the reference", "[half][reference]") {
  check_16bit<lossfn::RootMeanSquaredError>("RootMeanSquaredError");
}
TEST_CASE("16-bit MeanAbsoluteError matches the reference", "[half][reference]") {
  check_16bit<lossfn::MeanAbsoluteError>("MeanAbsoluteError");
}
TEST_CASE("16-bit BinaryCrossEntropy matches the reference", "[half][reference]") {
  check_16bit<lossfn::BinaryCrossEntropy>("BinaryCrossEntropy");
}
TEST_CASE("16-bit BinaryCrossEntropyWithLogits matches the reference", "[half][reference]") {
  check_16bit<lossfn::BinaryCrossEntropyWithLogits>("BinaryCrossEntropyWithLogits");
}
TEST_CASE("16-bit SoftmaxCrossEntropy matches the reference", "[half][reference]") {
  check_16bit<lossfn::SoftmaxCrossEntropy>("SoftmaxCrossEntropy");
}
TEST_CASE("16-bit NegativeLogLikelihood matches the reference", "[half][reference]") {
  check_16bit<lossfn::NegativeLogLikelihood>("NegativeLogLikelihood");
}
TEST_CASE("16-bit Hinge matches the reference", "[half][reference]") {
  check_16bit<lossfn::Hinge>("Hinge");
}
TEST_CASE("16-bit MultiClassHinge matches the reference", "[half][reference]") {
  check_16bit<lossfn::MultiClassHinge>("MultiClassHinge");
}
TEST_CASE("16-bit ZeroOneLoss matches the reference", "[half][reference]") {
  check_16bit<lossfn::ZeroOneLoss>("ZeroOneLoss");
}
TEST_CASE("16-bit SigmoidFocalLoss matches the reference", "[half][reference]") {
  check_16bit<lossfn::SigmoidFocalLoss>("SigmoidFocalLoss");
}
TEST_CASE("16-bit SoftmaxFocalLoss matches the reference", "[half][reference]") {
  check_16bit<lossfn::SoftmaxFocalLoss>("SoftmaxFocalLoss");
}
