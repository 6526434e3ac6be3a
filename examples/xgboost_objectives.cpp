// lossfn objectives inside XGBoost: gradients and Hessians from lossfn, trees
// from XGBoost's C API (XGBoosterBoostOneIter), each booster beside the same
// booster trained with XGBoost's built-in objective.
//
// For each objective, two boosters with the same parameters and the same
// base_margin are trained for 20 rounds on generated data: one with XGBoost's
// built-in objective (XGBoosterUpdateOneIter), one with lossfn's
// value_gradient_hessian under Reduction::sum (XGBoost's λ and
// min_child_weight are sums over samples: they do not scale with N). After
// each round both boosters' raw margins are scored with the same lossfn loss;
// the two training-loss curves must agree within 1e-4 relative. Where the
// conventions differ, lossfn's exact derivatives are scaled to XGBoost's
// (docs/gradient-boosting.md):
//   - reg:squarederror is ½(p − y)²: lossfn's MSE gradient and Hessian × ½;
//   - multi:softprob's Hessian is 2p(1 − p), lossfn's exact one p(1 − p): × 2;
//   - count:poisson's Hessian is e^{x + max_delta_step}: max_delta_step = 0
//     on both boosters (it also bounds the leaf values);
//   - survival:cox: distinct times and unit weights, where XGBoost's Breslow
//     sums are lossfn's.
// Then sigmoid focal loss, which XGBoost lacks, on data with a 1:50 class
// ratio against binary:logistic: minority-class recall, precision and
// log-loss on held-out data.
//
//   xgboost_objectives [--quick]     exit status 1 if a curve pair disagrees
#include <xgboost/c_api.h>

#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "example_support.hpp"

namespace {

const char* const usage =
    "usage: xgboost_objectives [--quick]\n"
    "  Trains XGBoost boosters with lossfn's gradients and Hessians beside\n"
    "  XGBoost's built-in objectives (squared error, logistic, pseudo-Huber,\n"
    "  Tweedie, Gamma, Poisson, Cox, softmax) and checks that their training\n"
    "  losses agree; then sigmoid focal loss against logistic at 1:50.\n"
    "  --quick: fewer samples (used by the tests).\n";

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void check(int status, const char* call) {
  if (status != 0) {
    std::fprintf(stderr, "%s failed: %s\n", call, XGBGetLastError());
    std::exit(2);
  }
}
#define XGB(call) check(call, #call)

/// A DMatrix of features X (N x F), with labels and a base margin (N x K,
/// K outputs per row), freed on scope exit.
class Data {
 public:
  Data(const RowMatrixF& x, const std::vector<float>& labels, const RowMatrixF& margin) {
    XGB(XGDMatrixCreateFromMat(x.data(), static_cast<bst_ulong>(x.rows()),
                               static_cast<bst_ulong>(x.cols()), NAN, &handle_));
    XGB(XGDMatrixSetFloatInfo(handle_, "label", labels.data(), labels.size()));
    XGB(XGDMatrixSetFloatInfo(handle_, "base_margin", margin.data(),
                              static_cast<bst_ulong>(margin.size())));
  }
  ~Data() { XGDMatrixFree(handle_); }
  Data(const Data&) = delete;
  Data& operator=(const Data&) = delete;
  DMatrixHandle handle() const { return handle_; }

 private:
  DMatrixHandle handle_ = nullptr;
};

class Booster {
 public:
  Booster(const Data& data, const std::vector<std::pair<std::string, std::string>>& params) {
    DMatrixHandle d = data.handle();
    XGB(XGBoosterCreate(&d, 1, &handle_));
    for (const auto& [k, v] : params) XGB(XGBoosterSetParam(handle_, k.c_str(), v.c_str()));
  }
  ~Booster() { XGBoosterFree(handle_); }
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;

  /// Raw margins (base margin + trees), N x K row-major.
  RowMatrixF margins(const Data& data, Eigen::Index rows, Eigen::Index outputs) const {
    const char* config =
        R"({"type": 1, "training": true, "iteration_begin": 0, "iteration_end": 0,)"
        R"( "strict_shape": false})";
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    XGB(XGBoosterPredictFromDMatrix(handle_, data.handle(), config, &shape, &dim, &result));
    return Eigen::Map<const RowMatrixF>(result, rows, outputs);
  }
  /// One round with XGBoost's own objective.
  void update(int round, const Data& data) {
    XGB(XGBoosterUpdateOneIter(handle_, round, data.handle()));
  }
  /// One round with the caller's gradient and Hessian (row-major, N x K).
  void boost(const Data& data, RowMatrixF& g, RowMatrixF& h) {
    XGB(XGBoosterBoostOneIter(handle_, data.handle(), g.data(), h.data(),
                              static_cast<bst_ulong>(g.size())));
  }

