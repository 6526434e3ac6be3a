// Picking a model by its losses on held-out data — and why one number is not enough.
//
// Four binary classifiers are fitted on the same training split and scored on
// the same held-out split by four losses, all computed by lossfn from the
// models' logits f (P(y = 1) = σ(f)):
//   error rate  ZeroOneLoss                 — are the decisions right?
//   log-loss    BinaryCrossEntropyWithLogits — are the probabilities honest?
//   Brier       MeanSquaredError on σ(f)     — the same question, bounded per sample
//   hinge       Hinge                        — are the decisions right by a margin?
// The models: logistic regression on the raw features (linear), on their
// squares and products (quadratic), that quadratic model with its logits
// tripled (the same decisions, overconfident — what an over-trained or
// uncalibrated model looks like), and a 25-nearest-neighbour vote.
// Differences between models are then given with a paired standard error
// from the per-sample terms (`unreduced`), so that a reader can tell a real
// difference from the luck of the split.
//
//   model_selection [--quick] [data.csv]
//
// data.csv: numeric columns, the last one a 0/1 (or −1/+1) label, a header
// row allowed. Without it, the data are generated (fixed seed).
#include <Eigen/Cholesky>
#include <functional>
#include <lossfn/lossfn.hpp>
#include <tuple>

#include "example_support.hpp"

using example::Matrix;
using example::Vector;

namespace {

const char* const usage =
    "usage: model_selection [--quick] [data.csv]\n"
    "  Fits four classifiers and compares them on a held-out split by error rate, log-loss,\n"
    "  Brier score and hinge loss, with paired standard errors of the differences.\n"
    "  data.csv: numeric feature columns, last column a 0/1 or -1/+1 label; header row allowed.\n"
    "  --quick: a smaller data set (used by the tests).\n";

/// 5 features, standard normal; only the first two matter, through a circle:
/// P(y = 1) = σ(2.5·(x1² + x2² − 1.4)). No linear boundary separates it.
example::Dataset make_data(Eigen::Index n, example::Random& random) {
  example::Dataset data{Matrix(n, 5), Vector(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < 5; ++j) data.x(i, j) = random.normal();
    const double r2 = data.x(i, 0) * data.x(i, 0) + data.x(i, 1) * data.x(i, 1);
    data.y(i) = random.uniform() < 1.0 / (1.0 + std::exp(-2.5 * (r2 - 1.4))) ? 1 : 0;
  }
  return data;
}

Matrix linear_features(const Matrix& x) {
  Matrix a(x.rows(), x.cols() + 1);
  a << x, Vector::Ones(x.rows());
  return a;
}

/// x, every x_j·x_k (j ≤ k), and 1.
Matrix quadratic_features(const Matrix& x) {
  const Eigen::Index d = x.cols();
  Matrix a(x.rows(), d + d * (d + 1) / 2 + 1);
  a.leftCols(d) = x;
  Eigen::Index c = d;
  for (Eigen::Index j = 0; j < d; ++j)
    for (Eigen::Index k = j; k < d; ++k) a.col(c++) = x.col(j).cwiseProduct(x.col(k));
  a.col(c) = Vector::Ones(x.rows());
  return a;
}

/// Logistic regression by Newton's method: the loss gives the value, the
/// gradient and the Hessian diagonal with respect to the logits in one pass;
/// the chain rule through f = A·θ gives Aᵀg and Aᵀ·diag(h)·A. A small ridge
/// (λ/2·‖θ‖²) keeps the Newton system well posed.
Vector fit_logistic(const Matrix& a, const Vector& t) {
  const lossfn::BinaryCrossEntropyWithLogits loss;
  const double lambda = 1e-3;
  Vector theta = Vector::Zero(a.cols()), f(a.rows()), g(a.rows()), h(a.rows());
  for (int iteration = 0; iteration < 50; ++iteration) {
    f.noalias() = a * theta;
    loss.value_gradient_hessian(f, t, lossfn::out(g), lossfn::out(h));
    const Vector gradient = a.transpose() * g + lambda * theta;
    Matrix hessian = a.transpose() * h.asDiagonal() * a;
    hessian.diagonal().array() += lambda;
    const Vector step = hessian.ldlt().solve(gradient);
    theta -= step;
    if (step.norm() < 1e-10 * (1 + theta.norm())) break;
  }
  return theta;
}

/// The logit of a k-nearest-neighbour vote, (votes + 1)/(k + 2) so that no
/// probability is exactly 0 or 1 (a log-loss of ∞ says nothing useful).
Vector knn_logits(const Matrix& train, const Vector& t, const Matrix& test, int k) {
  Vector logits(test.rows());
  std::vector<std::pair<double, double>> distance(static_cast<size_t>(train.rows()));
  for (Eigen::Index i = 0; i < test.rows(); ++i) {
    for (Eigen::Index j = 0; j < train.rows(); ++j)
      distance[size_t(j)] = {(train.row(j) - test.row(i)).squaredNorm(), t(j)};
    std::nth_element(distance.begin(), distance.begin() + k, distance.end());
    double votes = 0;
    for (int m = 0; m < k; ++m) votes += distance[size_t(m)].second;
    const double p = (votes + 1) / (k + 2);
    logits(i) = std::log(p / (1 - p));
  }
  return logits;
}

struct Model {
  std::string name;
  Vector logits;  // on the held-out split
};

/// One loss, as a per-sample term over a model's held-out logits.
struct Score {
  std::string name;
  std::function<Eigen::ArrayXd(const Vector& f, const Vector& t)> terms;
};

}  // namespace

