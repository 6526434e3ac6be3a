// The driver's reduction: float values over 16M
// terms within 1e-7 of a long-double reference, the same bits on every run
// and on every path, and no heap allocation on value_and_gradient(pred,
// target, lossfn::out(out)) with a pre-sized out.
//
// The allocation count replaces the global operator new (and, on glibc,
// malloc, which Eigen's own storage uses) for the whole test executable:
// the counters only count while a test arms them.
#include <lossfn/lossfn.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>

#include "catch.hpp"

namespace {
bool counting = false;
long allocations = 0;
}  // namespace

#if defined(__SANITIZE_ADDRESS__)
#define LOSSFN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOSSFN_TEST_ASAN 1
#endif
#endif

#if defined(LOSSFN_TEST_ASAN)
// Under AddressSanitizer, malloc and operator new are its own: count through
// its allocation hook instead of replacing them (a replaced malloc crashes
// ASan's start-up).
// (Declared here: g++ 12 ships no sanitizer/allocator_interface.h.)
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
namespace {
void count_malloc(const volatile void*, std::size_t) {
  if (counting) ++allocations;
}
void ignore_free(const volatile void*) {}
[[maybe_unused]] const int hooks_installed =
    __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
}  // namespace
#else
// The replacements below pair malloc with free on purpose.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

#if defined(__GLIBC__)
// Eigen allocates with malloc (or posix_memalign), not operator new: count
// those too, forwarding to glibc's own entry points.
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* malloc(std::size_t n) {
  if (counting) ++allocations;
  return __libc_malloc(n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  if (counting) ++allocations;
  *out = __libc_memalign(alignment, n);
  return *out ? 0 : ENOMEM;
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  if (counting) ++allocations;
  return __libc_memalign(alignment, n);
}
}
#endif
#endif

namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
template <class S>
using RowMat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Counts the heap allocations of f().
template <class F>
long allocations_of(F&& f) {
  allocations = 0;
  counting = true;
  f();
  counting = false;
  return allocations;
}

template <class S>
bool same_bits(S a, S b) {
  return std::memcmp(&a, &b, sizeof(S)) == 0;
}

long double softplus(long double x) {
  return std::fmax(x, 0.0L) + std::log1p(std::exp(-std::fabs(x)));
}

}  // namespace

TEST_CASE("driver: float values over 16M terms are within 1e-7 of a long-double sum",
          "[driver][reduction]") {
  const Eigen::Index n = Eigen::Index(1) << 24;
  std::mt19937 rng(20261202);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  Eigen::VectorXf x(n), y(n), labels(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    x[i] = normal(rng);
    y[i] = normal(rng);
    labels[i] = unit(rng);
  }
  long double mse = 0, bce = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const long double d = static_cast<long double>(x[i]) - static_cast<long double>(y[i]);
    mse += d * d;
    const long double t = labels[i];
    bce += t * softplus(-static_cast<long double>(x[i])) +
           (1 - t) * softplus(static_cast<long double>(x[i]));
  }
  mse /= static_cast<long double>(n);
  bce /= static_cast<long double>(n);

  Eigen::VectorXf g(n);
  const float mse_value = lossfn::MeanSquaredError().value_and_gradient(x, y, lossfn::out(g));
  const float bce_value =
      lossfn::BinaryCrossEntropyWithLogits().value_and_gradient(x, labels, lossfn::out(g));
  INFO("MSE " << mse_value << " vs " << static_cast<double>(mse));
  CHECK(std::abs(static_cast<long double>(mse_value) - mse) <= 1e-7L * mse);
  INFO("BCE " << bce_value << " vs " << static_cast<double>(bce));
  CHECK(std::abs(static_cast<long double>(bce_value) - bce) <= 1e-7L * bce);

  // A naive float accumulator is off by about 1e-2 here: the check can fail.
  float naive = 0;
  for (Eigen::Index i = 0; i < n; ++i) naive += (x[i] - y[i]) * (x[i] - y[i]);
  CHECK(std::abs(static_cast<long double>(naive / static_cast<float>(n)) - mse) > 1e-7L * mse);

  // The partial (the sum itself) is as accurate, and so is the scalar path
  // (a strided view of the same numbers).
  const auto partial = lossfn::MeanSquaredError().partial(x, y);
  CHECK(std::abs(static_cast<long double>(partial.sum) - mse * n) <= 1e-7L * mse * n);
  Eigen::Map<const Eigen::VectorXf, 0, Eigen::InnerStride<1>> mapped(x.data(), n);
  const float strided =
      lossfn::MeanSquaredError().value(Eigen::Map<const Eigen::VectorXf, 0, Eigen::InnerStride<>>(
                                           x.data(), n / 2, Eigen::InnerStride<>(2)),
                                       Eigen::Map<const Eigen::VectorXf, 0, Eigen::InnerStride<>>(
                                           y.data(), n / 2, Eigen::InnerStride<>(2)));
  long double strided_reference = 0;
  for (Eigen::Index i = 0; i < n; i += 2) {
    const long double d = static_cast<long double>(x[i]) - static_cast<long double>(y[i]);
    strided_reference += d * d;
  }
  strided_reference /= static_cast<long double>(n / 2);
  CHECK(std::abs(static_cast<long double>(strided) - strided_reference) <=
        1e-7L * strided_reference);
  CHECK(same_bits(lossfn::MeanSquaredError().value(mapped, y), mse_value));
}