 private:
  BoosterHandle handle_ = nullptr;
};

/// What the custom booster needs from lossfn each round: margins (N x K) in,
/// the loss value out, g and h (N x K) written in XGBoost's convention.
using Objective = std::function<double(const Matrix& margin, Matrix& g, Matrix& h)>;

struct Problem {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;  // objective and its options
  std::vector<float> labels;
  Eigen::Index outputs = 1;
  Objective objective;
};

/// Trains the built-in and the lossfn booster side by side; returns the
/// largest relative difference of their training-loss curves.
double compare(const RowMatrixF& x, const Problem& p, int rounds, double base) {
  const Eigen::Index n = x.rows(), k = p.outputs;
  const RowMatrixF margin0 = RowMatrixF::Constant(n, k, static_cast<float>(base));
  const Data data(x, p.labels, margin0);
  std::vector<std::pair<std::string, std::string>> params = {
      {"tree_method", "hist"},      {"max_depth", "3"}, {"eta", "0.3"}, {"lambda", "1"},
      {"min_child_weight", "1e-3"}, {"nthread", "1"},   {"seed", "0"}};
  params.insert(params.end(), p.params.begin(), p.params.end());
  Booster builtin(data, params), custom(data, params);
  Matrix g(n, k), h(n, k);
  double worst = 0;
  for (int r = 0; r < rounds; ++r) {
    builtin.update(r, data);
    const Matrix m = custom.margins(data, n, k).cast<double>();
    p.objective(m, g, h);
    RowMatrixF gf = g.cast<float>(), hf = h.cast<float>();
    custom.boost(data, gf, hf);
    // Both curves scored by the same lossfn value on the new margins.
    Matrix unused_g(n, k), unused_h(n, k);
    const double a = p.objective(builtin.margins(data, n, k).cast<double>(), unused_g, unused_h);
    const double b = p.objective(custom.margins(data, n, k).cast<double>(), unused_g, unused_h);
    worst = std::max(worst, std::abs(a - b) / std::max(std::abs(a), 1e-300));
  }
  return worst;
}

// ---- generated data ------------------------------------------------------------

struct Generated {
  RowMatrixF x;
  Vector signal;  // a smooth function of the features
};
Generated features(Eigen::Index n, std::mt19937& rng) {
  std::normal_distribution<double> normal;
  Generated d{RowMatrixF(n, 5), Vector(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < 5; ++j) d.x(i, j) = static_cast<float>(normal(rng));
    d.signal(i) = 0.8 * d.x(i, 0) - 0.5 * d.x(i, 1) * d.x(i, 2) + 0.3 * std::sin(3 * d.x(i, 3));
  }
  return d;
}

/// y as a column, and the same labels as floats for XGBoost.
std::vector<float> as_labels(const Vector& y) {
  std::vector<float> v(static_cast<size_t>(y.size()));
  for (Eigen::Index i = 0; i < y.size(); ++i) v[size_t(i)] = static_cast<float>(y(i));
  return v;
}

/// An element-wise lossfn loss under Reduction::sum, its derivatives × scale.
template <class Loss>
Objective elementwise(Loss loss, const Matrix& target, double g_scale = 1, double h_scale = 1) {
  loss.reduction(lossfn::Reduction::sum);
  return [loss, target, g_scale, h_scale](const Matrix& m, Matrix& g, Matrix& h) {
    const double v = loss.value_gradient_hessian(m, target, lossfn::out(g), lossfn::out(h));
    g *= g_scale;
    h *= h_scale;
    return v;
  };
}

std::vector<Problem> problems(const Generated& d, std::mt19937& rng) {
  const Eigen::Index n = d.x.rows();
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  std::vector<Problem> out;
  Vector y(n), counts(n), positive(n), binary(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = d.signal(i) + 0.3 * normal(rng);
    binary(i) = uniform(rng) < 1 / (1 + std::exp(-2 * d.signal(i))) ? 1 : 0;
    std::poisson_distribution<int> poisson(std::exp(0.7 * d.signal(i)));
    counts(i) = poisson(rng);
    positive(i) = std::exp(0.5 * d.signal(i)) * std::gamma_distribution<double>(2.0, 0.5)(rng);
  }
  // Tweedie: compound Poisson-gamma claims (exactly 0 for about a third).
  Vector claims(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int k = std::poisson_distribution<int>(std::exp(0.5 * d.signal(i)))(rng);
    claims(i) = 0;
    for (int c = 0; c < k; ++c) claims(i) += std::gamma_distribution<double>(2.0, 0.5)(rng);
  }
  const Matrix Y = y, C = counts, B = binary, P = positive, T = claims;
  out.push_back({"squared error",
                 {{"objective", "reg:squarederror"}},
                 as_labels(y),
                 1,
                 elementwise(lossfn::MeanSquaredError(), Y, 0.5, 0.5)});
  out.push_back({"logistic",
                 {{"objective", "binary:logistic"}},
                 as_labels(binary),
                 1,
                 elementwise(lossfn::BinaryCrossEntropyWithLogits(), B)});
  out.push_back({"pseudo-Huber",
                 {{"objective", "reg:pseudohubererror"}, {"huber_slope", "0.5"}},
                 as_labels(y),
                 1,
                 elementwise(lossfn::PseudoHuberLoss().delta(0.5), Y)});
  out.push_back({"Tweedie",
                 {{"objective", "reg:tweedie"}, {"tweedie_variance_power", "1.5"}},
                 as_labels(claims),
                 1,
                 elementwise(lossfn::TweedieLoss().power(1.5), T)});
  out.push_back({"Gamma",
                 {{"objective", "reg:gamma"}},
                 as_labels(positive),
                 1,
                 elementwise(lossfn::GammaLoss(), P)});
  out.push_back({"Poisson",
                 {{"objective", "count:poisson"}, {"max_delta_step", "0"}},
                 as_labels(counts),
                 1,
                 elementwise(lossfn::PoissonNLLLoss(), C)});
  // Cox: distinct times (a continuous law), about 30% censored; XGBoost
  // reads a censored subject's time as a negative label.
  Matrix survival(n, 2);
  std::vector<float> cox_labels(static_cast<size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    const double time = std::exponential_distribution<double>(std::exp(d.signal(i)))(rng);
    const double censor = std::exponential_distribution<double>(0.4)(rng);
    survival(i, 0) = static_cast<float>(std::min(time, censor)) + 1e-6f;
    survival(i, 1) = time <= censor ? 1 : 0;
    cox_labels[size_t(i)] =
        static_cast<float>(survival(i, 1) == 1 ? survival(i, 0) : -survival(i, 0));
  }
  const lossfn::CoxProportionalHazards cox =
      lossfn::CoxProportionalHazards().reduction(lossfn::Reduction::sum);
  out.push_back({"Cox",
                 {{"objective", "survival:cox"}},
                 cox_labels,
                 1,
                 [cox, survival](const Matrix& m, Matrix& g, Matrix& h) {
                   return cox.value_gradient_hessian(m, survival, lossfn::out(g), lossfn::out(h));
                 }});
  // Softmax over three classes: the class of the largest of three signals.
  Eigen::VectorXi cls(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double s[3] = {d.signal(i), double(d.x(i, 1)) + 0.3 * normal(rng),
                         double(d.x(i, 4)) + 0.3 * normal(rng)};
    cls(i) = static_cast<int>(std::max_element(s, s + 3) - s);
  }
  const lossfn::SoftmaxCrossEntropy ce =
      lossfn::SoftmaxCrossEntropy().reduction(lossfn::Reduction::sum);
  out.push_back({"softmax",
                 {{"objective", "multi:softprob"}, {"num_class", "3"}},
                 as_labels(cls.cast<double>()),
                 3,
                 [ce, cls](const Matrix& m, Matrix& g, Matrix& h) {
                   const double v =
                       ce.value_gradient_hessian(m, cls, lossfn::out(g), lossfn::out(h));
                   h *= 2;  // XGBoost's 2p(1 − p)
                   return v;
                 }});
  return out;
}

// ---- focal loss at 1:50 ---------------------------------------------------------

struct Scores {
  double recall, precision, log_loss;
};

/// Minority-class recall and precision at σ(margin) > 0.5, and the mean
/// log-loss of the predicted probabilities, on held-out data.
Scores score(const RowMatrixF& margin, const Vector& y) {
  double tp = 0, fp = 0, fn = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const bool predicted = margin(i, 0) > 0, actual = y(i) == 1;
    tp += predicted && actual;
    fp += predicted && !actual;
    fn += !predicted && actual;
  }
  const double log_loss =
      lossfn::BinaryCrossEntropyWithLogits()(Vector(margin.col(0).cast<double>()), y);
  return {tp / std::max(tp + fn, 1.0), tp / std::max(tp + fp, 1.0), log_loss};
}

