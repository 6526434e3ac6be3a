// lossfn_bench_activations — lossfn::softmax, log_softmax and sigmoid beside
// the plain Eigen a user would write, one thread, into preallocated outputs.
//
//   <impl>/<function>/<type>/<layout>/<N>x<C>
//     impl      lossfn: lossfn::softmax(x, lossfn::out(y)) (and log_softmax,
//                       sigmoid)
//               eigen:  softmax: m = x.rowwise().maxCoeff();
//                               y = (x.colwise() - m).exp();
//                               y = y.colwise() / y.rowwise().sum()
//                       log_softmax: y = x.colwise() - m;
//                               y = y.colwise() - log(exp(y).rowwise().sum())
//                       sigmoid: y = 1 / (1 + exp(-x))
//               (m and the row sums in preallocated vectors: no allocation
//               on either side)
//     type      f32, f64
//     layout    row (row-major), col (column-major)
//     sizes     1024x10, 65536x10, 4096x1000
//
// Each Eigen benchmark checks, outside its timed loop, that its output is
// lossfn's. Run with --benchmark_repetitions=5
// --benchmark_enable_random_interleaving=true and read medians (bench/README.md).
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cmath>
#include <lossfn/activations.hpp>
#include <random>
#include <stdexcept>
#include <string>

namespace {

using Eigen::Index;
enum class Function { softmax, log_softmax, sigmoid };
const char* function_name(Function f) {
  return f == Function::softmax       ? "softmax"
         : f == Function::log_softmax ? "log_softmax"
                                      : "sigmoid";
}

template <class M>
M logits(Index n, Index c) {
  std::mt19937 rng(2031);
  std::normal_distribution<double> normal(0.0, 3.0);
  M x(n, c);
  for (Index j = 0; j < c; ++j)
    for (Index i = 0; i < n; ++i) x(i, j) = static_cast<typename M::Scalar>(normal(rng));
  return x;
}

template <class M>
void run_lossfn(const M& x, M& y, Function f) {
  if (f == Function::softmax) lossfn::softmax(x, lossfn::out(y));
  if (f == Function::log_softmax) lossfn::log_softmax(x, lossfn::out(y));
  if (f == Function::sigmoid) lossfn::sigmoid(x, lossfn::out(y));
}

/// The plain Eigen version, with m and s preallocated.
template <class M, class V>
void run_eigen(const M& x, M& y, V& m, V& s, Function f) {
  auto xa = x.array();
  auto ya = y.array();
  if (f == Function::softmax) {
    m = xa.rowwise().maxCoeff();
    ya = (xa.colwise() - m).exp();
    s = ya.rowwise().sum();
    ya.colwise() /= s;
  } else if (f == Function::log_softmax) {
    m = xa.rowwise().maxCoeff();
    ya = xa.colwise() - m;
    s = ya.exp().rowwise().sum().log();
    ya.colwise() -= s;
  } else {
    ya = (1 + (-xa).exp()).inverse();
  }
}

template <class M>
void bench(benchmark::State& state, Index n, Index c, Function f, bool eigen) {
  using S = typename M::Scalar;
  using V = Eigen::Array<S, Eigen::Dynamic, 1>;
  const M x = logits<M>(n, c);
  M y = M::Ones(n, c), reference(n, c);
  V m(n), s(n);
  if (eigen) {  // the same numbers as lossfn's, checked once
    run_lossfn(x, reference, f);
    run_eigen(x, y, m, s, f);
    const double tol = sizeof(S) == 4 ? 1e-4 : 1e-10;
    if (!y.isApprox(reference, static_cast<S>(tol)))
      throw std::runtime_error(std::string("eigen/") + function_name(f) + " differs from lossfn");
  }
  for (auto _ : state) {
    if (eigen)
      run_eigen(x, y, m, s, f);
    else
      run_lossfn(x, y, f);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n * c);
}

template <class S, int Order>
void register_type(const char* type, const char* layout) {
  using M = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Order>;
  const Index sizes[][2] = {{1024, 10}, {65536, 10}, {4096, 1000}};
  for (const bool eigen : {false, true})
    for (const Function f : {Function::softmax, Function::log_softmax, Function::sigmoid})
      for (const auto& size : sizes) {
        const std::string id = std::string(eigen ? "eigen/" : "lossfn/") + function_name(f) + "/" +
                               type + "/" + layout + "/" + std::to_string(size[0]) + "x" +
                               std::to_string(size[1]);
        const Index n = size[0], c = size[1];
        benchmark::RegisterBenchmark(
            id.c_str(), [=](benchmark::State& state) { bench<M>(state, n, c, f, eigen); });
      }
}

}  // namespace

int main(int argc, char** argv) {
  register_type<float, Eigen::RowMajor>("f32", "row");
  register_type<float, Eigen::ColMajor>("f32", "col");
  register_type<double, Eigen::RowMajor>("f64", "row");
  register_type<double, Eigen::ColMajor>("f64", "col");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