TEST_CASE("driver: the same input gives the same bits, run after run", "[driver][reduction]") {
  const Eigen::Index rows = 3001, cols = 700;  // 2.1M terms: many blocks, a ragged last one
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0.0, 2.0);
  Mat<double> p = Mat<double>::NullaryExpr(rows, cols, [&]() { return normal(rng); });
  Mat<double> t = Mat<double>::NullaryExpr(rows, cols, [&]() { return normal(rng); });
  const Mat<float> pf = p.cast<float>(), tf = t.cast<float>();
  const RowMat<float> pr = pf, tr = tf;
  auto runs = [&](const auto& loss, const auto& pred, const auto& target) {
    using P = std::decay_t<decltype(pred)>;
    typename P::PlainObject g1(pred.rows(), pred.cols()), g2(pred.rows(), pred.cols());
    const auto v1 = loss.value_and_gradient(pred, target, lossfn::out(g1));
    const auto v2 = loss.value_and_gradient(pred, target, lossfn::out(g2));
    CHECK(same_bits(v1, v2));
    CHECK(same_bits(v1, loss.value(pred, target)));
    CHECK(std::memcmp(g1.data(), g2.data(), sizeof(v1) * static_cast<size_t>(g1.size())) == 0);
  };
  runs(lossfn::MeanSquaredError(), p, t);
  runs(lossfn::MeanSquaredError(), pf, tf);
  runs(lossfn::MeanSquaredError(), pr, tr);
  runs(lossfn::HuberLoss(), pf, tf);
  runs(lossfn::MeanAbsoluteError(), pf.block(1, 1, rows - 2, cols - 2),
       tf.block(1, 1, rows - 2, cols - 2));
  const Eigen::VectorXi labels =
      Eigen::VectorXi::NullaryExpr(rows, [&]() { return static_cast<int>(rng() % cols); });
  runs(lossfn::SoftmaxCrossEntropy(), pf, labels);
  runs(lossfn::SoftmaxCrossEntropy(), pr, labels);
}

TEST_CASE("driver: value_and_gradient into a sized out allocates nothing", "[driver][alloc]") {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const Eigen::Index rows = 257, cols = 10;
  Mat<float> p = Mat<float>::NullaryExpr(rows, cols, [&]() { return normal(rng); });
  Mat<float> t = Mat<float>::NullaryExpr(rows, cols, [&]() { return normal(rng); });
  Mat<float> probabilities = t.array().abs().min(1.0f);
  RowMat<float> pr = p;
  Eigen::VectorXi labels =
      Eigen::VectorXi::NullaryExpr(rows, [&]() { return static_cast<int>(rng() % cols); });
  Mat<float> g(rows, cols);
  RowMat<float> gr(rows, cols);
  std::vector<float> buffer(static_cast<size_t>(rows * cols));
  Eigen::Map<Mat<float>> g_map(buffer.data(), rows, cols);
  Eigen::Map<const Mat<float>> p_map(p.data(), rows, cols), t_map(t.data(), rows, cols);

  // Sanity: the counter sees Eigen's allocations.
  CHECK(allocations_of([&] {
          Mat<float> copy = p;
          (void)copy;
        }) > 0);

  const lossfn::MeanSquaredError mse;
  const auto bce = lossfn::BinaryCrossEntropyWithLogits().pos_weight(2.0);
  const lossfn::MeanAbsoluteError mae;
  const lossfn::SoftmaxCrossEntropy sce;
  const auto smoothed = lossfn::SoftmaxCrossEntropy().label_smoothing(0.1);
  const lossfn::NegativeLogLikelihood nll;
  float sink = 0;
  CHECK(allocations_of([&] { sink += mse.value_and_gradient(p, t, lossfn::out(g)); }) == 0);
  CHECK(allocations_of([&] { sink += mse.value_and_gradient(p_map, t_map, lossfn::out(g_map)); }) ==
        0);
  CHECK(allocations_of([&] { sink += mae.value_and_gradient(pr, t, lossfn::out(gr)); }) == 0);
  CHECK(allocations_of([&] { sink += bce.value_and_gradient(p, probabilities, lossfn::out(g)); }) ==
        0);
  CHECK(allocations_of([&] {
          sink += bce.value_and_gradient(p_map, probabilities, lossfn::out(g_map));
        }) == 0);
  CHECK(allocations_of([&] { sink += mse.value(p_map, t_map); }) == 0);
  CHECK(allocations_of([&] { sink += sce.value_and_gradient(p, labels, lossfn::out(g)); }) == 0);
  CHECK(allocations_of([&] { sink += sce.value_and_gradient(pr, labels, lossfn::out(gr)); }) == 0);
  CHECK(allocations_of(
            [&] { sink += sce.value_and_gradient(p_map, labels, lossfn::out(g_map)); }) == 0);
  CHECK(allocations_of([&] { sink += smoothed.value_and_gradient(p, labels, lossfn::out(g)); }) ==
        0);
  CHECK(allocations_of([&] { sink += sce.value_and_gradient(p, probabilities, lossfn::out(g)); }) ==
        0);
  CHECK(allocations_of([&] { sink += nll.value_and_gradient(p, labels, lossfn::out(g)); }) == 0);
  CHECK(std::isfinite(sink));
}
