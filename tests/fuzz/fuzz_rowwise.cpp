// libFuzzer target: the row-wise losses (one term per row of an N x C pred):
// SoftmaxCrossEntropy (class indices and probability targets; class_weights,
// ignore_index, label_smoothing), NegativeLogLikelihood (class_weights,
// ignore_index), CategoricalCrossEntropy (indices and probabilities),
// SoftmaxFocalLoss (gamma, class_weights as alpha, ignore_index),
// MultiClassHinge (margin, squared, crammer_singer, class_weights),
// ZeroOneLoss on class indices (its binary form when C = 1), and
// CoxProportionalHazards (one term per row too: N x 1 scores, N x 2 (time,
// event) targets of pred's type or int, weights one per row; chosen by a
// first byte >= 248, so the corpus keeps its meaning for the others).
//
// The bytes choose the loss and its options, float or double, the shape
// (rows 0..9, columns 0..40, rarely 256..271: rows of >= 16 floats and >= 8
// doubles take the SIMD softmax, 256+ its chunking), the layout, the
// reduction, the target type (int or long long class indices; probabilities
// of pred's type or of the other one), the labels (valid, out of range,
// negative, extreme, equal to ignore_index), sample weights (none, one per
// row, pred's shape, a wrong shape) and every value.
//
// Beyond exercise()'s invariants, the harness knows the rules, so it checks:
//  - every input that breaks one is rejected, every other one accepted;
//  - partial().weight is Σ w_i·cw[y_i] over the rows not ignored (N or Σ w_i
//    for probability targets);
//  - a NaN in a row that counts reaches the value;
//  - ignored rows have a zero term, gradient and Hessian; a mean over zero
//    weight has a zero gradient (moderate input);
//  - a row's gradient sums to 0 (softmax losses, multi-class hinge);
//  - row-major pred (SIMD along the row) and column-major pred (scalar) give
//    the same value, terms, gradient and Hessian: bitwise where no SIMD path
//    exists, within a few ulp of the row's scale for the softmax losses.
#include "fuzz_support.hpp"

#include <optional>

