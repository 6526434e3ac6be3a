// The reference cases (PyTorch 1.13, float64; tests/data/cases.txt) of the
// multi-class losses, in float and double over every layout.
#include "support/reference_runner.hpp"

TEST_CASE("SoftmaxCrossEntropy matches PyTorch's cross_entropy", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::SoftmaxCrossEntropy>("cases.txt",
                                                                "SoftmaxCrossEntropy");
}
TEST_CASE("NegativeLogLikelihood matches PyTorch's nll_loss", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::NegativeLogLikelihood>("cases.txt",
                                                                  "NegativeLogLikelihood");
}
TEST_CASE("MultiClassHinge matches PyTorch's multi_margin_loss", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::MultiClassHinge>("cases.txt", "MultiClassHinge");
}
TEST_CASE("SoftmaxFocalLoss matches -alpha_y (1-s_y)^gamma log s_y", "[reference][multiclass]") {
  reference::check_reference_cases<lossfn::SoftmaxFocalLoss>("cases.txt", "SoftmaxFocalLoss");
}
