// Sequence training with CTC: a frame classifier learns to transcribe noisy
// frames whose alignment to the labels is never given.
//
// Each utterance is a word of 2 to 6 symbols (an alphabet of 5), each symbol
// held for 1 to 4 frames of a noisy 8-dimensional signal, with stretches of
// silence around and between them. The model scores every frame with a
// linear map (logits_t = W·x_t + b, 6 classes: the blank and the symbols);
// CTCLoss sums over every alignment of the word to the frames, so the
// training data are only (frames, word) pairs — no per-frame labels. Its
// gradient with respect to the logits, one fused call per batch, is
// backpropagated by hand: dW = Gᵀ·X, db = Σ_t G_t. After each epoch the
// program decodes held-out utterances greedily (the best class per frame,
// repeats merged, blanks dropped) and prints the loss and the share of words
// transcribed exactly.
//
//   ctc_sequence [--quick]
#include <lossfn/ctc_loss.hpp>

#include <vector>

#include "example_support.hpp"

using Eigen::Index;

namespace {

const char* const usage =
    "usage: ctc_sequence [--quick]\n"
    "  Trains a linear frame classifier with CTC on generated utterances (noisy frames\n"
    "  of symbols of varying duration) and prints the loss and greedy-decoding\n"
    "  accuracy per epoch. Generated data only.\n"
    "  --quick: fewer utterances and epochs (used by the tests).\n";

constexpr Index kSymbols = 5, kClasses = kSymbols + 1, kDim = 8;  // class 0 is the blank

/// A batch of utterances, stacked frame by frame as CTCLoss reads them.
struct Batch {
  Eigen::MatrixXd x;  // frames x kDim features
  Eigen::VectorXi frames, labels, label_counts;
};

/// The sound of each symbol (and of silence, row 0): fixed random prototypes.
Eigen::MatrixXd prototypes(example::Random& random) {
  Eigen::MatrixXd p(kClasses, kDim);
  for (Index i = 0; i < p.size(); ++i) p.data()[i] = random.normal();
  p.row(0) *= 0.3;  // silence is quiet
  return p;
}

Batch make_batch(Index utterances, const Eigen::MatrixXd& sound, double noise,
                 example::Random& random) {
  std::vector<Eigen::VectorXd> rows;
  std::vector<int> frames, labels, counts;
  auto emit = [&](Index symbol, Index n) {
    for (Index k = 0; k < n; ++k) {
      Eigen::VectorXd f = sound.row(symbol).transpose();
      for (Index d = 0; d < kDim; ++d) f(d) += noise * random.normal();
      rows.push_back(f);
    }
  };
  for (Index u = 0; u < utterances; ++u) {
    const Index before = static_cast<Index>(rows.size());
    const int length = 2 + static_cast<int>(random.bits() % 5);
    int previous = -1;
    emit(0, static_cast<Index>(random.bits() % 3));  // leading silence
    for (int i = 0; i < length; ++i) {
      const int symbol = 1 + static_cast<int>(random.bits() % kSymbols);
      // A pause between symbols, always between two equal ones (else they would be one).
      emit(0, static_cast<Index>(random.bits() % 2) + (symbol == previous ? 1 : 0));
      emit(symbol, 1 + static_cast<Index>(random.bits() % 4));
      labels.push_back(symbol);
      previous = symbol;
    }
    emit(0, static_cast<Index>(random.bits() % 3));  // trailing silence
    frames.push_back(static_cast<int>(static_cast<Index>(rows.size()) - before));
    counts.push_back(length);
  }
  Batch b;
  b.x.resize(static_cast<Index>(rows.size()), kDim);
  for (Index t = 0; t < b.x.rows(); ++t) b.x.row(t) = rows[static_cast<size_t>(t)].transpose();
  b.frames = Eigen::Map<Eigen::VectorXi>(frames.data(), static_cast<Index>(frames.size()));
  b.labels = Eigen::Map<Eigen::VectorXi>(labels.data(), static_cast<Index>(labels.size()));
  b.label_counts = Eigen::Map<Eigen::VectorXi>(counts.data(), static_cast<Index>(counts.size()));
  return b;
}

struct Model {
  Eigen::MatrixXd W = Eigen::MatrixXd::Zero(kClasses, kDim);
  Eigen::RowVectorXd b = Eigen::RowVectorXd::Zero(kClasses);
  Eigen::MatrixXd logits(const Eigen::MatrixXd& x) const {
    return (x * W.transpose()).rowwise() + b;
  }
};

/// The share of utterances whose greedy decoding is exactly their word.
double word_accuracy(const Model& model, const Batch& batch) {
  const Eigen::MatrixXd logits = model.logits(batch.x);
  Index row = 0, label = 0, right = 0;
  for (Index n = 0; n < batch.frames.size(); ++n) {
    std::vector<int> decoded;
    Index previous = 0;
    for (Index t = row; t < row + batch.frames(n); ++t) {
      Index best;
      logits.row(t).maxCoeff(&best);
      if (best != 0 && best != previous) decoded.push_back(static_cast<int>(best));
      previous = best;
    }
    const std::vector<int> word(batch.labels.data() + label,
                                batch.labels.data() + label + batch.label_counts(n));
    right += decoded == word;
    row += batch.frames(n);
    label += batch.label_counts(n);
  }
  return static_cast<double>(right) / static_cast<double>(batch.frames.size());
}

}  // namespace

