// Data-parallel training across processes with MPI: the exact mean loss and
// gradient of a batch whose rows are spread over the ranks.
//
// Each rank holds some rows of the batch (uneven shares; from three ranks on,
// rank 0 holds none) and computes, on its rows only:
//   partial(logits, labels, weights)   the mean's sum Σ w·l and denominator Σ w·c,
//   the Reduction::sum gradient        backpropagated to the parameters,
// and one MPI_Allreduce (MPI_SUM, MPI_DOUBLE) per step of
//   [ sum, weight, ∂/∂W (D×C), ∂/∂b (C) ]
// gives every rank the whole batch's loss, Σ sums / Σ weights, and gradient,
// Σ gradients / Σ weights: to rounding, what one process calling the loss on
// all the rows gets. The model is a softmax regression with class weights,
// ignored (unlabelled) samples and sample weights: each shard's mean has its
// own denominator, so the common shortcut of averaging the ranks' means is
// biased, and the table shows by how much.
//
// Rank 0 also trains a single-process copy on the whole batch and checks every
// step: the loss within 1e-12 relative, the parameters within 1e-12 of their
// norm. The exit code is non-zero when a check fails.
//
//   mpirun -n 3 mpi_data_parallel [--quick]
#include <mpi.h>

#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "example_support.hpp"

using Eigen::Index;
using example::Matrix;
using example::Vector;

namespace {

const char* const usage =
    "usage: mpirun -n <ranks> mpi_data_parallel [--quick]\n"
    "  Trains a softmax regression with the batch's rows split unevenly across MPI ranks:\n"
    "  partial() and Reduction::sum gradients, added by one MPI_Allreduce per step, give\n"
    "  the exact mean loss and gradient; rank 0 checks them against one process on the\n"
    "  whole batch. Generated data only.\n"
    "  --quick: a smaller batch and fewer steps (used by the tests).\n";

constexpr int kIgnored = -1;  // label of an unlabelled sample: ignore_index
constexpr Index kFeatures = 6, kClasses = 3;

struct Batch {
  Matrix x;               // N x D features
  Eigen::VectorXi label;  // N class indices, or kIgnored
  Vector weight;          // N sample weights
};

/// Three Gaussian classes in 6 dimensions, class 2 the hardest to tell apart,
/// the rows ordered by class (as data often arrive), so that the ranks' shards
/// are anything but alike. One sample in 7 is unlabelled (ignored), and sample
/// weights vary. Every rank makes the same batch from the same seed and keeps
/// its own rows.
Batch make_batch(Index n) {
  example::Random random(20261208);
  Batch b{Matrix(n, kFeatures), Eigen::VectorXi(n), Vector(n)};
  for (Index i = 0; i < n; ++i) {
    const int y = static_cast<int>(i * kClasses / n);
    const double separation = y == 2 ? 1.0 : 2.0;
    for (Index j = 0; j < kFeatures; ++j) b.x(i, j) = random.normal() + (j == y ? separation : 0.0);
    b.label(i) = i % 7 == 3 ? kIgnored : y;
    b.weight(i) = random.uniform(0.5, 2.0);
  }
  return b;
}

/// Row boundaries of the ranks' shares of n rows: rank k > 0 holds a share in
/// proportion to ranks − k; rank 0 holds the share `ranks` with one or two
/// ranks and none from three on (it still takes part in every all-reduce,
/// with a partial of (0, 0) and a zero gradient). Three ranks: 0, 2/3, 1/3.
std::vector<Index> split_rows(Index n, int ranks) {
  std::vector<double> cumulative{0};
  for (int k = 0; k < ranks; ++k)
    cumulative.push_back(cumulative.back() + (k > 0 ? ranks - k : ranks >= 3 ? 0 : ranks));
  std::vector<Index> cuts;
  for (double c : cumulative)
    cuts.push_back(static_cast<Index>(std::llround(double(n) * c / cumulative.back())));
  return cuts;
}

/// Softmax regression: logits = x·W + 1·bᵀ.
struct Model {
  Matrix w = Matrix::Zero(kFeatures, kClasses);
  Eigen::RowVectorXd b = Eigen::RowVectorXd::Zero(kClasses);

