// A stand-alone probe of what memory alone costs a panel of a wide
// column-major pred (bench/README.md, "What is left"): the access pattern of
// lossfn's panels — 64 rows (4 packets of 16 floats) at a time, column by
// column, each column's 64 logits contiguous and the columns N entries apart,
// the column 4 ahead prefetched — with no arithmetic beyond an add or a
// multiply, in the pass structures a softmax loss could have:
//   one read pass                     (the floor of any loss of the rows)
//   read, then read + write           (lossfn's one-pass softmax: two passes)
//   read, read + write, read + write  (max, exps into the gradient, scaling)
//   read, then read                   (does the panel stay in cache between passes?)
//   read, then write                  (the gradient's strided stores alone)
// beside lossfn's fused SoftmaxCrossEntropy on the same data and Eigen's exp
// summed over as many logits. Medians of thread CPU time, ns per logit.
// Needs AVX-512; not part of the build (from the repository's root):
//   g++ -std=c++17 -O3 -march=native -DNDEBUG -I include -isystem /usr/include/eigen3
//       bench/probe_panel_traffic.cpp -o /tmp/probe_panel_traffic
//   /tmp/probe_panel_traffic [N C]      (default 4096 1000; try 4000 1000)
#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

#ifndef __AVX512F__
int main() { std::puts("probe_panel_traffic needs AVX-512 (-march=native on an AVX-512 machine)"); }
#else
#include <immintrin.h>

namespace {

template <class F>
double median_ns(F f, long n, int reps = 15) {
  auto now = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  };
  std::vector<double> t;
  f();
  for (int r = 0; r < reps; ++r) {
    const double a = now();
    for (int i = 0; i < 5; ++i) f();
    t.push_back((now() - a) / 5 / static_cast<double>(n));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

constexpr long kPanel = 64;  // rows: 4 packets of 16 floats
constexpr long kAhead = 4;   // columns prefetched ahead, as lossfn's panels

// One pass over a panel's columns: sum (read) or g = x * k (read + write).
inline __m512 read_pass(const float* x, long N, long C, __m512 acc) {
  for (long c = 0; c < C; ++c) {
    const float* col = x + c * N;
    if (c + kAhead < C) _mm_prefetch(reinterpret_cast<const char*>(col + kAhead * N), _MM_HINT_T0);
    for (long p = 0; p < kPanel; p += 16) acc = _mm512_add_ps(acc, _mm512_loadu_ps(col + p));
  }
  return acc;
}
inline void write_pass(float* g, long N, long C, __m512 v) {
  for (long c = 0; c < C; ++c) {
    float* out = g + c * N;
    if (c + kAhead < C) _mm_prefetch(reinterpret_cast<const char*>(out + kAhead * N), _MM_HINT_T0);
    for (long p = 0; p < kPanel; p += 16) _mm512_storeu_ps(out + p, v);
  }
}
inline void read_write_pass(const float* x, float* g, long N, long C, __m512 k) {
  for (long c = 0; c < C; ++c) {
    const float* col = x + c * N;
    float* out = g + c * N;
    if (c + kAhead < C) {
      _mm_prefetch(reinterpret_cast<const char*>(col + kAhead * N), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(out + kAhead * N), _MM_HINT_T0);
    }
    for (long p = 0; p < kPanel; p += 16) _mm512_storeu_ps(out + p, _mm512_mul_ps(_mm512_loadu_ps(col + p), k));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const long N = argc > 2 ? std::atol(argv[1]) : 4096, C = argc > 2 ? std::atol(argv[2]) : 1000;
  Eigen::MatrixXf pred(N, C), grad(N, C);  // column-major
  Eigen::VectorXi labels(N);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 2.f);
  for (long i = 0; i < N * C; ++i) pred.data()[i] = normal(rng);
  for (long i = 0; i < N; ++i) labels[i] = static_cast<int>(rng() % static_cast<unsigned>(C));
  grad.setZero();
  const float* x = pred.data();
  float* g = grad.data();
  volatile float sink = 0;
  const __m512 k = _mm512_set1_ps(0.5f);

  const double one = median_ns([&] {
    __m512 acc = _mm512_setzero_ps();
    for (long r = 0; r + kPanel <= N; r += kPanel) acc = read_pass(x + r, N, C, acc);
    sink = _mm512_reduce_add_ps(acc);
  }, N * C);
  const double two = median_ns([&] {
    __m512 acc = _mm512_setzero_ps();
    for (long r = 0; r + kPanel <= N; r += kPanel) {
      acc = read_pass(x + r, N, C, acc);
      read_write_pass(x + r, g + r, N, C, k);
    }
    sink = _mm512_reduce_add_ps(acc);
  }, N * C);
  const double three = median_ns([&] {
    __m512 acc = _mm512_setzero_ps();
    for (long r = 0; r + kPanel <= N; r += kPanel) {
      acc = read_pass(x + r, N, C, acc);
      read_write_pass(x + r, g + r, N, C, k);
      read_write_pass(g + r, g + r, N, C, k);
    }
    sink = _mm512_reduce_add_ps(acc);
  }, N * C);
  const double reread = median_ns([&] {
    __m512 acc = _mm512_setzero_ps();
    for (long r = 0; r + kPanel <= N; r += kPanel) acc = read_pass(x + r, N, C, read_pass(x + r, N, C, acc));
    sink = _mm512_reduce_add_ps(acc);
  }, N * C);
  const double write = median_ns([&] {
    __m512 acc = _mm512_setzero_ps();
    for (long r = 0; r + kPanel <= N; r += kPanel) {
      acc = read_pass(x + r, N, C, acc);
      write_pass(g + r, N, C, acc);
    }
    sink = _mm512_reduce_add_ps(acc);
  }, N * C);
  const lossfn::SoftmaxCrossEntropy sce;
  const double fused = median_ns([&] { sink = sce.value_and_gradient(pred, labels, grad); }, N * C);
  const double exps = median_ns([&] { sink = pred.array().exp().sum(); }, N * C);
  std::printf("N = %ld, C = %ld, column-major float, ns per logit (medians of 15)\n", N, C);
  std::printf("  memory, 1 pass (read)                 %.3f\n", one);
  std::printf("  memory, 2 passes (read; read+write)   %.3f\n", two);
  std::printf("  memory, 3 passes (+ read+write)       %.3f\n", three);
  std::printf("  memory, read; read                    %.3f\n", reread);
  std::printf("  memory, read; write (no reread)       %.3f\n", write);
  std::printf("  exp floor (Eigen exp, summed)         %.3f\n", exps);
  std::printf("  lossfn SoftmaxCrossEntropy fused      %.3f\n", fused);
  (void)sink;
}
#endif
