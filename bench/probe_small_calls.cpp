// A stand-alone probe of the fixed cost of a call on small inputs
// (bench/README.md, "Eight float terms to a lane"): lossfn's MSE value and
// fused calls and MAE's value on n floats, beside the plain Eigen a careful
// user would write, 20 000 calls a sample, medians of 21 samples (wall
// time, ns per call). Not part of the build (from the repository's root):
//   g++ -std=c++17 -O3 -march=native -DNDEBUG -I include -isystem /usr/include/eigen3
//       bench/probe_small_calls.cpp -o /tmp/probe_small_calls
//   /tmp/probe_small_calls [n]      (default 1024; try 16, 256, 65536)
#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

template <class F>
double ns_per_call(F&& f, int calls) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) f();
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
         calls;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Eigen::Index n = argc > 1 ? std::atol(argv[1]) : 1024;
  Eigen::VectorXf p(n), t(n), g(n);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (Eigen::Index i = 0; i < n; ++i) {
    p[i] = normal(rng);
    t[i] = normal(rng);
  }
  const float inv_n = 1.f / static_cast<float>(n);
  const lossfn::MeanSquaredError mse;
  const lossfn::MeanAbsoluteError mae;
  volatile float sink = 0;
  constexpr int calls = 20000;
  std::vector<double> a, b, c, d, e, f;
  for (int r = 0; r < 21; ++r) {  // the candidates in turn, sample after sample
    a.push_back(ns_per_call([&] { sink = mse(p, t); }, calls));
    b.push_back(ns_per_call([&] { sink = (p - t).squaredNorm() * inv_n; }, calls));
    c.push_back(ns_per_call([&] { sink = mse.value_and_gradient(p, t, g); }, calls));
    d.push_back(ns_per_call([&] {
      g = p - t;
      sink = g.squaredNorm() * inv_n;
      g *= 2.f * inv_n;
    }, calls));
    e.push_back(ns_per_call([&] { sink = mae(p, t); }, calls));
    f.push_back(ns_per_call([&] { sink = (p - t).cwiseAbs().sum() * inv_n; }, calls));
  }
  std::printf("n = %ld floats, ns per call (medians of 21)\n", static_cast<long>(n));
  std::printf("  MSE value   lossfn %8.1f   plain Eigen %8.1f\n", median(a), median(b));
  std::printf("  MSE fused   lossfn %8.1f   plain Eigen %8.1f\n", median(c), median(d));
  std::printf("  MAE value   lossfn %8.1f   plain Eigen %8.1f\n", median(e), median(f));
  (void)sink;
}