  template <class X>
  Matrix logits(const Eigen::MatrixBase<X>& x) const {
    return (x * w).rowwise() + b;
  }
  double distance(const Model& other) const {
    return std::sqrt((w - other.w).squaredNorm() + (b - other.b).squaredNorm());
  }
  double norm() const { return std::sqrt(w.squaredNorm() + b.squaredNorm()); }
};

/// The all-reduce payload of one rank: its partial's sum and weight, then its
/// rows' Σ-reduction gradient with respect to W (column-major) and b.
constexpr Index kPayload = 2 + kFeatures * kClasses + kClasses;

std::vector<double> shard_payload(const lossfn::SoftmaxCrossEntropy& loss, const Batch& batch,
                                  Index begin, Index end, const Model& model, double& shard_mean) {
  const Index n = end - begin;
  const auto x = batch.x.middleRows(begin, n);
  const auto labels = batch.label.segment(begin, n);
  const auto weights = batch.weight.segment(begin, n);
  const Matrix logits = model.logits(x);
  const lossfn::Partial<double> partial = loss.partial(logits, labels, lossfn::weights(weights));
  lossfn::SoftmaxCrossEntropy summed = loss;
  summed.reduction(lossfn::Reduction::sum);
  const Matrix g = summed.gradient(logits, labels, lossfn::weights(weights));  // ∂(Σ w·l)/∂logits

  std::vector<double> payload(kPayload);
  payload[0] = partial.sum;
  payload[1] = partial.weight;
  Eigen::Map<Matrix>(payload.data() + 2, kFeatures, kClasses) = x.transpose() * g;
  Eigen::Map<Eigen::RowVectorXd>(payload.data() + 2 + kFeatures * kClasses, kClasses) =
      g.colwise().sum();
  shard_mean = partial.value();  // what the biased shortcut averages
  return payload;
}

/// One gradient-descent step from the all-reduced payload: the gradient of the
/// mean is Σ gradients / Σ weights. Returns the batch's loss, Σ sums / Σ weights.
double step_from(const std::vector<double>& total, double learning_rate, Model& model) {
  const lossfn::Partial<double> partial{total[0], total[1], lossfn::Reduction::mean};
  const double scale = partial.weight > 0 ? learning_rate / partial.weight : 0.0;
  model.w -= scale * Eigen::Map<const Matrix>(total.data() + 2, kFeatures, kClasses);
  model.b -= scale * Eigen::Map<const Eigen::RowVectorXd>(total.data() + 2 + kFeatures * kClasses,
                                                          kClasses);
  return partial.value();
}

/// The same step in one process, on the whole batch: the reference.
double step_whole(const lossfn::SoftmaxCrossEntropy& loss, const Batch& batch, double learning_rate,
                  Model& model) {
  const auto whole =
      loss.value_and_gradient(model.logits(batch.x), batch.label, lossfn::weights(batch.weight));
  model.w -= learning_rate * (batch.x.transpose() * whole.gradient);
  model.b -= learning_rate * whole.gradient.colwise().sum();
  return whole.value;
}

std::string scientific(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.1e", v);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const example::Arguments args = example::parse_arguments(argc, argv, usage);
  if (!args.csv_path.empty()) {
    std::cerr << "mpi_data_parallel uses generated data only\n\n" << usage;
    return 2;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);

  const Index n = args.quick ? 3000 : 30000;
  const int steps = args.quick ? 8 : 30;
  const double learning_rate = 2.0;
  const Batch batch = make_batch(n);
  const std::vector<Index> cuts = split_rows(n, ranks);
  const Index begin = cuts[size_t(rank)], end = cuts[size_t(rank) + 1];
  // Class 2 counts three times; unlabelled samples count nothing.
  const auto loss =
      lossfn::SoftmaxCrossEntropy().class_weights({1.0, 1.0, 3.0}).ignore_index(kIgnored);

  if (rank == 0) {
    std::cout << "Softmax regression, " << n << " samples x " << kFeatures << " features, "
              << kClasses << " classes (class 2 weighs 3), 1 in 7 unlabelled (ignore_index),\n"
              << "sample weights in [0.5, 2]; " << ranks << " MPI rank(s) holding";
    for (int k = 0; k < ranks; ++k) std::cout << " " << cuts[size_t(k) + 1] - cuts[size_t(k)];
    std::cout << " rows; one MPI_Allreduce of " << kPayload << " doubles per step.\n\n";
  }

  Model model, reference;
  example::Table table({"step", "loss (all-reduce)", "loss (one process)", "rel. Δ loss",
                        "rel. Δ parameters", "mean of rank means", "its error"});
  double worst_loss = 0, worst_parameters = 0, worst_shortcut = 0, first_loss = 0, last_loss = 0;
  int ranks_with_rows = 0;
  for (int step = 0; step < steps; ++step) {
    // This rank's rows only; then one all-reduce: every rank gets the sums.
    double shard_mean = 0;
    std::vector<double> total = shard_payload(loss, batch, begin, end, model, shard_mean);
    MPI_Allreduce(MPI_IN_PLACE, total.data(), int(kPayload), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    const double value = step_from(total, learning_rate, model);

    // For the table only: the shortcut, the average of the means of the ranks
    // that hold rows (a reduction to rank 0 that training does not need).
    double shortcut[2] = {end > begin ? shard_mean : 0.0, end > begin ? 1.0 : 0.0};
    MPI_Reduce(rank == 0 ? MPI_IN_PLACE : shortcut, shortcut, 2, MPI_DOUBLE, MPI_SUM, 0,
               MPI_COMM_WORLD);
    if (rank != 0) continue;

    const double whole = step_whole(loss, batch, learning_rate, reference);
    const double shortcut_mean = shortcut[0] / shortcut[1];
    const double d_loss = std::abs(value - whole) / std::abs(whole);
    const double d_parameters = model.distance(reference) / reference.norm();
    const double shortcut_error = std::abs(shortcut_mean - whole) / std::abs(whole);
    worst_loss = std::max(worst_loss, d_loss);
    worst_parameters = std::max(worst_parameters, d_parameters);
    worst_shortcut = std::max(worst_shortcut, shortcut_error);
    ranks_with_rows = int(shortcut[1]);
    if (step == 0) first_loss = value;
    last_loss = value;
    table.add({std::to_string(step), example::fixed(value, 9), example::fixed(whole, 9),
               scientific(d_loss), scientific(d_parameters), example::fixed(shortcut_mean, 6),
               example::percent(shortcut_error, 2)});
  }

  int exit_code = 0;
  if (rank == 0) {
    table.print();
    std::cout << "\nHow to read it:\n"
                 "  - The all-reduced loss and the parameters it trains equal one process's on\n"
                 "    the whole batch to rounding: no rank ever needed the other ranks' rows.\n";
    std::cout << "  - Averaging the ranks' means is off, by up to "
              << example::percent(worst_shortcut, 2) << " here, as soon as the shards'\n";
    std::cout
        << "    denominators differ: class 2 weighs 3, unlabelled rows count nothing,\n"
           "    sample weights vary. With one rank holding rows there is nothing to average.\n"
           "  - A rank without rows sends a partial of (0, 0) and a zero gradient.\n\n";
    example::Checks checks;
    checks.expect(worst_loss <= 1e-12,
                  "all-reduced loss == one process's loss (within 1e-12 relative)");
    checks.expect(worst_parameters <= 1e-12,
                  "parameters == one process's parameters (within 1e-12 of their norm)");
    checks.expect(last_loss < 0.7 * first_loss, "the loss falls by 30% or more");
    if (ranks_with_rows >= 2)
      checks.expect(worst_shortcut > 1e-3, "averaging the ranks' means is biased (by > 0.1%)");
    exit_code = checks.exit_code();
  }
  MPI_Finalize();
  return exit_code;
}
