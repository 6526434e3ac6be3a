// Regression (found while fuzzing, issue 6): CategoricalCrossEntropy checked
// its probabilities row by row while writing the gradient, so a bad value in
// a later row left the earlier rows of the caller's out-argument written.
// SPEC §3: the caller's data is never modified; now every row is checked first.
#include <lossfn/lossfn.hpp>

#include <limits>

#include "catch.hpp"

TEST_CASE("CategoricalCrossEntropy: a bad probability in the last row writes nothing",
          "[errors][regression]") {
  Eigen::MatrixXd p = Eigen::MatrixXd::Constant(3, 4, 0.25), t = p;
  Eigen::VectorXi y(3);
  y << 0, 1, 2;
  const double sentinel = 12345.0;
  const auto loss = lossfn::CategoricalCrossEntropy();
  auto rejected_untouched = [&](const Eigen::MatrixXd& pred, auto&& target) {
    Eigen::MatrixXd g = Eigen::MatrixXd::Constant(3, 4, sentinel), h = g;
    CHECK_THROWS_AS(loss.value_and_gradient(pred, target, g), lossfn::invalid_argument);
    CHECK((g.array() == sentinel).all());
    CHECK_THROWS_AS(loss.value_gradient_hessian(pred, target, g, h), lossfn::invalid_argument);
    CHECK((g.array() == sentinel).all());
    CHECK((h.array() == sentinel).all());
  };
  SECTION("pred out of [0, 1], class indices") {
    p(2, 3) = 1.5;
    rejected_untouched(p, y);
  }
  SECTION("pred NaN, probability targets") {
    p(2, 1) = std::numeric_limits<double>::quiet_NaN();
    rejected_untouched(p, t);
  }
  SECTION("target out of [0, 1]") {
    t(2, 0) = -0.5;
    rejected_untouched(p, t);
  }
  SECTION("the message names the position") {
    p(2, 3) = 1.5;
    CHECK_THROWS_WITH(loss(p, y), "CategoricalCrossEntropy: pred(2, 3) = 1.5 is outside [0, 1] "
                                  "(probabilities expected)");
  }
}