int main(int argc, char** argv) {
  const example::Arguments args = example::parse_arguments(argc, argv, usage);
  example::Random random(29);
  const Eigen::MatrixXd sound = prototypes(random);
  const double noise = 0.4;
  const Index batches = args.quick ? 10 : 40, batch_size = 32, epochs = args.quick ? 8 : 15;
  std::vector<Batch> train;
  for (Index k = 0; k < batches; ++k) train.push_back(make_batch(batch_size, sound, noise, random));
  const Batch test = make_batch(args.quick ? 200 : 1000, sound, noise, random);

  // Adam on (W, b); the loss is CTC's mean: Σ_n l_n / S_n over the batch, / N.
  const lossfn::CTCLoss ctc;
  Model model;
  Eigen::MatrixXd mW = model.W * 0, vW = mW;
  Eigen::RowVectorXd mb = model.b * 0, vb = mb;
  const double rate = 0.05, beta1 = 0.9, beta2 = 0.999;
  Eigen::MatrixXd gradient;  // reused: the fused call writes into it
  int step = 0;
  std::cout << "epoch  train loss  test loss  test words right\n";
  for (Index epoch = 0; epoch <= epochs; ++epoch) {
    double loss = 0;
    for (const Batch& b : train) {
      const Eigen::MatrixXd logits = model.logits(b.x);
      gradient.resize(logits.rows(), logits.cols());
      loss +=
          ctc.value_and_gradient(logits, b.frames, b.labels, b.label_counts, lossfn::out(gradient));
      if (epoch == 0) continue;  // epoch 0: the untrained model
      const Eigen::MatrixXd dW = gradient.transpose() * b.x;
      const Eigen::RowVectorXd db = gradient.colwise().sum();
      ++step;
      mW = beta1 * mW + (1 - beta1) * dW;
      vW = beta2 * vW + (1 - beta2) * dW.cwiseAbs2();
      mb = beta1 * mb + (1 - beta1) * db;
      vb = beta2 * vb + (1 - beta2) * db.cwiseAbs2();
      const double c1 = 1 - std::pow(beta1, step), c2 = 1 - std::pow(beta2, step);
      model.W -= rate * ((mW / c1).array() / ((vW / c2).array().sqrt() + 1e-8)).matrix();
      model.b -= rate * ((mb / c1).array() / ((vb / c2).array().sqrt() + 1e-8)).matrix();
    }
    const double test_loss = ctc(model.logits(test.x), test.frames, test.labels, test.label_counts);
    std::cout << std::setw(5) << epoch << std::setw(12) << std::fixed << std::setprecision(4)
              << loss / static_cast<double>(batches) << std::setw(11) << test_loss << std::setw(17)
              << std::setprecision(1) << 100 * word_accuracy(model, test) << "%\n";
  }
  // The words a linear frame classifier gets right at this noise: ~89% after
  // 15 epochs, more than half after the quick run's 8.
  const double accuracy = word_accuracy(model, test);
  if (accuracy < (args.quick ? 0.5 : 0.8)) {
    std::cerr << "training failed: " << 100 * accuracy << "% of the test words right\n";
    return 1;
  }
  return 0;
}