namespace {

using namespace fuzz;

enum LossId { sce, nll, cce, focal, hinge, zero_one, loss_count };

struct Plan {
  int loss = sce;
  Index rows = 0, cols = 0;
  int layout = 0;
  int weight_mode = 0;  // none, one per row, pred's shape, (rows + 1) x 1
  bool bad_out = false, bad_target = false;
  Kind pred = Kind::real;
  std::vector<double> class_weights;  // as given to the loss (empty: none)
  std::optional<long long> ignore;
  double smoothing = 0, gamma = 0, margin = 0;
  bool crammer_singer = false;
  Decoded d;  // options of extreme size clear d.moderate
};

/// A class index: mostly valid, else -1, -100, C, beyond C, the type's
/// extremes, or ignore_index.
template <class T>
T label(Bytes& b, const Plan& plan) {
  const std::uint8_t h = b.byte();
  const Index C = plan.cols;
  if (h < 224) return static_cast<T>(C > 0 ? h % C : 0);
  switch (h % 8) {
    case 0:
      return plan.ignore ? static_cast<T>(*plan.ignore) : T(-1);  // may wrap for int
    case 1:
      return T(-1);
    case 2:
      return T(-100);
    case 3:
      return static_cast<T>(C);
    case 4:
      return static_cast<T>(C + 1 + b.byte());
    case 5:
      return std::numeric_limits<T>::max();
    case 6:
      return std::numeric_limits<T>::min();
    default:
      return static_cast<T>(C > 0 ? C - 1 : 0);
  }
}

/// A class weight: mostly in [0, 4], rarely a special value (maybe invalid).
inline double class_weight(Bytes& b, Decoded& d) {
  if (b.byte() < 6) return special<double>(b.byte(), d);
  return 4 * (b.u16() / 65535.0);
}

inline bool softmax_loss(int loss) {
  return loss == sce || loss == focal;
}

/// What the harness expects of one input, from the rules in docs/.
struct Expected {
  bool valid = true;
  double denominator = 0;
  std::vector<char> ignored;       // per row
  std::vector<double> row_weight;  // w_i (0 when ignored)
  std::vector<double> row_scale;   // d value / d term of row i (0 when ignored)
  std::vector<double> bound;       // per row: the scale of the term's derivatives
  double log_bound = 1;            // |log s_y| <= this on moderate input
  bool nan_counted = false;        // a NaN the loss reads, in a row that counts
};

template <class S>
constexpr double eps = std::numeric_limits<S>::epsilon();

template <class X>
bool is_nan(const X& x) {
  return std::isnan(static_cast<double>(x));
}

/// |a - b| <= tol, or both NaN; infinities must be equal.
template <class S>
bool near(S a, S b, double tol) {
  if (is_nan(a) || is_nan(b)) return is_nan(a) && is_nan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(double(a) - double(b)) <= tol;
}

/// Checks beyond exercise(), on an accepted input, with pred and target in
/// column-major (the scalar path) and row-major (SIMD along each row) order.
template <class Loss, class S, class T, class... W>
void row_checks(const Loss& loss, const Plan& plan, const Expected& e, const Decoded& d,
                const ColMajor<S>& pred, const ColMajor<T>& target, const W&... w) {
  constexpr bool has_gradient = lossfn::traits<Loss>::differentiable;
  constexpr bool has_hessian = lossfn::traits<Loss>::twice_differentiable;
  const Index rows = plan.rows, C = plan.cols;
  const RowMajor<S> rpred = pred;
  const RowMajor<T> rtarget = target;
  const bool exact = !softmax_loss(plan.loss);  // no SIMD path: the same bits
  const double tol = 64 * eps<S> * double(C + 2);
  auto same = [&](S a, S b, double scale, const char* what, Index i, Index c) {
    const bool ok =
        exact ? same_scalar(a, b) : (d.moderate ? near(a, b, tol * scale) : is_nan(a) == is_nan(b));
    if (!ok)
      broken("column-major and row-major pred disagree",
             std::string(what) + " at (" + std::to_string(i) + ", " + std::to_string(c) +
                 "): " + std::to_string(double(a)) + " vs " + std::to_string(double(b)));
  };

  // A term's scale: its size, plus its weight times the bound of its size.
  const S v0 = loss.value(pred, target, w...), v1 = loss.value(rpred, rtarget, w...);
  const auto u0 = loss.unreduced(pred, target, w...);
  const auto u1 = loss.unreduced(rpred, rtarget, w...);
  double value_scale = 0;
  for (Index i = 0; i < rows; ++i) {
    const double scale = std::abs(double(u0(i, 0))) + e.row_weight[i] * e.bound[i] * e.log_bound;
    value_scale += scale;
    same(u0(i, 0), u1(i, 0), scale, "unreduced", i, 0);
    if (e.ignored[i]) FUZZ_CHECK(u0(i, 0) == S(0) && u1(i, 0) == S(0), "an ignored row has a term");
  }
  const bool mean = loss.reduction() == lossfn::Reduction::mean;
  same(v0, v1, value_scale / (mean && e.denominator > 0 ? e.denominator : 1.0), "value", -1, -1);

  if constexpr (has_gradient) {
    const ColMajor<S> g0 = loss.gradient(pred, target, w...);
    const RowMajor<S> g1 = loss.gradient(rpred, rtarget, w...);
    const bool zero_sum = plan.loss == sce || plan.loss == focal || plan.loss == hinge;
    for (Index i = 0; i < rows; ++i) {
      const double scale = e.row_scale[i] * e.bound[i];
      double sum0 = 0, sum1 = 0, abs0 = 0;
      for (Index c = 0; c < C; ++c) {
        same(g0(i, c), g1(i, c), scale, "gradient", i, c);
        if (e.ignored[i])
          FUZZ_CHECK(g0(i, c) == S(0) && g1(i, c) == S(0), "an ignored row has a gradient");
        sum0 += double(g0(i, c));
        sum1 += double(g1(i, c));
        abs0 += std::abs(double(g0(i, c)));
      }
      if (zero_sum && d.moderate && !e.ignored[i] && C > 0) {
        const double allowed = tol * (plan.loss == hinge ? abs0 : scale) + 1e-300;
        if (!(std::abs(sum0) <= allowed && std::abs(sum1) <= allowed))
          broken("a row's gradient does not sum to 0",
                 "row " + std::to_string(i) + ": " + std::to_string(sum0) + ", " +
                     std::to_string(sum1) + " (allowed " + std::to_string(allowed) + ")");
      }
    }
    if (d.moderate && loss.reduction() == lossfn::Reduction::mean && e.denominator == 0)
      FUZZ_CHECK((g0.array() == S(0)).all(), "a mean over zero weight has a gradient");
  }
  if constexpr (has_hessian) {
    const ColMajor<S> h0 = loss.hessian_diagonal(pred, target, w...);
    const RowMajor<S> h1 = loss.hessian_diagonal(rpred, rtarget, w...);
    for (Index i = 0; i < rows; ++i)
      for (Index c = 0; c < C; ++c) {
        same(h0(i, c), h1(i, c), 4 * e.row_scale[i] * e.bound[i], "hessian", i, c);
        if (e.ignored[i])
          FUZZ_CHECK(h0(i, c) == S(0) && h1(i, c) == S(0), "an ignored row has a Hessian");
      }
  }
}

template <class T>
bool in_unit(const T& t) {
  return t >= T(0) && t <= T(1);
}

template <class S, class T, class Loss>
void run(const Loss& loss, const Plan& plan, Bytes& b) {
  constexpr bool indices = std::is_integral_v<T>;
  const Index rows = plan.rows, C = plan.cols;
  Decoded d = plan.d;
  ColMajor<S> pred(rows, C);
  for (Index k = 0; k < pred.size(); ++k) pred.data()[k] = number<S>(b, plan.pred, d);
  ColMajor<T> target;
  if constexpr (indices) {
    target.resize(rows + (plan.bad_target ? 1 : 0), 1);
    for (Index k = 0; k < target.size(); ++k) target.data()[k] = label<T>(b, plan);
  } else {
    target.resize(rows, C + (plan.bad_target ? 1 : 0));
    for (Index k = 0; k < target.size(); ++k) target.data()[k] = number<T>(b, Kind::probability, d);
  }
  ColMajor<S> w;
  switch (plan.weight_mode) {
    case 1:
      w.resize(rows, 1);
      break;
    case 2:
      w.resize(rows, C);
      break;
    case 3:
      w.resize(rows + 1, 1);
      break;
    default:
      break;
  }
  for (Index k = 0; k < w.size(); ++k) w.data()[k] = number<S>(b, Kind::weight, d);

  // ---- what the rules say ------------------------------------------------
  Expected e;
  const bool binary = plan.loss == zero_one && C == 1;  // ZeroOneLoss's binary form
  bool valid = !plan.bad_target;
  if (plan.loss == zero_one && C == 0) valid = false;  // neither form
  if (!plan.class_weights.empty() && Index(plan.class_weights.size()) != C) valid = false;
  if (plan.loss == hinge && plan.crammer_singer && C < 2 && rows > 0) valid = false;
  if (plan.weight_mode == 3 || (plan.weight_mode == 2 && C != 1)) valid = false;
  for (Index k = 0; k < w.size(); ++k) {
    const double v = double(w.data()[k]);
    if (!(v >= 0) || !std::isfinite(v)) valid = false;
  }
  if (plan.loss == cce)
    for (Index k = 0; k < pred.size(); ++k) valid = valid && in_unit(pred.data()[k]);
  if constexpr (!indices) {
    if (plan.loss == cce)
      for (Index k = 0; k < target.size(); ++k) valid = valid && in_unit(target.data()[k]);
  }
  e.ignored.assign(size_t(rows), 0);
  std::vector<Index> y(size_t(rows), 0);
  if constexpr (indices) {
    if (!plan.bad_target)
      for (Index i = 0; i < rows; ++i) {
        const long long v = static_cast<long long>(target(i, 0));
        if (binary) {
          valid = valid && (v == -1 || v == 0 || v == 1);
        } else if (plan.ignore && *plan.ignore == v) {
          e.ignored[size_t(i)] = 1;
        } else if (v < 0 || v >= C) {
          valid = false;
        } else {
          y[size_t(i)] = Index(v);
        }
      }
  }
  auto cw = [&](Index c) {
    return plan.class_weights.empty() ? 1.0 : plan.class_weights[size_t(c)];
  };
  double max_cw = 1, sum_cw = double(C);
  if (!plan.class_weights.empty() && valid) {
    max_cw = 0;
    sum_cw = 0;
    for (double v : plan.class_weights) {
      max_cw = std::max(max_cw, v);
      sum_cw += v;
    }
  }
  e.valid = valid;
  const bool mean = loss.reduction() == lossfn::Reduction::mean;
  if (valid) {
    auto weight_of = [&](Index i) { return plan.weight_mode == 0 ? 1.0 : double(w(i, 0)); };
    for (Index i = 0; i < rows; ++i) {
      double share = 1;
      if (e.ignored[size_t(i)])
        share = 0;
      else if (indices && !binary)
        share = cw(y[size_t(i)]);
      e.denominator += weight_of(i) * share;
    }
    // The derivatives of a row's term are bounded by its scale (moderate
    // input: logits in [-20, 20], so |log s_y| <= 40 + log C); its size by
    // that times log_bound.
    e.log_bound = 41 + std::log(double(C) + 1);
    for (Index i = 0; i < rows; ++i) {
      const bool ignored = e.ignored[size_t(i)];
      const double wi = ignored ? 0.0 : weight_of(i);
      e.row_weight.push_back(wi);
      e.row_scale.push_back(mean ? (e.denominator > 0 ? wi / e.denominator : 0.0) : wi);
      const double cy = indices && !binary ? cw(y[size_t(i)]) : max_cw;
      switch (plan.loss) {
        case sce:
          e.bound.push_back(4 * (cy + sum_cw) + 4);
          break;
        case focal:
          e.bound.push_back(4 * cy * (1 + plan.gamma) * (1 + plan.gamma) * (2 + e.log_bound));
          break;
        default:
          e.bound.push_back(cy * (1 + e.log_bound));
          break;
      }
      // A NaN the loss reads, in a row that counts.
      if (!ignored) {
        // (NLL reads only the label's entry; a one-column multi-class hinge
        // reads nothing: its term, a sum over the other classes, is 0.)
        bool row_nan = false;  // (not pred.row(i): a row of no columns is a null Block)
        for (Index c = 0; c < C; ++c) row_nan = row_nan || is_nan(pred(i, c));
        const bool nan = plan.loss == nll     ? is_nan(pred(i, y[size_t(i)]))
                         : plan.loss == hinge ? C > 1 && row_nan
                                              : row_nan;
        e.nan_counted = e.nan_counted || nan;
      }
    }
  }

  // Known, and left (see the report of the fuzz branch): the drivers scale
  // a mean's derivatives by S(1 / denominator), which overflows when the
  // total weight is below 1 / max (subnormal weights): the gradient is then
  // ±inf though each w_i / Σ w is finite. Such input is not "moderate".
  if (valid && mean && e.denominator > 0 &&
      !(1.0 / e.denominator <= double(std::numeric_limits<S>::max())))
    d.moderate = false;
  // CategoricalCrossEntropy's Hessian t / p² overflows (rightly: the exact
  // value exceeds S's range) for p < 1 / sqrt(max) above the clamp, e.g. a
  // float pred of FLT_MIN (log p = -87 > -100).
  if (plan.loss == cce)
    for (Index k = 0; k < pred.size(); ++k) {
      const double p = double(pred.data()[k]);
      if (p > 0 && p < 1 / std::sqrt(double(std::numeric_limits<S>::max()))) d.moderate = false;
    }

  Facts facts;
  facts.row_wise = true;
  facts.exact_weight = false;  // facts.weight says it
  facts.nan_propagates = true;
  facts.expect = valid ? 1 : -1;
  facts.weight = valid ? e.denominator : -1;
  if (plan.loss == nll) facts.non_negative = (pred.array() <= S(0)).all();
  if constexpr (!indices) {
    if (plan.loss == sce)
      for (Index k = 0; k < target.size(); ++k)
        facts.non_negative = facts.non_negative && in_unit(target.data()[k]);
  }
  d.nan_pred = valid && e.nan_counted && (!mean || e.denominator > 0);

  if (std::getenv("FUZZ_DEBUG")) {  // what an input decodes to, for minimizing
    std::fprintf(
        stderr,
        "loss %d S %s T %s rows %ld cols %ld layout %d weights %d bad_out %d "
        "bad_target %d reduction %s valid %d denominator %.17g ignore %s smoothing %g "
        "gamma %g margin %g crammer_singer %d moderate %d nan_pred %d\n",
        plan.loss, sizeof(S) == 4 ? "float" : "double",
        indices ? (sizeof(T) == 4 ? "int" : "long long") : (sizeof(T) == 4 ? "float" : "double"),
        long(rows), long(C), plan.layout, plan.weight_mode, plan.bad_out, plan.bad_target,
        mean ? "mean" : "sum", valid, e.denominator,
        plan.ignore ? std::to_string(*plan.ignore).c_str() : "none", plan.smoothing, plan.gamma,
        plan.margin, plan.crammer_singer, d.moderate, d.nan_pred);
    std::fprintf(stderr, "class_weights:");
    for (double v : plan.class_weights) std::fprintf(stderr, " %.9g", v);
    std::fprintf(stderr, "\npred:\n");
    for (Index i = 0; i < pred.rows(); ++i) {
      for (Index j = 0; j < pred.cols(); ++j) std::fprintf(stderr, " %.9g", double(pred(i, j)));
      std::fprintf(stderr, "\n");
    }
    std::fprintf(stderr, "target:\n");
    for (Index i = 0; i < target.rows(); ++i) {
      for (Index j = 0; j < target.cols(); ++j)
        std::fprintf(stderr, " %.17g", double(target(i, j)));
      std::fprintf(stderr, "\n");
    }
    std::fprintf(stderr, "weights:");
    for (Index k = 0; k < w.size(); ++k) std::fprintf(stderr, " %.9g", double(w.data()[k]));
    std::fprintf(stderr, "\n");
  }

  bool accepted = false;
  with_layout(plan.layout, pred, target, [&](const auto& p, const auto& t) {
    if (plan.weight_mode == 0)
      accepted = exercise(loss, p, t, d, facts, plan.bad_out);
    else
      accepted = exercise(loss, p, t, d, facts, plan.bad_out, lossfn::weights(w));
  });
  if (!accepted) return;
  if (plan.weight_mode == 0)
    row_checks(loss, plan, e, d, pred, target);
  else
    row_checks(loss, plan, e, d, pred, target, lossfn::weights(w));
}

/// Runs a loss in S with the target type the plan says (target_kind: 0 int
/// indices, 1 long long, 2 probabilities of S, 3 of the other floating type).
template <class L, class = void>
constexpr bool accepts_probabilities = false;
template <class L>
constexpr bool accepts_probabilities<L, std::void_t<decltype(L::accepts_probabilities)>> =
    L::accepts_probabilities;

template <class S, class Loss>
void run_targets(const Loss& loss, const Plan& plan, int target_kind, Bytes& b) {
  using Other = std::conditional_t<std::is_same_v<S, float>, double, float>;
  if constexpr (accepts_probabilities<Loss>) {
    if (target_kind == 2) return run<S, S>(loss, plan, b);
    if (target_kind == 3) return run<S, Other>(loss, plan, b);
  }
  if (target_kind & 1)
    run<S, long long>(loss, plan, b);
  else
    run<S, int>(loss, plan, b);
}

template <class Loss>
void run_both(Loss loss, const Plan& plan, bool sum, bool dbl, int target_kind, Bytes& b) {
  loss.reduction(sum ? lossfn::Reduction::sum : lossfn::Reduction::mean);
  if (dbl) {
    if constexpr (exercised<double>) run_targets<double>(loss, plan, target_kind, b);
  } else {
    if constexpr (exercised<float>) run_targets<float>(loss, plan, target_kind, b);
  }
}

/// class_weights and ignore_index, for the losses that have them.
template <class L, class = void>
constexpr bool has_ignore_index = false;
template <class L>
constexpr bool has_ignore_index<L, std::void_t<decltype(std::declval<L&>().ignore_index(0LL))>> =
    true;

template <class Loss>
void class_options(Loss& loss, Plan& plan, Bytes& b) {
  constexpr bool has_ignore = has_ignore_index<Loss>;
  const std::uint8_t o = b.byte();
  switch (o & 3) {
    case 1: {  // one per class
      plan.class_weights.resize(size_t(plan.cols));
      for (double& v : plan.class_weights) v = class_weight(b, plan.d);
      break;
    }
    case 2: {  // one too many or too few
      const bool more = ((o >> 5) & 1) || plan.cols == 0;
      plan.class_weights.resize(size_t(more ? plan.cols + 1 : plan.cols - 1));
      for (double& v : plan.class_weights) v = class_weight(b, plan.d);
      break;
    }
    default:
      break;  // 0: none; 3: an empty vector, which also means none
  }
  if ((o & 3) != 0) loss.class_weights(plan.class_weights);  // may throw: the input is done
  if (!has_ignore) return;
  switch ((o >> 2) & 7) {
    case 4:
      plan.ignore = -100;
      break;
    case 5:
      plan.ignore = -1;
      break;
    case 6:
      plan.ignore = plan.cols > 0 ? b.byte() % plan.cols : 0;
      break;  // a real class
    case 7: {
      const std::uint8_t k = b.byte() % 4;
      plan.ignore = k == 0   ? plan.cols
                    : k == 1 ? std::numeric_limits<long long>::min()
                    : k == 2 ? (long long)std::numeric_limits<int>::max() + 1
                             : (long long)std::numeric_limits<int>::min();
      break;
    }
    default:
      break;  // 0..3: none
  }
  if constexpr (has_ignore_index<Loss>) {
    if (plan.ignore) loss.ignore_index(*plan.ignore);
  }
}

}  // namespace

