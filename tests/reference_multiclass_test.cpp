// The reference cases (PyTorch 1.13, float64; tests/data/cases.txt and
// cases_extended.txt, copies of shared/reference/) of the multi-class losses other than the softmax
// ones (reference_softmax_test.cpp), in float and double over every layout of support/layouts.hpp,
// through every entry point (value, gradient, both fused forms, unreduced, partial,
// hessian_diagonal, value_gradient_hessian). Each loss is checked in one test case of one file (its
// instantiations are the suite's heaviest). A float run skips a case whose inputs are not floats or
// whose expected results exceed float's range (reference::results_fit): float rightly gives inf or
// 0 there, and the case runs in double.
#include "support/reference_runner.hpp"

TEST_CASE("NegativeLogLikelihood matches PyTorch's nll_loss", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::NegativeLogLikelihood>("NegativeLogLikelihood");
}

TEST_CASE("MultiClassHinge matches PyTorch's multi_margin_loss", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::MultiClassHinge>("MultiClassHinge");
}

TEST_CASE("CategoricalCrossEntropy matches -sum t max(log p, -100)", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::CategoricalCrossEntropy>("CategoricalCrossEntropy");
}

TEST_CASE("KLDivergence matches PyTorch's kl_div", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::KLDivergence>("KLDivergence");
}
