// lossfn::traits<L> for every loss:
//   - static_asserts of each member against the table below, which is the
//     table of docs/api.md ("Traits") written out by hand, with the documented
//     rules (ZeroOneLoss is not row_wise; the −100 log clamp leaves BCE
//     and CategoricalCrossEntropy smooth and convex);
//   - the docs table itself, parsed from docs/api.md, against the code, so
//     the page cannot drift from the traits;
//   - a generic function constrained on the traits, instantiated for every loss.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <lossfn/lossfn.hpp>
#include "catch.hpp"

namespace {

struct Expected {
  bool differentiable, twice_differentiable, smooth, convex, row_wise;
};

template <class L>
constexpr bool matches(Expected e) {
  using T = lossfn::traits<L>;
  return T::differentiable == e.differentiable &&
         T::twice_differentiable == e.twice_differentiable && T::smooth == e.smooth &&
         T::convex == e.convex && T::row_wise == e.row_wise;
}

// Why each row is what it is (convex: in pred, default options, every valid target).
//                                          diff   twice  smooth convex row_wise
static_assert(matches<lossfn::MeanSquaredError>({true, true, true, true, false}));
// √(mean d²) is a norm: convex, but its Hessian blows up at the cone's tip.
static_assert(matches<lossfn::RootMeanSquaredError>({true, true, false, true, false}));
static_assert(matches<lossfn::MeanAbsoluteError>({true, true, false, true, false}));
// Huber / SmoothL1: C¹ but the second derivative jumps at |d| = δ (β).
static_assert(matches<lossfn::HuberLoss>({true, true, false, true, false}));
static_assert(matches<lossfn::SmoothL1Loss>({true, true, false, true, false}));
static_assert(matches<lossfn::LogCoshLoss>({true, true, true, true, false}));
static_assert(matches<lossfn::QuantileLoss>({true, true, false, true, false}));
// The −100 clamp does not make BCE non-smooth or non-convex in its traits.
static_assert(matches<lossfn::BinaryCrossEntropy>({true, true, true, true, false}));
static_assert(matches<lossfn::BinaryCrossEntropyWithLogits>({true, true, true, true, false}));
static_assert(matches<lossfn::Hinge>({true, true, false, true, false}));
// max(0, ·)²: C¹, second derivative jumps at the margin.
static_assert(matches<lossfn::SquaredHinge>({true, true, false, true, false}));
// The focal factor (1 − p_t)^γ makes the loss non-convex (it falls again for
// confident wrong predictions' neighbours); smooth since 1 − p_t > 0 for finite x.
static_assert(matches<lossfn::SigmoidFocalLoss>({true, true, true, false, false}));
// Not differentiable; row_wise false (its binary form is element-wise).
static_assert(matches<lossfn::ZeroOneLoss>({false, false, false, false, false}));
static_assert(matches<lossfn::SoftmaxCrossEntropy>({true, true, true, true, true}));
static_assert(matches<lossfn::NegativeLogLikelihood>({true, true, true, true, true}));
static_assert(matches<lossfn::CategoricalCrossEntropy>({true, true, true, true, true}));
static_assert(matches<lossfn::MultiClassHinge>({true, true, false, true, true}));
static_assert(matches<lossfn::SoftmaxFocalLoss>({true, true, true, false, true}));
// ε·(1 − s_y) is a sigmoid's tail in each logit gap: not convex for ε > 0.
static_assert(matches<lossfn::PolyCrossEntropy>({true, true, true, false, true}));
static_assert(matches<lossfn::KLDivergence>({true, true, true, true, false}));
static_assert(matches<lossfn::PoissonNLLLoss>({true, true, true, true, false}));
// Cox: log-sum-exp minus a linear term, convex and smooth in the scores;
// one term per row (subject), like the row-wise losses.
static_assert(matches<lossfn::CoxProportionalHazards>({true, true, true, true, true}));

// decomposable (partial() exists): false for the two losses whose value is
// not a sum of terms each shard can compute -- RMSE's square root of a mean,
// and Cox, whose risk sums span every row -- true for every other loss,
// which declares nothing (the default).
static_assert(!lossfn::traits<lossfn::RootMeanSquaredError>::decomposable);
static_assert(!lossfn::traits<lossfn::CoxProportionalHazards>::decomposable);
static_assert(lossfn::traits<lossfn::MeanSquaredError>::decomposable);
static_assert(lossfn::traits<lossfn::SoftmaxCrossEntropy>::decomposable);
static_assert(lossfn::traits<lossfn::ZeroOneLoss>::decomposable);
static_assert(std::is_same_v<decltype(lossfn::traits<lossfn::Hinge>::decomposable), const bool>);

// CTC: a gradient and no Hessian; smooth in the logits, not convex; one term
// per sequence, not per row.
static_assert(matches<lossfn::CTCLoss>({true, false, true, false, false}));

// Log-link objectives: Hessians t·e^{−x} and (ρ−1)·t·e^{(1−ρ)x} + (2−ρ)·e^{(2−ρ)x}
// are positive; pseudo-Huber's (1 + (d/δ)²)^{−3/2} too.
static_assert(matches<lossfn::TweedieLoss>({true, true, true, true, false}));
static_assert(matches<lossfn::GammaLoss>({true, true, true, true, false}));
static_assert(matches<lossfn::PseudoHuberLoss>({true, true, true, true, false}));
// r² of r = log((1 + p)/(1 + t)): its Hessian 2(1 − r)/(1 + p)² < 0 where r > 1.
static_assert(matches<lossfn::MeanSquaredLogError>({true, true, true, false, false}));
// MAPE: a kink at p = t; Expectile: C¹, its second derivative jumps from 2(1 − τ) to 2τ.
static_assert(matches<lossfn::MeanAbsolutePercentageError>({true, true, false, true, false}));
static_assert(matches<lossfn::ExpectileLoss>({true, true, false, true, false}));

// The traits are compile-time constants usable where a constant is required.
static_assert(std::is_same_v<decltype(lossfn::traits<lossfn::HuberLoss>::convex), const bool>);
template <bool B>
struct constant {};
[[maybe_unused]] constant<lossfn::traits<lossfn::Hinge>::row_wise> usable_as_template_argument;

/// What a generic solver does with a loss it knows only through its traits:
/// a Newton step where there is a Hessian, a gradient step where there is a
/// gradient, and only the value otherwise. Returns the entry point it used.
template <class L, class T>
std::string best_step(const L& loss, const Eigen::MatrixXd& pred, const T& target,
                      Eigen::MatrixXd& step) {
  if constexpr (lossfn::traits<L>::twice_differentiable) {
    Eigen::MatrixXd g(pred.rows(), pred.cols()), h(pred.rows(), pred.cols());
    loss.value_gradient_hessian(pred, target, lossfn::out(g), lossfn::out(h));
    step = -g.array() / (h.array() + 1.0);  // damped Newton, safe where h = 0
    return "value_gradient_hessian";
  } else if constexpr (lossfn::traits<L>::differentiable) {
    step = -loss.gradient(pred, target);
    return "gradient";
  } else {
    step.setZero(pred.rows(), pred.cols());
    (void)loss.value(pred, target);
    return "value";
  }
}

template <class L>
std::string step_kind() {
  const Eigen::MatrixXd pred = (Eigen::MatrixXd(3, 2) << 0.2, 0.7, 0.9, 0.1, 0.4, 0.5).finished();
  Eigen::MatrixXd step;
  std::string used;
  if constexpr (lossfn::traits<L>::row_wise) {
    const Eigen::VectorXi y = (Eigen::VectorXi(3) << 0, 1, 1).finished();
    used = best_step(L(), pred, y, step);
  } else {
    Eigen::MatrixXd t = (Eigen::MatrixXd(3, 2) << 1, 0, 0, 1, 1, 1).finished();
    if constexpr (std::is_same_v<L, lossfn::GammaLoss>) t.array() += 1;  // targets > 0
    used = best_step(L(), pred, t, step);
  }
  CHECK(step.rows() == 3);
  CHECK(step.allFinite());
  return used;
}

/// The traits of L as the docs table writes them (✓ or blank), in column order.
template <class L>
std::vector<bool> row_of() {
  using T = lossfn::traits<L>;
  return {T::differentiable, T::twice_differentiable, T::smooth, T::convex,
          T::row_wise,       T::decomposable};
}

// clang-format off
#define LOSSFN_EVERY_LOSS(X)                                                                \
  X(MeanSquaredError) X(RootMeanSquaredError) X(MeanAbsoluteError) X(HuberLoss)             \
  X(SmoothL1Loss) X(LogCoshLoss) X(QuantileLoss) X(BinaryCrossEntropy)                      \
  X(BinaryCrossEntropyWithLogits) X(Hinge) X(SquaredHinge) X(SigmoidFocalLoss)              \
  X(ZeroOneLoss) X(SoftmaxCrossEntropy) X(NegativeLogLikelihood) X(CategoricalCrossEntropy) \
  X(MultiClassHinge) X(SoftmaxFocalLoss) X(KLDivergence) X(PoissonNLLLoss)                  \
  X(PolyCrossEntropy) X(TweedieLoss) X(GammaLoss) X(PseudoHuberLoss)                        \
  X(MeanSquaredLogError) X(MeanAbsolutePercentageError) X(ExpectileLoss)
// clang-format on
// Every loss of the docs' table: the generic step above needs a target it can
// make (CoxProportionalHazards' N x 2 times and events are tested apart).
#define LOSSFN_EVERY_TABLE_ROW(X) LOSSFN_EVERY_LOSS(X) X(CoxProportionalHazards)

}  // namespace