/// CoxProportionalHazards: times from the bytes (mostly a few tied values,
/// sometimes negative, NaN or infinite), events (mostly 0/1, sometimes 2 or
/// NaN), pred N x 1 (or N x 2, or 1 x N: an error), weights none, one per row
/// or of the wrong length. The harness knows the rules: it expects the
/// input's acceptance exactly, and a finite value and derivatives for finite
/// scores of any size (the risk sums are log-sum-exps in double).
template <class S, class T>
void run_cox(Bytes& b, bool sum, int layout) {
  const Index n = b.byte() % 10;
  const std::uint8_t shape = b.byte();
  const Index cols = (shape & 7) == 7 ? 2 : 1;
  const bool row = (shape & 7) == 6 && n > 1;
  const int weight_mode = (shape >> 3) & 3;
  Decoded d;
  ColMajor<S> x(row ? 1 : n, row ? n : cols);
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i) {
      x(i, j) = number<S>(b, Kind::real, d);
      if (std::isnan(static_cast<double>(x(i, j)))) d.nan_pred = true;
    }
  ColMajor<T> t(n, 2);
  bool valid = cols == 1 && !row;
  for (Index i = 0; i < n; ++i) {
    const std::uint8_t h = b.byte();
    const T huge = std::is_integral_v<T> ? std::numeric_limits<T>::max() : static_cast<T>(1e30);
    t(i, 0) = h == 0 ? T(-1) : h == 1 ? huge : h < 8 ? T(0) : static_cast<T>(h % 5);
    if constexpr (std::is_floating_point_v<T>) {
      if (h == 2) t(i, 0) = std::numeric_limits<T>::quiet_NaN();
      if (h == 3) t(i, 0) = -std::numeric_limits<T>::infinity();
    }
    const std::uint8_t e = b.byte();
    t(i, 1) = e < 4 ? static_cast<T>(e == 0 ? 2 : e == 1 ? -1 : 0) : static_cast<T>(e & 1);
    if constexpr (std::is_floating_point_v<T>) {
      if (e == 2) t(i, 1) = std::numeric_limits<T>::quiet_NaN();
    }
    const double ti = static_cast<double>(t(i, 0)), ei = static_cast<double>(t(i, 1));
    valid = valid && std::isfinite(ti) && ti >= 0 && (ei == 0 || ei == 1);
  }
  auto loss = lossfn::CoxProportionalHazards().reduction(sum ? lossfn::Reduction::sum
                                                             : lossfn::Reduction::mean);
  Facts facts;
  facts.row_wise = true;
  facts.nan_propagates = false;  // not without events
  facts.non_negative = weight_mode == 0;
  facts.exact_weight = false;
  auto go = [&](const auto& pred, const auto& target, const auto&... w) {
    facts.expect = valid ? 1 : -1;
    exercise(loss, pred, target, d, facts, (shape >> 5) & 1, w...);
  };
  if (weight_mode == 0) {
    with_layout(layout, x, t, [&](const auto& p, const auto& y) { go(p, y); });
  } else {
    ColMajor<S> w(weight_mode == 3 ? n + 1 : n, 1);
    for (Index i = 0; i < w.rows(); ++i) {
      w(i, 0) = number<S>(b, Kind::weight, d);
      const double v = static_cast<double>(w(i, 0));
      valid = valid && std::isfinite(v) && v >= 0;
    }
    valid = valid && weight_mode != 3;
    with_layout(layout, x, t, [&](const auto& p, const auto& y) { go(p, y, lossfn::weights(w)); });
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  Plan plan;
  const std::uint8_t pick = b.byte();
  if (pick >= 248) {
    const std::uint8_t flags = b.byte();
    const bool sum = flags & 1, dbl = (flags >> 1) & 1, integer_times = (flags >> 2) & 1;
    const int layout = (flags >> 3) & 3;
    (void)attempt([&] {
      if (dbl) {
        if constexpr (exercised<double>) {
          if (integer_times)
            run_cox<double, int>(b, sum, layout);
          else
            run_cox<double, double>(b, sum, layout);
        }
      } else {
        if constexpr (exercised<float>) {
          if (integer_times)
            run_cox<float, int>(b, sum, layout);
          else
            run_cox<float, float>(b, sum, layout);
        }
      }
    });
    return 0;
  }
  plan.loss = pick % loss_count;
  const std::uint8_t flags = b.byte();
  const bool sum = flags & 1, dbl = (flags >> 1) & 1;
  const int target_kind = (flags >> 2) & 3;
  plan.rows = b.byte() % 10;
  const std::uint8_t c = b.byte();
  plan.cols = c == 255 ? 256 + b.byte() % 16 : c % 41;
  const std::uint8_t shape = b.byte();
  plan.layout = shape & 3;
  plan.weight_mode = (shape >> 2) & 3;
  plan.bad_out = (shape >> 4) & 1;
  plan.bad_target = ((shape >> 5) & 7) == 7;

  // An invalid option throws lossfn::invalid_argument from its setter; the
  // input is then done.
  const Outcome o = attempt([&] {
    switch (plan.loss) {
      case sce: {
        lossfn::SoftmaxCrossEntropy loss;
        class_options(loss, plan, b);
        if (b.bit()) loss.label_smoothing(plan.smoothing = option(b, 0, 1, plan.d));
        run_both(loss, plan, sum, dbl, target_kind, b);
        break;
      }
      case nll: {
        lossfn::NegativeLogLikelihood loss;
        class_options(loss, plan, b);
        plan.pred = Kind::log_prob;
        run_both(loss, plan, sum, dbl, target_kind, b);
        break;
      }
      case cce:
        plan.pred = Kind::probability;
        run_both(lossfn::CategoricalCrossEntropy(), plan, sum, dbl, target_kind, b);
        break;
      case focal: {
        lossfn::SoftmaxFocalLoss loss;
        class_options(loss, plan, b);
        plan.gamma = 2;
        if (b.bit()) loss.gamma(plan.gamma = option(b, 0, 5, plan.d));
        run_both(loss, plan, sum, dbl, target_kind, b);
        break;
      }
      case hinge: {
        lossfn::MultiClassHinge loss;
        class_options(loss, plan, b);
        const std::uint8_t m = b.byte();
        plan.crammer_singer = m & 1;
        loss.squared((m >> 1) & 1).crammer_singer(plan.crammer_singer);
        plan.margin = 1;
        if ((m >> 2) & 1) loss.margin(plan.margin = option(b, -2, 3, plan.d));
        run_both(loss, plan, sum, dbl, target_kind, b);
        break;
      }
      default:
        run_both(lossfn::ZeroOneLoss(), plan, sum, dbl, target_kind, b);
        break;
    }
  });
  (void)o;
  return 0;
}
