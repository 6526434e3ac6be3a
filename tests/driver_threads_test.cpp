// Threads: built with OpenMP as its own executable
// (lossfn_threads_tests). Value, gradient and unreduced terms are bitwise
// identical on 1, 2 and 3 threads, on the SIMD path and the scalar path, for
// element-wise and row-wise losses, in both storage orders.
#include <lossfn/lossfn.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "catch.hpp"

#ifndef LOSSFN_OPENMP
#error "driver_threads_test is built with OpenMP: LOSSFN_OPENMP must be on"
#endif

namespace {

template <class X>
std::vector<unsigned char> bytes(const X& x) {
  std::vector<unsigned char> b(sizeof(typename X::Scalar) * static_cast<size_t>(x.size()));
  std::memcpy(b.data(), x.data(), b.size());
  return b;
}
template <class S>
std::vector<unsigned char> bytes_of(S v) {
  std::vector<unsigned char> b(sizeof(S));
  std::memcpy(b.data(), &v, sizeof(S));
  return b;
}

/// Runs value, fused value_and_gradient and unreduced on 1, 2 and 3 threads;
/// every result has the same bytes as on one thread.
template <class Loss, class P, class T>
void same_bits_on_any_thread_count(const Loss& loss, const P& pred, const T& target) {
  std::vector<std::vector<unsigned char>> first;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    typename P::PlainObject g(pred.rows(), pred.cols());
    std::vector<std::vector<unsigned char>> results;
    results.push_back(bytes_of(loss.value(pred, target)));
    results.push_back(bytes_of(loss.value_and_gradient(pred, target, lossfn::out(g))));
    results.push_back(bytes(g));
    results.push_back(bytes(loss.unreduced(pred, target)));
    results.push_back(bytes(loss.gradient(pred, target)));
    if (threads == 1) {
      first = results;
      continue;
    }
    INFO(Loss::name << " on " << threads << " threads");
    for (size_t k = 0; k < results.size(); ++k) {
      INFO("result " << k);
      CHECK(results[k] == first[k]);
    }
  }
  omp_set_num_threads(1);
}

}  // namespace

TEST_CASE("threads: the same bits on 1, 2 and 3 threads", "[driver][threads]") {
  REQUIRE(omp_get_max_threads() >= 1);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  // 1.5M coefficients (above the threshold), not a multiple of the block.
  const Eigen::Index n = 1500007;
  Eigen::VectorXf x(n), y(n), labels(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    x[i] = normal(rng);
    y[i] = normal(rng);
    labels[i] = (rng() & 1) ? 1.0f : 0.0f;
  }
  same_bits_on_any_thread_count(lossfn::MeanSquaredError(), x, y);
  same_bits_on_any_thread_count(lossfn::BinaryCrossEntropyWithLogits(), x, labels);
  same_bits_on_any_thread_count(lossfn::Hinge(), x, labels);
  same_bits_on_any_thread_count(lossfn::LogCoshLoss(), x, y);  // scalar path
  const Eigen::VectorXd xd = x.cast<double>(), yd = y.cast<double>();
  same_bits_on_any_thread_count(lossfn::HuberLoss(), xd, yd);
  // A strided view: the scalar path.
  Eigen::Map<const Eigen::VectorXf, 0, Eigen::InnerStride<2>> xs(x.data(), n / 2),
      ys(y.data(), n / 2);
  same_bits_on_any_thread_count(lossfn::MeanAbsoluteError(), xs, ys);
  // Row-wise, both storage orders, small and large C.
  for (Eigen::Index C : {10, 1000}) {
    const Eigen::Index N = 1200000 / C + 3;
    Eigen::MatrixXf p(N, C);
    for (Eigen::Index i = 0; i < p.size(); ++i) p.data()[i] = normal(rng);
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> pr = p;
    Eigen::VectorXi classes(N);
    for (Eigen::Index i = 0; i < N; ++i)
      classes[i] = static_cast<int>(rng() % static_cast<unsigned>(C));
    same_bits_on_any_thread_count(lossfn::SoftmaxCrossEntropy(), p, classes);
    same_bits_on_any_thread_count(lossfn::SoftmaxCrossEntropy().label_smoothing(0.1), pr, classes);
    same_bits_on_any_thread_count(lossfn::NegativeLogLikelihood(), pr, classes);
    same_bits_on_any_thread_count(lossfn::SoftmaxFocalLoss(), p, classes);
    same_bits_on_any_thread_count(lossfn::MultiClassHinge(), pr, classes);
  }
}

