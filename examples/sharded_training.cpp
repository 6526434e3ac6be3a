// Data-parallel training: one exact mean and gradient from shards of a batch.
//
// A data-parallel trainer splits each batch across workers (threads here;
// machines in a cluster). Each worker holds a slice of the rows and must send
// back numbers that combine into exactly the loss and gradient of the whole
// batch. With class weights, ignored samples or sample weights the shards'
// means have different denominators, so the common shortcut — average the
// workers' means — is biased. lossfn gives each worker:
//   partial(logits, labels, weights)         its reduction's sum and denominator,
//   Reduction::sum gradient                  its rows' share of the total,
// and the all-reduce is two sums:  loss = Σ sums / Σ weights,
// gradient = (Σ Xᵀ·G_sum) / Σ weights. Here a softmax (multinomial logistic)
// regression is trained that way, and every step is checked against the
// unsharded call on the concatenated batch.
//
//   sharded_training [--quick]
#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <thread>
#include <vector>

#include "example_support.hpp"

using Eigen::Index;
using example::Matrix;
using example::Vector;

namespace {

const char* const usage =
    "usage: sharded_training [--quick]\n"
    "  Trains a softmax regression with the batch split across worker threads:\n"
    "  partial() and Reduction::sum gradients give the exact mean loss and gradient,\n"
    "  checked against the unsharded call. Generated data only.\n"
    "  --quick: a smaller batch and fewer steps (used by the tests).\n";

constexpr int kIgnored = -1;  // label of an unlabelled sample: ignore_index

struct Batch {
  Matrix x;               // N x D features
  Eigen::VectorXi label;  // N class indices, or kIgnored
  Vector weight;          // N sample weights
};

/// Three Gaussian classes in 6 dimensions; the rows are ordered by class
/// (as data often arrive), so the shards are anything but alike. One sample
/// in 7 is unlabelled (ignored), and sample weights vary.
Batch make_batch(Index n, example::Random& random) {
  const Index d = 6, classes = 3;
  Batch b{Matrix(n, d), Eigen::VectorXi(n), Vector(n)};
  for (Index i = 0; i < n; ++i) {
    const int y = static_cast<int>(i * classes / n);
    for (Index j = 0; j < d; ++j) b.x(i, j) = random.normal() + (j == y ? 2.0 : 0.0);
    b.label(i) = i % 7 == 3 ? kIgnored : y;
    b.weight(i) = random.uniform(0.5, 2.0);
  }
  return b;
}

/// What one worker sends back: its partial and its Σ-reduction gradient with
/// respect to the parameters W (D x C), Xᵀ·G.
struct WorkerResult {
  lossfn::Partial<double> partial;
  Matrix gradient;
  double mean = 0;  // the shard's own mean: what the biased shortcut averages
};

WorkerResult work(const lossfn::SoftmaxCrossEntropy& loss, const Batch& batch, Index begin,
                  Index end, const Matrix& w) {
  const Index n = end - begin;
  const auto x = batch.x.middleRows(begin, n);
  const auto labels = batch.label.segment(begin, n);
  const auto weights = batch.weight.segment(begin, n);
  const Matrix logits = x * w;
  lossfn::SoftmaxCrossEntropy summed = loss;
  summed.reduction(lossfn::Reduction::sum);
  Matrix g(n, w.cols());
  WorkerResult r;
  summed.value_and_gradient(logits, labels, lossfn::weights(weights), lossfn::out(g));
  r.partial = loss.partial(logits, labels, lossfn::weights(weights));
  r.gradient = x.transpose() * g;
  r.mean = r.partial.value();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const example::Arguments args = example::parse_arguments(argc, argv, usage);
  if (!args.csv_path.empty()) {
    std::cerr << "sharded_training uses generated data only\n\n" << usage;
    return 2;
  }
  example::Random random(20261201);
  const Index n = args.quick ? 3000 : 30000;
  const int steps = args.quick ? 8 : 30;
  const Batch batch = make_batch(n, random);
  // Uneven shards, one of them empty (a worker that got no rows this step).
  const std::vector<Index> cuts = {0, n / 10, n / 10, n / 2, (4 * n) / 5, n};
  const size_t workers = cuts.size() - 1;

  // Class weights: class 2 counts double; unlabelled samples are ignored.
  const auto loss =
      lossfn::SoftmaxCrossEntropy().class_weights({1.0, 1.0, 2.0}).ignore_index(kIgnored);
  std::cout << "Softmax regression, " << n
            << " samples x 6 features, 3 classes (class 2 weighs 2),\n"
            << "1 in 7 unlabelled (ignore_index), sample weights in [0.5, 2]; " << workers
            << " worker threads with shards of";
  for (size_t k = 0; k < workers; ++k) std::cout << " " << cuts[k + 1] - cuts[k];
  std::cout << " rows.\n\n";

  Matrix w = Matrix::Zero(6, 3);
  const double learning_rate = 2.0;
  example::Table table({"step", "sharded loss", "unsharded loss", "|Δ loss|", "max |Δ gradient|",
                        "mean of shard means"});
  double worst_loss = 0, worst_gradient = 0, worst_bias = 0;
  std::vector<double> losses;
  for (int step = 0; step < steps; ++step) {
    // Each worker on its own thread, on its own rows; nothing shared but reads.
    std::vector<WorkerResult> results(workers);
    std::vector<std::thread> threads;
    for (size_t k = 0; k < workers; ++k)
      threads.emplace_back([&, k] { results[k] = work(loss, batch, cuts[k], cuts[k + 1], w); });
    for (auto& t : threads) t.join();

    // The all-reduce: add the partials and the Σ-gradients, divide once.
    lossfn::Partial<double> total = results[0].partial;
    Matrix gradient = results[0].gradient;
    for (size_t k = 1; k < workers; ++k) {
      total = total + results[k].partial;
      gradient += results[k].gradient;
    }
    const double sharded = total.value();
    if (total.weight > 0) gradient /= total.weight;

    // The biased shortcut: average the non-empty shards' means.
    double shortcut = 0;
    int counted = 0;
    for (const auto& r : results)
      if (r.partial.weight > 0) {
        shortcut += r.mean;
        ++counted;
      }
    shortcut /= counted;

    // The reference: one call on the whole batch.
    const Matrix logits = batch.x * w;
    const auto whole = loss.value_and_gradient(logits, batch.label, lossfn::weights(batch.weight));
    const Matrix whole_gradient = batch.x.transpose() * whole.gradient;

    const double d_loss = std::abs(sharded - whole.value);
    const double d_gradient = (gradient - whole_gradient).cwiseAbs().maxCoeff();
    worst_loss = std::max(worst_loss, d_loss / std::abs(whole.value));
    worst_gradient = std::max(worst_gradient, d_gradient / whole_gradient.cwiseAbs().maxCoeff());
    worst_bias = std::max(worst_bias, std::abs(shortcut - whole.value) / whole.value);
    losses.push_back(sharded);
    char d1[32], d2[32];
    std::snprintf(d1, sizeof d1, "%.1e", d_loss);
    std::snprintf(d2, sizeof d2, "%.1e", d_gradient);
    table.add({std::to_string(step), example::fixed(sharded, 6), example::fixed(whole.value, 6), d1,
               d2, example::fixed(shortcut, 6)});

    w -= learning_rate * gradient;  // a gradient-descent step on the exact gradient
  }
  table.print();
  std::cout << "\nHow to read it:\n"
               "  - The sharded loss and gradient equal the unsharded ones to rounding (the sums\n"
               "    are added in another order): the workers never needed the whole batch.\n"
               "  - The mean of the shards' means is off, by as much as the shards differ: each\n"
               "    shard has its own denominator (class 2 weighs double, unlabelled rows count\n"
               "    nothing, sample weights vary), and averaging means ignores that.\n"
               "  - The empty shard sends a partial of (0, 0) and a zero gradient: it changes "
               "nothing.\n\n";

  example::Checks checks;
  checks.expect(worst_loss < 1e-12, "sharded loss == unsharded loss (relative difference < 1e-12)");
  checks.expect(worst_gradient < 1e-12,
                "sharded gradient == unsharded gradient (relative difference < 1e-12)");
  checks.expect(worst_bias > 1e-3, "averaging the shards' means is biased (by > 0.1%)");
  checks.expect(losses.back() < 0.7 * losses.front(), "the loss falls by 30% or more");
  return checks.exit_code();
}
