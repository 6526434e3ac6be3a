// The caller's data is never modified by a rejected call: a bad value in the
// last row must leave every earlier row of the out-arguments unwritten, so
// the drivers check every row before the first write (a loss that checked
// its rows while writing the gradient would fail here).
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
    CHECK_THROWS_AS(loss.value_and_gradient(pred, target, lossfn::out(g)),
                    lossfn::invalid_argument);
    CHECK((g.array() == sentinel).all());
    CHECK_THROWS_AS(loss.value_gradient_hessian(pred, target, lossfn::out(g), lossfn::out(h)),
                    lossfn::invalid_argument);
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
    CHECK_THROWS_WITH(loss(p, y),
                      "CategoricalCrossEntropy: pred(2, 3) = 1.5 is outside [0, 1] "
                      "(probabilities expected; for logits use SoftmaxCrossEntropy)");
  }
}
