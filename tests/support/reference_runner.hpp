// Runs every reference case of one loss through every entry point, in float
// and double, over every layout of layouts.hpp.
#pragma once

#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

#include "../catch.hpp"
#include "layouts.hpp"
#include "reference.hpp"

namespace reference {

// ---- options ---------------------------------------------------------------
#define LOSSFN_TEST_HAS(option, ...)                                                    \
  template <class L, class = void>                                                      \
  struct has_##option : std::false_type {};                                             \
  template <class L>                                                                    \
  struct has_##option<L, std::void_t<decltype(std::declval<L&>().option(__VA_ARGS__))>> \
      : std::true_type {};
LOSSFN_TEST_HAS(class_weights, std::vector<double>{})
LOSSFN_TEST_HAS(ignore_index, 1LL)
LOSSFN_TEST_HAS(label_smoothing, 0.1)
LOSSFN_TEST_HAS(pos_weight, std::vector<double>{})
LOSSFN_TEST_HAS(alpha, 0.1)
LOSSFN_TEST_HAS(gamma, 0.1)
LOSSFN_TEST_HAS(margin, 0.1)
LOSSFN_TEST_HAS(squared, true)
LOSSFN_TEST_HAS(crammer_singer, true)
LOSSFN_TEST_HAS(delta, 0.1)
LOSSFN_TEST_HAS(beta, 0.1)
LOSSFN_TEST_HAS(quantile, 0.1)
LOSSFN_TEST_HAS(log_target, true)
LOSSFN_TEST_HAS(log_input, true)
LOSSFN_TEST_HAS(full, true)
LOSSFN_TEST_HAS(eps, 0.1)
LOSSFN_TEST_HAS(epsilon, 0.1)
LOSSFN_TEST_HAS(power, 1.5)
LOSSFN_TEST_HAS(expectile, 0.5)
#undef LOSSFN_TEST_HAS

template <class L, class = void>
struct takes_probabilities : std::false_type {};
template <class L>
struct takes_probabilities<L, std::void_t<decltype(L::accepts_probabilities)>>
    : std::bool_constant<L::accepts_probabilities> {};

template <class Loss>
constexpr bool has_reduction = !std::is_same_v<Loss, lossfn::RootMeanSquaredError>;

/// The loss of a case, with the case's options set.
template <class Loss>
Loss configure(const Case& c) {
  Loss loss;
  size_t used = 0;
#define LOSSFN_TEST_OPTION(option, call)                                    \
  if (c.has(#option)) {                                                     \
    ++used;                                                                 \
    if constexpr (has_##option<Loss>::value) {                              \
      call;                                                                 \
    } else {                                                                \
      FAIL(c.name << ": " << #option << " is not an option of " << c.loss); \
    }                                                                       \
  }
  LOSSFN_TEST_OPTION(class_weights, loss.class_weights(c.list("class_weights")))
  LOSSFN_TEST_OPTION(ignore_index, loss.ignore_index(std::stoll(c.options.at("ignore_index")[0])))
  LOSSFN_TEST_OPTION(label_smoothing, loss.label_smoothing(c.number("label_smoothing")))
  LOSSFN_TEST_OPTION(pos_weight, loss.pos_weight(c.list("pos_weight")))
  LOSSFN_TEST_OPTION(alpha, loss.alpha(c.number("alpha")))
  LOSSFN_TEST_OPTION(gamma, loss.gamma(c.number("gamma")))
  LOSSFN_TEST_OPTION(margin, loss.margin(c.number("margin")))
  LOSSFN_TEST_OPTION(squared, loss.squared(c.number("squared") != 0))
  LOSSFN_TEST_OPTION(delta, loss.delta(c.number("delta")))
  LOSSFN_TEST_OPTION(beta, loss.beta(c.number("beta")))
  LOSSFN_TEST_OPTION(quantile, loss.quantile(c.number("quantile")))
  LOSSFN_TEST_OPTION(log_target, loss.log_target(c.number("log_target") != 0))
  LOSSFN_TEST_OPTION(log_input, loss.log_input(c.number("log_input") != 0))
  LOSSFN_TEST_OPTION(epsilon, loss.epsilon(c.number("epsilon")))
  LOSSFN_TEST_OPTION(full, loss.full(c.number("full") != 0))
  LOSSFN_TEST_OPTION(eps, loss.eps(c.number("eps")))
  LOSSFN_TEST_OPTION(power, loss.power(c.number("power")))
  LOSSFN_TEST_OPTION(expectile, loss.expectile(c.number("expectile")))
#undef LOSSFN_TEST_OPTION
  if (c.has("variant")) {
    ++used;
    if constexpr (has_crammer_singer<Loss>::value) {
      REQUIRE(c.options.at("variant")[0] == "crammer_singer");
      loss.crammer_singer(true);
    } else {
      FAIL(c.name << ": variant is not an option of " << c.loss);
    }
  }
  if (c.has("reduction")) {
    ++used;
    if constexpr (has_reduction<Loss>) {
      const std::string r = c.options.at("reduction")[0];
      loss.reduction(r == "sum" ? lossfn::Reduction::sum : lossfn::Reduction::mean);
    } else {
      FAIL(c.name << ": " << c.loss << " has no reduction option");
    }
  }
  REQUIRE(used == c.options.size());  // every option of the case was understood
  return loss;
}

// ---- comparison ------------------------------------------------------------

/// |actual − expected| ≤ rtol·|expected| + atol·max|expected| + floor, element
/// by element; reports the worst element. The second term is the absolute
/// rounding error of the reference itself near zero: PyTorch forms some
/// results by cancellation (σ(x) − t, log(1 + exp(−|x|)) without log1p), which
/// leaves errors of about 1e-16 of the array's scale where lossfn is exact.
template <class A>
void check_close(const Eigen::DenseBase<A>& actual, const Matrix& expected, double rtol,
                 double atol, const std::string& what, double floor = 0) {
  INFO(what);
  REQUIRE(actual.rows() == expected.rows);
  REQUIRE(actual.cols() == expected.cols);
  double scale = 0;
  for (double e : expected.values) scale = std::max(scale, std::abs(e));
  double worst = 0;
  long wi = -1, wj = -1;
  for (long i = 0; i < expected.rows; ++i)
    for (long j = 0; j < expected.cols; ++j) {
      const double a = static_cast<double>(actual(i, j)), e = expected(i, j);
      if (a == e) continue;  // equal infinities, or exact zeros
      const double excess = std::abs(a - e) / (rtol * std::abs(e) + atol * scale + floor + 1e-300);
      if (!(excess <= worst)) {  // NaN counts as worst
        worst = std::isnan(excess) ? INFINITY : excess;
        wi = i;
        wj = j;
      }
    }
  if (worst > 1) {
    std::ostringstream s;
    s.precision(17);
    s << "worst at (" << wi << ", " << wj << "): got " << static_cast<double>(actual(wi, wj))
      << ", expected " << expected(wi, wj) << " (" << worst << " x the tolerance)";
    FAIL_CHECK(s.str());
  }
}

inline void check_close(double actual, double expected, double rtol, double atol,
                        const std::string& what, double floor = 0) {
  Matrix e;
  e.rows = e.cols = 1;
  e.values = {expected};
  Eigen::Matrix<double, 1, 1> a;
  a(0, 0) = actual;
  check_close(a, e, rtol, atol, what, floor);
}

/// Tolerances: 1e-9 relative in double, 2e-4 in float (the bar).
template <class S>
struct Tolerance {
  static constexpr double rtol = std::is_same_v<S, double> ? 1e-9 : 2e-4;
  static constexpr double atol = std::is_same_v<S, double> ? 1e-15 : 1e-6;
  static constexpr double floor = 0;  // absolute error allowed everywhere
};

/// 16-bit predictions are computed in float and each result is rounded once
/// to the 16-bit type (the value twice: double sum -> float -> 16 bits, which
/// adds at most 2^-24). With unit roundoff u (2^-8 for bfloat16's 8-bit
/// significand, 2^-11 for half's 11 bits) the error is float's bar plus u:
///   |r - e| <= (2e-4 + u + 2^-23)|e| + 1e-6 max|e| + floor.
template <int significand_bits>
struct SixteenBitTolerance {
  static constexpr double u = 1.0 / double(1 << significand_bits);
  static constexpr double rtol = Tolerance<float>::rtol + u + 1.0 / double(1 << 23);
  static constexpr double atol = Tolerance<float>::atol;
};
template <>
struct Tolerance<Eigen::bfloat16> : SixteenBitTolerance<8> {
  static constexpr double floor = 0;  // bfloat16 has float's exponent range
};
template <>
struct Tolerance<Eigen::half> : SixteenBitTolerance<11> {
  // Half holds numbers below 2^-14 with a fixed step of 2^-24 (subnormals), so
  // a result there is off by up to 2^-25 however small it is.
  static constexpr double floor = 1.0 / double(1 << 25);
};

template <class S>
const char* type_name() {
  if constexpr (std::is_same_v<S, double>)
    return "double";
  else if constexpr (std::is_same_v<S, float>)
    return "float";
  else if constexpr (std::is_same_v<S, Eigen::half>)
    return "Eigen::half";
  else
    return "Eigen::bfloat16";
}

// ---- one case ----------------------------------------------------------------

/// Whether a case's target is a column of class indices (an integer vector).
inline bool index_target(const Case& c) {
  static const std::vector<std::string> index_losses = {
      "NegativeLogLikelihood", "MultiClassHinge",         "SoftmaxFocalLoss", "SoftmaxCrossEntropy",
      "PolyCrossEntropy",      "CategoricalCrossEntropy", "ZeroOneLoss"};
  const bool family =
      std::find(index_losses.begin(), index_losses.end(), c.loss) != index_losses.end();
  if (!family || c.target.cols != 1 || !c.target_is_integer) return false;
  if (c.loss == "ZeroOneLoss") return c.pred.cols != 1;
  return true;
}

/// An absolute floor for comparing a Hessian whose reference value is itself
/// rounded in absolute terms, by a subtraction from 1 in double that lossfn
/// avoids:
///  - LogCoshLoss: the reference is autograd's 1 − tanh²(d) (PyTorch's tanh
///    backward), exact only to about 2^-53 absolute: at d = 18.36 it gives
///    3.7007e-17 where the true 1/cosh²(d) is 3.7312e-17 (mpmath). lossfn
///    computes 4e/(1 + e)², e = exp(−2|d|), to a few ulp.
///  - SoftmaxCrossEntropy: the reference is autograd's M·s·(1 − s) through
///    PyTorch's softmax, whose 1 − s is 0 or 2^-52 where s rounds to 1 (logits
///    40 apart: the true e^-40 = 4.2e-18; 4.83e-16 where the record says
///    2^-51). lossfn forms 1 − s of the largest logit as Σ of the other
///    softmax terms, to a few ulp — in float too, where 1 − s rounds to 0 for
///    logits only 17 apart.
/// The two may then differ by that absolute rounding, 4·2^-53, times the
/// scale the driver applies to a term's Hessian (the largest w·M over the
/// mean's denominator; M = 1 for LogCosh). Every other loss: no floor.
/// CoxProportionalHazards: the reference is exact, and lossfn's Hessian is
/// the difference w·e^x·A − w²·e^{2x}·B of two parts of up to Σ w_i·δ_i each
/// (detail/risk_sets.hpp), exact to a few ulp of that, absolute; the floor
/// is 8·2^-53 of it, times the mean's scale.
template <class Loss>
double reference_hessian_floor(const Case& c) {
  if constexpr (std::is_same_v<Loss, lossfn::CoxProportionalHazards>) {
    double events = 0;
    for (long i = 0; i < c.target.rows; ++i)
      events += c.target(i, 1) * (c.weights.present ? c.weights(i, 0) : 1.0);
    const bool sum = c.has("reduction") && c.options.at("reduction")[0] == "sum";
    return 8.0 * 0x1p-53 * (sum ? events : 1.0);
  }
  constexpr bool log_cosh = std::is_same_v<Loss, lossfn::LogCoshLoss>;
  constexpr bool softmax = std::is_same_v<Loss, lossfn::SoftmaxCrossEntropy>;
  if constexpr (!log_cosh && !softmax) {
    (void)c;
    return 0;
  } else {
    const long n = c.pred.rows, classes = c.pred.cols;
    auto weight = [&](long i, long j) {
      if (!c.weights.present) return 1.0;
      return c.weights.cols == 1 ? c.weights(i, 0) : c.weights(i, j);
    };
    double largest = 0, denominator = 0;
    if constexpr (log_cosh) {
      for (long i = 0; i < n; ++i)
        for (long j = 0; j < classes; ++j) {
          largest = std::max(largest, weight(i, j));
          denominator += weight(i, j);
        }
    } else {
      std::vector<double> cw(static_cast<size_t>(classes), 1.0);
      if (c.has("class_weights")) cw = c.list("class_weights");
      const double e = c.has("label_smoothing") ? c.number("label_smoothing") : 0.0;
      double cw_sum = 0;
      for (double v : cw) cw_sum += v;
      const bool indices = c.target.cols == 1 && c.target_is_integer;
      for (long i = 0; i < n; ++i) {
        double m = 0, share = 1;
        if (indices) {
          const long y = static_cast<long>(c.target(i, 0));
          if (c.has("ignore_index") && y == std::stol(c.options.at("ignore_index")[0])) continue;
          m = (1 - e) * cw[static_cast<size_t>(y)] + e / static_cast<double>(classes) * cw_sum;
          share = cw[static_cast<size_t>(y)];
        } else {
          for (long j = 0; j < classes; ++j)
            m += cw[static_cast<size_t>(j)] *
                 ((1 - e) * c.target(i, j) + e / static_cast<double>(classes));
        }
        largest = std::max(largest, weight(i, 0) * m);
        denominator += weight(i, 0) * share;
      }
    }
    const bool sum = c.has("reduction") && c.options.at("reduction")[0] == "sum";
    if (sum) return 4.0 * 0x1p-53 * largest;
    return denominator > 0 ? 4.0 * 0x1p-53 * largest / denominator : 0.0;
  }
}

/// An absolute floor for the value, gradient and unreduced terms of the two
/// cases sigmoid_focal_hessian_saturated_gamma{0.5,2.0}_1x10_mean. Their value
/// and unreduced records are torchvision's terms, whose 1 − p_t rounds to 0
/// for |x| >= 37 (σ(88) is 1 in double), and so is the gradient where t = 1;
/// their Hessian record is the exact closed form. lossfn keeps 1 − p_t =
/// t·σ(−x) + (1 − t)·σ(x) with its digits (the reference README's own
/// convention), so its terms there are the true ones: at most 1.2e-58
/// (gamma 0.5) and 5.5e-116 (gamma 2), where the records say 0. A floor of
/// 1e-50 accepts those and nothing a user could see.
template <class Loss>
double reference_value_floor(const Case& c) {
  if constexpr (std::is_same_v<Loss, lossfn::SigmoidFocalLoss>) {
    if (c.name.rfind("sigmoid_focal_hessian_saturated_", 0) == 0) return 1e-50;
  }
  (void)c;
  return 0;
}

template <class Loss, class S, class P, class T, class... W>
void check_entry_points(const Loss& loss, const Case& c, const std::string& where, const P& pred,
                        const T& target, const W&... weights) {
  const double rtol = Tolerance<S>::rtol, atol = Tolerance<S>::atol,
               fl = std::max(Tolerance<S>::floor, reference_value_floor<Loss>(c));
  const S value = loss.value(pred, target, weights...);
  check_close(static_cast<double>(value), c.value, rtol, atol, where + ": value", fl);
  CHECK(loss(pred, target, weights...) == value);

  if constexpr (lossfn::traits<Loss>::differentiable) {
    REQUIRE(c.gradient.present);
    const auto g = loss.gradient(pred, target, weights...);
    check_close(g, c.gradient, rtol, atol, where + ": gradient", fl);

    // Fused == separate.
    const auto fused = loss.value_and_gradient(pred, target, weights...);
    CHECK(fused.value == value);
    CHECK(fused.gradient.isApprox(g) == true);
    CHECK((fused.gradient.array() == g.array() || g.array() != g.array()).all());

    // The caller's output types (a Block, a strided Map, an empty resizable
    // matrix), for plain column- and row-major preds only: an output's
    // layout is independent of pred's in the drivers (driver_rowwise_test
    // crosses them), and crossing all of them here multiplied this file's
    // instantiations, and the suite's build time, by four.
    if constexpr (std::is_same_v<P, layouts::ColMajor<S>> ||
                  std::is_same_v<P, layouts::RowMajor<S>>) {
      // Into a Block of a bigger matrix: nothing outside it is written.
      const Eigen::Index N = pred.rows(), C = pred.cols();
      layouts::ColMajor<S> big = layouts::ColMajor<S>::Constant(N + 3, C + 2, S(-12345));
      const S v_block =
          loss.value_and_gradient(pred, target, weights..., lossfn::out(big.block(1, 2, N, C)));
      CHECK(v_block == value);
      check_close(big.block(1, 2, N, C), c.gradient, rtol, atol, where + ": gradient into a Block",
                  fl);
      layouts::ColMajor<S> outside = big;
      outside.block(1, 2, N, C).setConstant(S(-12345));
      CHECK((outside.array() == S(-12345)).all());

      // Into a strided Map over the caller's buffer.
      std::vector<S> buffer(static_cast<size_t>((2 * N + 1) * (C + 1) + 2), S(-999));
      Eigen::Map<layouts::ColMajor<S>, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>> out(
          buffer.data(), N, C, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(2 * N + 1, 2));
      CHECK(loss.value_and_gradient(pred, target, weights..., lossfn::out(out)) == value);
      check_close(out, c.gradient, rtol, atol, where + ": gradient into a strided Map", fl);
      size_t written = 0;
      for (S b : buffer) written += b != S(-999) || b != b;
      CHECK(written <= static_cast<size_t>(N * C));

      // An empty resizable output is resized.
      layouts::RowMajor<S> resized;
      CHECK(loss.value_and_gradient(pred, target, weights..., lossfn::out(resized)) == value);
      check_close(resized, c.gradient, rtol, atol, where + ": gradient into a resized matrix", fl);
    }
  }

  if constexpr (lossfn::traits<Loss>::twice_differentiable) {
    if (c.hessian.present) {
      const double hfl = std::max(Tolerance<S>::floor, reference_hessian_floor<Loss>(c));
      const auto h = loss.hessian_diagonal(pred, target, weights...);
      check_close(h, c.hessian, rtol, atol, where + ": hessian", hfl);
      layouts::ColMajor<S> g2, h2;
      const S v2 =
          loss.value_gradient_hessian(pred, target, weights..., lossfn::out(g2), lossfn::out(h2));
      CHECK(v2 == value);
      check_close(g2, c.gradient, rtol, atol, where + ": gradient of value_gradient_hessian", fl);
      check_close(h2, c.hessian, rtol, atol, where + ": hessian of value_gradient_hessian", hfl);
    }
  }

  if constexpr (!std::is_same_v<Loss, lossfn::RootMeanSquaredError>) {
    REQUIRE(c.unreduced.present);
    const auto u = loss.unreduced(pred, target, weights...);
    check_close(u, c.unreduced, rtol, atol, where + ": unreduced", fl);
  }
  if constexpr (lossfn::traits<Loss>::decomposable) {
    const auto u = loss.unreduced(pred, target, weights...);
    // unreduced reduces to value, through partial's denominator.
    const auto part = loss.partial(pred, target, weights...);
    check_close(static_cast<double>(part.value()), c.value, rtol, atol, where + ": partial", fl);
    // Σ of the terms as returned (each rounded to S) against the partial's sum
    // (accumulated before rounding): they agree to S's rounding.
    const double sum_tol = std::max(1e-6, rtol);
    check_close(static_cast<double>(u.template cast<double>().sum()), static_cast<double>(part.sum),
                sum_tol, sum_tol, where + ": sum of unreduced");
  }
}

template <class Loss, class S>
void check_case(const Case& c) {
  const Loss loss = configure<Loss>(c);
  const bool indices = index_target(c);
  for (const std::string& layout : layouts::names()) {
    const std::string where = c.name + " [" + type_name<S>() + ", " + layout + "]";
    auto run = [&](const auto& pred, const auto& target) {
      if (c.weights.present) {
        const layouts::ColMajor<S> w = layouts::to_matrix<S>(c.weights);
        check_entry_points<Loss, S>(loss, c, where, pred, target, lossfn::weights(w));
      } else {
        check_entry_points<Loss, S>(loss, c, where, pred, target);
      }
    };
    constexpr bool row_wise = lossfn::traits<Loss>::row_wise;
    constexpr bool may_take_indices = row_wise || std::is_same_v<Loss, lossfn::ZeroOneLoss>;
    if constexpr (std::is_same_v<Loss, lossfn::CoxProportionalHazards>) {
      // (time, event) rows: integer-typed where every time is written as an integer.
      if (c.target_is_integer)
        layouts::with_layout<S, int>(layout, c.pred, c.target, run);
      else
        layouts::with_layout<S, S>(layout, c.pred, c.target, run);
    } else if constexpr (row_wise && !takes_probabilities<Loss>::value) {
      REQUIRE(indices);
      layouts::with_layout<S, int>(layout, c.pred, c.target, run);
    } else if constexpr (may_take_indices) {
      if (indices)
        layouts::with_layout<S, int>(layout, c.pred, c.target, run);
      else
        layouts::with_layout<S, S>(layout, c.pred, c.target, run);
    } else {
      REQUIRE(!indices);
      layouts::with_layout<S, S>(layout, c.pred, c.target, run);
    }
  }
}

/// Every expected result (value, gradient, unreduced terms, Hessian) is
/// within S's range (half overflows above 65504). Some are not even in float:
/// a Hessian t/p² at p = 1e-30 is 1e60, beyond float's 3.4e38, so float
/// computes inf there, rightly; and a Hessian record whose largest entry is
/// e^-204 = 2e-89 (logits 204 apart) is below float's smallest number, so
/// float computes 0, and a comparison relative to the record's scale cannot
/// pass. Such a case is run in double only.
template <class S>
bool results_fit(const Case& c) {
  const double max = static_cast<double>(std::numeric_limits<S>::max());
  const double min = static_cast<double>(std::numeric_limits<S>::min());  // smallest normal
  auto fits = [&](double largest) { return largest == 0 || (largest >= min && largest <= max); };
  if (!fits(std::abs(c.value))) return false;
  for (const Matrix* m : {&c.gradient, &c.unreduced, &c.hessian}) {
    double largest = 0;
    for (double v : m->values) largest = std::isnan(v) ? INFINITY : std::max(largest, std::abs(v));
    if (!fits(largest)) return false;
  }
  return true;
}

/// Every case of `loss_name` in the reference files (cases.txt: PyTorch's
/// losses; cases_extended.txt: more losses, sample weights, Hessians;
/// cases_poly.txt: PolyCrossEntropy, tests/tools/poly_reference.py;
/// cases_objectives.txt: the gradient-boosting objectives; cases_cox.txt;
/// cases_zero_one.txt: ZeroOneLoss's ignore_index, tests/tools/zero_one_reference.py): in
/// double, and in float where the inputs are floats and the expected results
/// fit in float (results_fit). One call per loss in the whole suite, so that
/// each loss's checks are instantiated once.
template <class Loss>
void check_reference_cases(const std::string& loss_name) {
  size_t count = 0;
  for (const char* file : {"cases.txt", "cases_extended.txt", "cases_poly.txt",
                           "cases_objectives.txt", "cases_cox.txt", "cases_zero_one.txt"}) {
    for (const Case& c : cases_of(file, loss_name)) {
      ++count;
      check_case<Loss, double>(c);
      if (c.float_exact() && c.name.find("double_extremes") == std::string::npos &&
          results_fit<float>(c))
        check_case<Loss, float>(c);
    }
  }
  REQUIRE(count > 0);
}

}  // namespace reference
