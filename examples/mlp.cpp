// mlp — a two-layer network trained by hand-written backpropagation.
//
// 20 inputs → 64 ReLU units → 10 classes, on ten Gaussian blobs. The loss is
// SoftmaxCrossEntropy on the logits z: its fused value_and_gradient gives
// the batch's mean loss and dL/dz = (softmax(z) − onehot(y)) / B in one pass,
// and the chain rule through the two layers is four matrix products:
//   z = h·W2 + b2,  h = relu(a),  a = x·W1 + b1
//   dW2 = hᵀ·dz,  db2 = Σ_rows dz,  da = (dz·W2ᵀ) ⊙ [a > 0],  dW1 = xᵀ·da,  db1 = Σ_rows da
// Held-out accuracy each epoch is 1 − ZeroOneLoss on a batch that carries a
// padding row (label PAD, ignored); predicted probabilities come from
// lossfn::softmax.
//
//   mlp [--quick]
#include <cstdio>
#include <lossfn/lossfn.hpp>

#include "example_support.hpp"

namespace {

using Matrix = Eigen::MatrixXf;
using Labels = Eigen::VectorXi;
constexpr int inputs = 20, hidden = 64, classes = 10;
constexpr int PAD = -1;  // the label of padding rows

/// n samples of ten Gaussian blobs: class k's centre is centres.row(k),
/// unit noise around it.
void blobs(const Matrix& centres, Eigen::Index n, example::Random& random, Matrix& x, Labels& y) {
  x.resize(n, inputs);
  y.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = static_cast<int>(random.uniform() * classes) % classes;
    for (int j = 0; j < inputs; ++j)
      x(i, j) = centres(y(i), j) + static_cast<float>(random.normal());
  }
}

struct Network {
  Matrix W1, W2;
  Eigen::RowVectorXf b1, b2;

  explicit Network(example::Random& random)
      : W1(inputs, hidden),
        W2(hidden, classes),
        b1(Eigen::RowVectorXf::Zero(hidden)),
        b2(Eigen::RowVectorXf::Zero(classes)) {
    // He initialisation: variance 2 / fan-in.
    for (float& w : W1.reshaped())
      w = static_cast<float>(random.normal() * std::sqrt(2.0 / inputs));
    for (float& w : W2.reshaped())
      w = static_cast<float>(random.normal() * std::sqrt(2.0 / hidden));
  }
  /// The logits of a batch; a = x·W1 + b1 (before the ReLU) and h are kept for backprop.
  Matrix forward(const Matrix& x, Matrix& a, Matrix& h) const {
    a = (x * W1).rowwise() + b1;
    h = a.cwiseMax(0.0f);
    return (h * W2).rowwise() + b2;
  }
  Matrix logits(const Matrix& x) const {
    Matrix a, h;
    return forward(x, a, h);
  }
};

}  // namespace

int main(int argc, char** argv) {
  const example::Arguments args = example::parse_arguments(
      argc, argv,
      "usage: mlp [--quick]\n  trains a 20-64-10 ReLU network on generated 10-class data\n");
  example::Random random(7);
  Matrix centres(classes, inputs);
  for (float& c : centres.reshaped()) c = static_cast<float>(0.8 * random.normal());
  const Eigen::Index n_train = args.quick ? 10000 : 50000, n_test = 2000, batch = 100;
  const int epochs = args.quick ? 8 : 20;
  Matrix x_train, x_test;
  Labels y_train, y_test;
  blobs(centres, n_train, random, x_train, y_train);
  blobs(centres, n_test, random, x_test, y_test);

  // The held-out batch as a padded batch would arrive: one more row, of
  // zeros, labelled PAD, which the accuracy must not count.
  Matrix x_padded(n_test + 1, inputs);
  x_padded << x_test, Matrix::Zero(1, inputs);
  Labels y_padded(n_test + 1);
  y_padded << y_test, PAD;

  Network net(random);
  const lossfn::SoftmaxCrossEntropy ce;  // mean over the batch
  const auto errors = lossfn::ZeroOneLoss().ignore_index(PAD);
  const float learning_rate = 0.1f;
  Matrix a, h, da;

  std::printf("20-64-10 ReLU network, %ld training and %ld held-out samples\n", long(n_train),
              long(n_test));
  std::printf("%6s  %12s  %18s\n", "epoch", "train loss", "held-out accuracy");
  const float first_loss = ce(net.logits(x_train), y_train);
  float last_loss = first_loss, accuracy = 1.0f - errors(net.logits(x_padded), y_padded);
  std::printf("%6d  %12.4f  %17.2f%%\n", 0, first_loss, 100.0f * accuracy);
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    double loss_sum = 0;
    const std::vector<Eigen::Index> order = random.permutation(n_train);
    Matrix xb(batch, inputs);
    Labels yb(batch);
    for (Eigen::Index first = 0; first + batch <= n_train; first += batch) {
      for (Eigen::Index k = 0; k < batch; ++k) {
        xb.row(k) = x_train.row(order[static_cast<size_t>(first + k)]);
        yb(k) = y_train(order[static_cast<size_t>(first + k)]);
      }
      const Matrix z = net.forward(xb, a, h);
      auto [loss, dz] = ce.value_and_gradient(z, yb);  // dz = dL/dz, already divided by the batch
      loss_sum += loss;
      da = (dz * net.W2.transpose()).cwiseProduct((a.array() > 0.0f).cast<float>().matrix());
      net.W2 -= learning_rate * (h.transpose() * dz);
      net.b2 -= learning_rate * dz.colwise().sum();
      net.W1 -= learning_rate * (xb.transpose() * da);
      net.b1 -= learning_rate * da.colwise().sum();
    }
    last_loss = static_cast<float>(loss_sum / double(n_train / batch));  // the epoch's mean
    accuracy = 1.0f - errors(net.logits(x_padded), y_padded);
    std::printf("%6d  %12.4f  %17.2f%%\n", epoch, last_loss, 100.0f * accuracy);
  }

  // Prediction: class probabilities of three held-out samples, in place.
  Matrix p = net.logits(x_test.topRows(3));
  lossfn::softmax(p, lossfn::out(p));
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    Eigen::Index predicted;
    p.row(i).maxCoeff(&predicted);
    std::printf("sample %ld: class %d, predicted %ld with probability %.3f\n", long(i), y_test(i),
                long(predicted), p(i, predicted));
  }

  // The padding row is not counted: the same accuracy from the argmax of the real rows.
  const Matrix z_test = net.logits(x_test);
  Eigen::Index correct = 0;
  for (Eigen::Index i = 0; i < n_test; ++i) {
    Eigen::Index predicted;
    z_test.row(i).maxCoeff(&predicted);
    correct += predicted == y_test(i);
  }

  example::Checks checks;
  checks.expect(std::abs(accuracy - float(correct) / float(n_test)) < 1e-6f,
                "the accuracy counts the real rows only");
  checks.expect(last_loss < 0.5f * first_loss, "the training loss at least halves");
  checks.expect(accuracy > 0.8f, "held-out accuracy above 80%");
  checks.expect(((p.rowwise().sum().array() - 1.0f).abs() < 1e-5f).all(),
                "each row of softmax sums to 1");
  return checks.exit_code();
}