/// Labels with one positive in 51: the top 1/51 of a noisy signal.
Vector rare_labels(const Generated& d, std::mt19937& rng) {
  std::normal_distribution<double> normal;
  Vector s(d.signal.size());
  for (Eigen::Index i = 0; i < s.size(); ++i) s(i) = 2 * d.signal(i) + normal(rng);
  Vector sorted = s;
  std::sort(sorted.data(), sorted.data() + sorted.size());
  const double cut = sorted(sorted.size() - sorted.size() / 51 - 1);
  return (s.array() > cut).cast<double>().matrix();
}

void focal_table(Eigen::Index n, int rounds, std::mt19937& rng) {
  const Generated train = features(n, rng), test = features(n, rng);
  const Vector y = rare_labels(train, rng), y_test = rare_labels(test, rng);
  const double prior = y.mean();
  const float base = static_cast<float>(std::log(prior / (1 - prior)));
  const Data data(train.x, as_labels(y), RowMatrixF::Constant(n, 1, base));
  const Data held_out(test.x, as_labels(y_test), RowMatrixF::Constant(n, 1, base));
  const std::vector<std::pair<std::string, std::string>> params = {{"objective", "binary:logistic"},
                                                                   {"tree_method", "hist"},
                                                                   {"max_depth", "3"},
                                                                   {"eta", "0.3"},
                                                                   {"lambda", "1"},
                                                                   {"min_child_weight", "1e-3"},
                                                                   {"nthread", "1"}};
  std::printf(
      "\nSigmoid focal loss against binary:logistic, 1:%.0f classes, %ld rows each for "
      "training and test, %d rounds\n\n",
      (1 - prior) / prior, static_cast<long>(n), rounds);
  std::printf("%-34s %8s %10s %10s\n", "objective", "recall", "precision", "log-loss");
  {
    Booster b(data, params);
    for (int r = 0; r < rounds; ++r) b.update(r, data);
    const Scores s = score(b.margins(held_out, n, 1), y_test);
    std::printf("%-34s %8.3f %10.3f %10.4f\n", "binary:logistic (built-in)", s.recall, s.precision,
                s.log_loss);
  }
  for (double alpha : {0.25, 0.75}) {
    const auto focal =
        lossfn::SigmoidFocalLoss().alpha(alpha).gamma(2).reduction(lossfn::Reduction::sum);
    // max_delta_step bounds each leaf where Σh is small (the focal factor
    // flattens the loss of well-classified samples: their Hessians are tiny).
    auto focal_params = params;
    focal_params.push_back({"max_delta_step", "1"});
    Booster b(data, focal_params);
    Matrix g(n, 1), h(n, 1);
    for (int r = 0; r < rounds; ++r) {
      focal.value_gradient_hessian(b.margins(data, n, 1).cast<double>(), y, lossfn::out(g),
                                   lossfn::out(h));
      // The focal Hessian is negative for confident wrong predictions; a
      // Newton leaf needs Σh > 0, so it is floored (docs/gradient-boosting.md).
      RowMatrixF gf = g.cast<float>(), hf = h.cwiseMax(1e-6).cast<float>();
      b.boost(data, gf, hf);
    }
    const Scores s = score(b.margins(held_out, n, 1), y_test);
    const std::string name = "focal (lossfn) gamma 2, alpha " + std::to_string(alpha).substr(0, 4);
    std::printf("%-34s %8.3f %10.3f %10.4f\n", name.c_str(), s.recall, s.precision, s.log_loss);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const example::Arguments args = example::parse_arguments(argc, argv, usage);
  const Eigen::Index n = args.quick ? 1000 : 5000;
  const int rounds = 20;
  std::mt19937 rng(20261208);
  const Generated d = features(n, rng);
  std::printf(
      "XGBoost with lossfn objectives: %ld rows, %d rounds, max relative difference "
      "of the training-loss curves (lossfn vs built-in)\n\n",
      static_cast<long>(n), rounds);
  std::printf("%-16s %-22s %14s\n", "objective", "XGBoost objective", "max rel diff");
  bool ok = true;
  for (const Problem& p : problems(d, rng)) {
    const double worst = compare(d.x, p, rounds, 0.0);
    ok = ok && worst <= 1e-4;
    std::printf("%-16s %-22s %14.3g%s\n", p.name.c_str(), p.params[0].second.c_str(), worst,
                worst <= 1e-4 ? "" : "  MISMATCH");
  }
  focal_table(args.quick ? 10000 : 50000, args.quick ? 30 : 100, rng);
  return ok ? 0 : 1;
}
