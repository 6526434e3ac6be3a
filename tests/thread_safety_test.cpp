// A functor's const members are safe to call from many threads at
// once. One const functor of each kind (element-wise; row-wise with class
// weights and ignore_index) is called from 4 std::threads, on different and
// on shared inputs; every result equals the single-threaded one, bitwise.
// Built also alone under ThreadSanitizer (target thread_safety_tests, preset tsan).
#include <lossfn/lossfn.hpp>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "catch.hpp"

namespace {

constexpr int threads = 4;
constexpr int rounds = 20;

template <class A, class B>
bool same_bits(const Eigen::DenseBase<A>& a, const Eigen::DenseBase<B>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const auto x = a.derived().coeff(i, j), y = b.derived().coeff(i, j);
      if (std::memcmp(&x, &y, sizeof(x)) != 0) return false;
    }
  return true;
}

struct Result {
  float value = 0;
  Eigen::MatrixXf gradient, hessian;
  Eigen::ArrayXXf terms;
  bool operator==(const Result& o) const {
    return std::memcmp(&value, &o.value, sizeof value) == 0 && same_bits(gradient, o.gradient) &&
           same_bits(hessian, o.hessian) && same_bits(terms, o.terms);
  }
};

template <class Loss, class T>
Result evaluate(const Loss& loss, const Eigen::MatrixXf& pred, const T& target) {
  Result r;
  auto [value, gradient] = loss.value_and_gradient(pred, target);
  r.value = value;
  r.gradient = gradient;
  r.hessian = loss.hessian_diagonal(pred, target);
  r.terms = loss.unreduced(pred, target);
  Eigen::MatrixXf g(pred.rows(), pred.cols());
  if (loss.value_and_gradient(pred, target, lossfn::out(g)) != value || !same_bits(g, gradient))
    r.value = -1;  // fused into the caller's storage must agree too
  if (loss(pred, target) != value) r.value = -2;
  return r;
}

/// Runs `rounds` evaluations on each of `threads` threads, input k on thread
/// k % inputs, and compares each with the single-threaded result.
template <class Loss, class T>
void check_concurrent(const Loss& loss, const std::vector<Eigen::MatrixXf>& preds,
                      const std::vector<T>& targets) {
  std::vector<Result> expected;
  for (size_t k = 0; k < preds.size(); ++k)
    expected.push_back(evaluate(loss, preds[k], targets[k]));
  std::atomic<int> mismatches{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ++ready;
      while (ready.load() < threads) std::this_thread::yield();  // start together
      const size_t k = static_cast<size_t>(t) % preds.size();
      for (int r = 0; r < rounds; ++r)
        if (!(evaluate(loss, preds[k], targets[k]) == expected[k])) ++mismatches;
    });
  for (auto& th : pool) th.join();
  CHECK(mismatches.load() == 0);
}

Eigen::MatrixXf random_matrix(Eigen::Index rows, Eigen::Index cols, unsigned seed) {
  std::srand(seed);
  return Eigen::MatrixXf::Random(rows, cols) * 4.0f;
}

}  // namespace

TEST_CASE("thread safety: an element-wise functor called from 4 threads", "[threads]") {
  const auto loss = lossfn::BinaryCrossEntropyWithLogits().pos_weight({0.5, 2.0, 1.0});
  std::vector<Eigen::MatrixXf> preds, targets;
  for (unsigned k = 0; k < threads; ++k) {
    preds.push_back(random_matrix(257, 3, 100 + k));
    targets.push_back((random_matrix(257, 3, 200 + k).array() > 0).cast<float>().matrix());
  }
  SECTION("different inputs") {
    check_concurrent(loss, preds, targets);
  }
  SECTION("shared inputs") {
    check_concurrent(loss, std::vector<Eigen::MatrixXf>{preds[0]},
                     std::vector<Eigen::MatrixXf>{targets[0]});
  }
}

TEST_CASE("thread safety: a row-wise functor with class weights called from 4 threads",
          "[threads]") {
  const auto loss = lossfn::SoftmaxCrossEntropy()
                        .class_weights({0.2, 1.0, 3.0, 0.5, 1.5})
                        .ignore_index(-1)
                        .label_smoothing(0.1);
  std::vector<Eigen::MatrixXf> preds;
  std::vector<Eigen::VectorXi> labels;
  for (unsigned k = 0; k < threads; ++k) {
    preds.push_back(random_matrix(301, 5, 300 + k));
    Eigen::VectorXi y(301);
    for (Eigen::Index i = 0; i < y.size(); ++i) y(i) = static_cast<int>((i * 7 + k) % 6) - 1;
    labels.push_back(y);
  }
  SECTION("different inputs") {
    check_concurrent(loss, preds, labels);
  }
  SECTION("shared inputs") {
    check_concurrent(loss, std::vector<Eigen::MatrixXf>{preds[1]},
                     std::vector<Eigen::VectorXi>{labels[1]});
  }
}