TEST_CASE("a generic function constrained on traits instantiates for every loss", "[traits]") {
  std::map<std::string, std::string> used;
#define LOSSFN_STEP(L) used[#L] = step_kind<lossfn::L>();
  LOSSFN_EVERY_LOSS(LOSSFN_STEP)
#undef LOSSFN_STEP
  CHECK(used.size() == 27);
  for (const auto& [loss, entry] : used) {
    INFO(loss);
    CHECK(entry == (loss == "ZeroOneLoss" ? "value" : "value_gradient_hessian"));
  }
}

TEST_CASE("the traits table of docs/api.md matches the code", "[traits][docs]") {
  const std::string path = std::string(LOSSFN_TEST_DATA_DIR) + "/../../docs/api.md";
  std::ifstream in(path);
  REQUIRE(in.good());
  // Rows look like: | `MeanSquaredError` | ✓ | ✓ | ✓ | ✓ | |
  std::map<std::string, std::vector<bool>> table;
  std::string line;
  bool in_traits = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_traits = line == "## Traits";
    if (!in_traits || line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream s(line.substr(1));
    std::string cell;
    while (std::getline(s, cell, '|')) cells.push_back(cell);
    REQUIRE(cells.size() >= 6);
    const std::string name =
        cells[0].substr(cells[0].find('`') + 1, cells[0].rfind('`') - cells[0].find('`') - 1);
    std::vector<bool> row;
    REQUIRE(cells.size() >= 7);
    for (size_t i = 1; i <= 6; ++i) row.push_back(cells[i].find("✓") != std::string::npos);
    table[name] = row;
  }
  CHECK(table.size() == 29);
#define LOSSFN_ROW(L)                        \
  {                                          \
    INFO(#L);                                \
    REQUIRE(table.count(#L) == 1);           \
    CHECK(table[#L] == row_of<lossfn::L>()); \
  }
  LOSSFN_EVERY_TABLE_ROW(LOSSFN_ROW)
  LOSSFN_ROW(CTCLoss)  // (not in LOSSFN_EVERY_LOSS: its inputs are sequences)
#undef LOSSFN_ROW
}

TEST_CASE("a generic Newton step takes CoxProportionalHazards through its traits",
          "[traits][cox]") {
  using Cox = lossfn::CoxProportionalHazards;
  const Eigen::VectorXd x = (Eigen::VectorXd(3) << 0.2, 0.7, -0.4).finished();
  const Eigen::MatrixXd t = (Eigen::MatrixXd(3, 2) << 1, 1, 2, 0, 3, 1).finished();
  Eigen::MatrixXd step;
  CHECK(best_step(Cox(), x, t, step) == "value_gradient_hessian");
  CHECK(step.rows() == 3);
  CHECK(step.allFinite());
}
