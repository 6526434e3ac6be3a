// Option setters of every loss: on a named loss they return the loss itself
// (chaining edits it), on a temporary they return the loss by value, so that
// `const auto& l = Loss().option(x);` holds the loss and no dangling reference.
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <lossfn/lossfn.hpp>
#include "catch.hpp"

namespace {

// Every loss with options (RootMeanSquaredError has none: its reduction() is a
// compile-time error).
using Losses =
    std::tuple<lossfn::BinaryCrossEntropy, lossfn::BinaryCrossEntropyWithLogits,
               lossfn::CategoricalCrossEntropy, lossfn::CoxProportionalHazards, lossfn::CTCLoss,
               lossfn::ExpectileLoss, lossfn::GammaLoss, lossfn::Hinge, lossfn::HuberLoss,
               lossfn::KLDivergence, lossfn::LogCoshLoss, lossfn::MeanAbsoluteError,
               lossfn::MeanAbsolutePercentageError, lossfn::MeanSquaredError,
               lossfn::MeanSquaredLogError, lossfn::MultiClassHinge, lossfn::NegativeLogLikelihood,
               lossfn::PoissonNLLLoss, lossfn::PolyCrossEntropy, lossfn::PseudoHuberLoss,
               lossfn::QuantileLoss, lossfn::SigmoidFocalLoss, lossfn::SoftmaxCrossEntropy,
               lossfn::SoftmaxFocalLoss, lossfn::SquaredHinge, lossfn::TweedieLoss,
               lossfn::ZeroOneLoss>;

// For each option: whether L has it (callable on an lvalue with these
// arguments), and if so whether both forms return what they must. A setter
// that exists on lvalues only, or returns a reference on a temporary, fails.
#define LOSSFN_CHECK_SETTER(option, ...)                                                     \
  template <class L, class = void>                                                           \
  struct setter_##option {                                                                   \
    static constexpr int count = 0;                                                          \
    static constexpr bool ok = true;                                                         \
  };                                                                                         \
  template <class L>                                                                         \
  struct setter_##option<L, std::void_t<decltype(std::declval<L&>().option(__VA_ARGS__))>> { \
    template <class X, class = void>                                                         \
    struct on_temporary {                                                                    \
      using type = void;                                                                     \
    };                                                                                       \
    template <class X>                                                                       \
    struct on_temporary<X, std::void_t<decltype(std::declval<X&&>().option(__VA_ARGS__))>> { \
      using type = decltype(std::declval<X&&>().option(__VA_ARGS__));                        \
    };                                                                                       \
    static constexpr int count = 1;                                                          \
    static constexpr bool ok =                                                               \
        std::is_same_v<decltype(std::declval<L&>().option(__VA_ARGS__)), L&> &&              \
        std::is_same_v<typename on_temporary<L>::type, L>;                                   \
  };
LOSSFN_CHECK_SETTER(reduction, lossfn::Reduction::sum)
LOSSFN_CHECK_SETTER(class_weights, std::vector<double>{1.0})
LOSSFN_CHECK_SETTER(ignore_index, 1LL)
LOSSFN_CHECK_SETTER(label_smoothing, 0.1)
LOSSFN_CHECK_SETTER(pos_weight, 2.0)
LOSSFN_CHECK_SETTER(alpha, 0.1)
LOSSFN_CHECK_SETTER(gamma, 0.1)
LOSSFN_CHECK_SETTER(margin, 0.1)
LOSSFN_CHECK_SETTER(squared, true)
LOSSFN_CHECK_SETTER(crammer_singer, true)
LOSSFN_CHECK_SETTER(delta, 0.1)
LOSSFN_CHECK_SETTER(beta, 0.1)
LOSSFN_CHECK_SETTER(quantile, 0.1)
LOSSFN_CHECK_SETTER(log_target, true)
LOSSFN_CHECK_SETTER(log_input, true)
LOSSFN_CHECK_SETTER(full, true)
LOSSFN_CHECK_SETTER(eps, 0.1)
LOSSFN_CHECK_SETTER(epsilon, 0.1)
LOSSFN_CHECK_SETTER(power, 1.5)
LOSSFN_CHECK_SETTER(expectile, 0.5)
LOSSFN_CHECK_SETTER(blank, 1LL)
LOSSFN_CHECK_SETTER(zero_infinity, true)
#undef LOSSFN_CHECK_SETTER

// clang-format off
#define LOSSFN_SETTERS(M)                                                                          \
  M(reduction)                                                                                     \
  M(class_weights) M(ignore_index) M(label_smoothing) M(pos_weight) M(alpha) M(gamma) M(margin)    \
      M(squared) M(crammer_singer) M(delta) M(beta) M(quantile) M(log_target) M(log_input) M(full) \
          M(eps) M(epsilon) M(power) M(expectile) M(blank) M(zero_infinity)
// clang-format on
#define LOSSFN_OK(option) &&setter_##option<L>::ok
#define LOSSFN_COUNT(option) +setter_##option<L>::count

template <class L>
constexpr bool setters_ok = true LOSSFN_SETTERS(LOSSFN_OK);
template <class L>
constexpr int setter_count = 0 LOSSFN_SETTERS(LOSSFN_COUNT);

template <class... L>
constexpr bool all_ok(std::tuple<L...>*) {
  return (setters_ok<L> && ...);
}
template <class... L>
constexpr int total_count(std::tuple<L...>*) {
  return (setter_count<L> + ...);
}

static_assert(all_ok(static_cast<Losses*>(nullptr)),
              "every setter returns L& on an lvalue and L on a temporary");
// The detection itself sees the options (a typo in an option's name would
// make the check above vacuous): 22 option names over the 27 losses.
static_assert(setter_count<lossfn::SoftmaxCrossEntropy> == 4);  // reduction, class_weights,
                                                                // ignore_index, label_smoothing
static_assert(setter_count<lossfn::CTCLoss> == 3);
static_assert(setter_count<lossfn::PoissonNLLLoss> == 4);
static_assert(total_count(static_cast<Losses*>(nullptr)) >= 59);

}  // namespace

TEST_CASE("a loss configured on a temporary and bound to a reference stays valid", "[options]") {
  // Under AddressSanitizer a setter returning a reference to the temporary
  // reads freed stack here (stack-use-after-scope); the static_asserts above
  // prove the same for every setter without it.
  Eigen::MatrixXd z(3, 3);
  z << 1, 2, 3, 0, 0, 0, -1, 2, 5;
  Eigen::VectorXi y(3);
  y << 2, 0, 1;
  const auto& smoothed = lossfn::SoftmaxCrossEntropy().label_smoothing(0.1);
  const auto& summed =
      lossfn::SoftmaxCrossEntropy().label_smoothing(0.1).reduction(lossfn::Reduction::sum);
  lossfn::SoftmaxCrossEntropy named;
  named.label_smoothing(0.1);
  CHECK(smoothed.label_smoothing() == 0.1);
  CHECK(smoothed(z, y) == named(z, y));
  CHECK(summed.reduction() == lossfn::Reduction::sum);
  CHECK(summed(z, y) == named.reduction(lossfn::Reduction::sum)(z, y));
  // On a named loss the setter edits it and returns it.
  lossfn::HuberLoss huber;
  CHECK(&huber.delta(0.5) == &huber);
  CHECK(huber.delta() == 0.5);
}