int main(int argc, char** argv) {
  const example::Arguments args = example::parse_arguments(argc, argv, usage);
  const bool generated = args.csv_path.empty();
  example::Random random(5);

  example::Dataset train_set, test_set;
  if (generated) {
    const Eigen::Index n = args.quick ? 600 : 3000;
    train_set = make_data(n, random);
    test_set = make_data(n, random);
    std::cout
        << "Generated data: 5 standard-normal features, P(y = 1) = σ(2.5·(x1² + x2² − 1.4)) (a\n"
           "circular boundary; x3..x5 are noise); "
        << n << " training and " << n << " held-out samples.\n";
  } else {
    try {
      example::Dataset all = example::read_csv(args.csv_path);
      all.y = example::binary_labels(all.y, args.csv_path);
      std::tie(train_set, test_set) = example::split(all, 0.7, random);
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      return 2;
    }
    std::cout << "Data: " << args.csv_path << ", " << train_set.x.cols() << " features; "
              << train_set.size() << " training and " << test_set.size()
              << " held-out samples (70/30 split).\n";
  }
  const example::Standardizer standardize(train_set.x);
  const Matrix x_train = standardize(train_set.x), x_test = standardize(test_set.x);
  const Vector &t_train = train_set.y, &t = test_set.y;

  // ---- fit -------------------------------------------------------------------
  std::vector<Model> models;
  auto timed = [](const std::string& what, const std::function<Vector()>& work) {
    example::Stopwatch clock;
    std::cout << "  fitting " << what << " ..." << std::flush;
    Vector v = work();
    std::cout << " done (" << example::fixed(clock.seconds(), 2) << " s)\n";
    return v;
  };
  std::cout << "\n";
  const Vector linear = timed("linear logistic regression", [&]() -> Vector {
    return linear_features(x_test) * fit_logistic(linear_features(x_train), t_train);
  });
  const Vector quadratic = timed("quadratic logistic regression", [&]() -> Vector {
    return quadratic_features(x_test) * fit_logistic(quadratic_features(x_train), t_train);
  });
  const int k = 25;
  const Vector knn =
      timed("25-nearest neighbours", [&] { return knn_logits(x_train, t_train, x_test, k); });
  models.push_back({"linear logistic", linear});
  models.push_back({"quadratic logistic", quadratic});
  models.push_back({"quadratic, logits x3", 3.0 * quadratic});
  models.push_back({"25-nearest neighbours", knn});

  // ---- score -------------------------------------------------------------------
  // Each loss's unreduced terms: their mean is the loss, their spread gives
  // the standard error. Labels are 0/1; Hinge and ZeroOneLoss read 0 as −1.
  const std::vector<Score> scores = {
      {"error rate",
       [](const Vector& f, const Vector& y) {
         return lossfn::ZeroOneLoss().unreduced(f, y).col(0).eval();
       }},
      {"log-loss",
       [](const Vector& f, const Vector& y) {
         return lossfn::BinaryCrossEntropyWithLogits().unreduced(f, y).eval();
       }},
      {"Brier",
       [](const Vector& f, const Vector& y) {
         const Vector p = (1.0 / (1.0 + (-f.array()).exp())).matrix();
         return lossfn::MeanSquaredError().unreduced(p, y).eval();
       }},
      {"hinge",
       [](const Vector& f, const Vector& y) { return lossfn::Hinge().unreduced(f, y).eval(); }},
  };
  const size_t M = models.size(), L = scores.size();
  std::vector<std::vector<Eigen::ArrayXd>> terms(M, std::vector<Eigen::ArrayXd>(L));
  std::vector<std::vector<double>> mean(M, std::vector<double>(L));
  for (size_t m = 0; m < M; ++m)
    for (size_t l = 0; l < L; ++l) {
      terms[m][l] = scores[l].terms(models[m].logits, t);
      mean[m][l] = terms[m][l].mean();
    }
  // The mean of the unreduced terms is the loss's value: say so with the library's own.
  const double direct = lossfn::BinaryCrossEntropyWithLogits()(models[1].logits, t);

  std::vector<size_t> best(L);
  for (size_t l = 0; l < L; ++l) {
    best[l] = 0;
    for (size_t m = 1; m < M; ++m)
      if (mean[m][l] < mean[best[l]][l]) best[l] = m;
  }

  std::cout << "\nHeld-out losses (lower is better; * marks the best model by each loss):\n\n";
  std::vector<std::string> header = {"model"};
  for (const Score& s : scores) header.push_back(s.name);
  example::Table table(header);
  for (size_t m = 0; m < M; ++m) {
    std::vector<std::string> row = {models[m].name};
    for (size_t l = 0; l < L; ++l)
      row.push_back((l == 0 ? example::percent(mean[m][l], 2) : example::fixed(mean[m][l], 4)) +
                    (best[l] == m ? " *" : "  "));
    table.add(row);
  }
  table.print();

  // Paired differences: the same held-out samples score every model, so the
  // standard error of a difference comes from the per-sample differences.
  auto paired = [&](size_t a, size_t b, size_t l) {
    const Eigen::ArrayXd d = terms[a][l] - terms[b][l];
    const double n = double(d.size()), mu = d.mean();
    const double se = std::sqrt((d - mu).square().sum() / (n - 1) / n);
    return std::pair<double, double>{mu, se};
  };
  std::cout
      << "\nEach model against the best by each loss: difference of the means ± 2 standard errors\n"
         "(paired over the held-out samples); a difference within ±2 SE may be the split's "
         "luck.\n\n";
  example::Table differences(header);
  for (size_t m = 0; m < M; ++m) {
    std::vector<std::string> row = {models[m].name};
    for (size_t l = 0; l < L; ++l) {
      if (m == best[l]) {
        row.push_back("best");
        continue;
      }
      const auto [mu, se] = paired(m, best[l], l);
      const int digits = l == 0 ? 2 : 4;
      const double scale = l == 0 ? 100 : 1;
      row.push_back("+" + example::fixed(scale * mu, digits) + " ± " +
                    example::fixed(2 * scale * se, digits) + (mu > 2 * se ? "  " : " ?"));
    }
    differences.add(row);
  }
  differences.print();
  std::cout << "  (error-rate differences in percentage points; ? = not beyond 2 SE)\n";

  std::cout
      << "\nHow to read it:\n"
         "  - Pick the loss that matches what the model will be used for before looking at the\n"
         "    table: the error rate if only the decisions matter, log-loss or Brier if the\n"
         "    probabilities are used (ranking, expected cost, a downstream model).\n"
         "  - Tripling the logits changes no decision, so the error rate cannot tell the two\n"
         "    quadratic models apart; log-loss and Brier can, and punish the overconfident copy.\n"
         "    So does the hinge loss here: bigger margins cost less on the right side, but with\n"
         "    labels this noisy every mistake costs three times as much.\n"
         "  - The losses need not agree on a ranking: compare the overconfident copy with the\n"
         "    nearest-neighbour vote. The error rate and Brier prefer the first, log-loss and\n"
         "    hinge the second. With only those two models, the choice would be the loss's.\n"
         "  - Log-loss punishes confident mistakes without bound; Brier's penalty per sample is "
         "at\n"
         "    most 1, so a few confident mistakes cannot decide a comparison by Brier.\n";
  if (!generated) return 0;

  std::cout << "\n";
  example::Checks checks;
  checks.expect(std::abs(mean[1][1] - direct) < 1e-12,
                "the mean of unreduced() is the loss's value");
  bool quadratic_beats_linear = true;
  for (size_t l = 0; l < L; ++l)
    quadratic_beats_linear &= paired(0, 1, l).first > 2 * paired(0, 1, l).second;
  checks.expect(quadratic_beats_linear,
                "the quadratic model beats the linear one by every loss, beyond 2 SE");
  checks.expect(mean[2][0] == mean[1][0],
                "tripling the logits leaves the error rate exactly unchanged");
  checks.expect(paired(2, 1, 1).first > 2 * paired(2, 1, 1).second &&
                    paired(2, 1, 2).first > 2 * paired(2, 1, 2).second,
                "log-loss and Brier rank the overconfident copy worse, beyond 2 SE");
  checks.expect(
      (mean[2][0] < mean[3][0]) != (mean[2][1] < mean[3][1]),
      "error rate and log-loss rank the overconfident copy and the neighbour vote oppositely");
  return checks.exit_code();
}