TEST_CASE("threads: an error in one block is reported as on one thread", "[driver][threads]") {
  omp_set_num_threads(3);
  const Eigen::Index N = 300000, C = 4;
  Eigen::MatrixXf p = Eigen::MatrixXf::Constant(N, C, 0.25f);
  p(N - 5, 2) = 1.5f;  // not a probability: CategoricalCrossEntropy finds it as it goes
  const Eigen::MatrixXf t = Eigen::MatrixXf::Constant(N, C, 0.25f);
  CHECK_THROWS_WITH(lossfn::CategoricalCrossEntropy().value(p, t),
                    Catch::Contains("pred(299995, 2)"));
  // Value alone tests the value rules inside the SIMD loop, block by block on
  // the threads; the first bad value is still the one reported.
  const Eigen::Index n = 1200000;
  const Eigen::VectorXf x = Eigen::VectorXf::LinSpaced(n, -3.0f, 3.0f);
  Eigen::VectorXf y = Eigen::VectorXf::Ones(n);
  y(n - 7) = 0.5f;
  y(n - 3) = 2.0f;
  CHECK_THROWS_WITH(lossfn::Hinge().value(x, y), Catch::Contains("target(1199993, 0) = 0.5"));
  y(5000) = -3.0f;
  CHECK_THROWS_WITH(lossfn::Hinge().value(x, y), Catch::Contains("target(5000, 0) = -3"));
  omp_set_num_threads(1);
}

TEST_CASE("threads: CTCLoss splits the batch by sequence, the same bits on 1, 2 and 3 threads",
          "[ctc][threads]") {
  std::mt19937 rng(29);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  // 1.3M logits in 23 sequences of varying lengths (some impossible, one empty).
  const Eigen::Index N = 23, C = 300;
  Eigen::VectorXi frames(N), counts(N);
  std::vector<int> labels;
  for (Eigen::Index n = 0; n < N; ++n) {
    frames[n] = n == 5 ? 0 : 150 + static_cast<int>(rng() % 100);
    counts[n] = n == 5 ? 0 : static_cast<int>(rng() % 60) + (n == 7 ? 300 : 0);
    for (int i = 0; i < counts[n]; ++i) labels.push_back(1 + static_cast<int>(rng() % (C - 1)));
  }
  const Eigen::Map<const Eigen::VectorXi> y(labels.data(),
                                            static_cast<Eigen::Index>(labels.size()));
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> x(frames.sum(), C);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = normal(rng);
  const Eigen::MatrixXf xc = x;  // column-major: the copied-row path
  for (const bool zero_infinity : {false, true}) {
    const auto ctc = lossfn::CTCLoss().zero_infinity(zero_infinity);
    std::vector<std::vector<unsigned char>> first;
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      std::vector<std::vector<unsigned char>> results;
      Eigen::MatrixXf g(x.rows(), x.cols());
      results.push_back(bytes_of(ctc.value_and_gradient(x, frames, y, counts, lossfn::out(g))));
      results.push_back(bytes(g));
      results.push_back(bytes_of(ctc.value_and_gradient(xc, frames, y, counts, lossfn::out(g))));
      results.push_back(bytes(g));
      results.push_back(bytes(ctc.unreduced(x, frames, y, counts)));
      if (threads == 1) {
        first = results;
        continue;
      }
      INFO("CTCLoss on " << threads << " threads");
      for (size_t k = 0; k < results.size(); ++k) CHECK(results[k] == first[k]);
    }
  }
  omp_set_num_threads(1);
}
