// A stand-alone probe of the row-wise lanes at column strides a multiple of
// 4 KB (bench/README.md, "Since the 08:16 run"): SoftmaxCrossEntropy (loss
// 0) or MultiClassHinge (loss 1) fused, column-major float, on page-aligned
// Maps with the gradient `goff` floats past a page boundary and pred `xoff`
// floats past one; ns per logit, the median and minimum of 9 samples of
// `calls` calls (thread CPU time). Not part of the build (from the
// repository's root):
//   g++ -std=c++17 -O3 -march=native -DNDEBUG -I include -isystem /usr/include/eigen3
//       bench/probe_strides.cpp -o /tmp/probe_strides
//   /tmp/probe_strides N C goff xoff calls loss     (e.g. 65536 10 0 0 60 0)
// Build it against two versions of include/ and run the two in turn, several
// rounds: the host's speed moves between samples more than within them.
#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

namespace {
double now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::puts("usage: probe_strides N C goff xoff calls loss");
    return 1;
  }
  const long N = std::atol(argv[1]), C = std::atol(argv[2]);
  const long goff = std::atol(argv[3]), xoff = std::atol(argv[4]);
  const int calls = std::atoi(argv[5]), loss = std::atoi(argv[6]);
  const std::size_t bytes = static_cast<std::size_t>(N * C + 4096) * sizeof(float);
  float* xb = static_cast<float*>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
  float* gb = static_cast<float*>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
  float *x = xb + xoff, *g = gb + goff;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 2.f);
  for (long i = 0; i < N * C; ++i) x[i] = normal(rng), g[i] = 0.f;
  Eigen::VectorXi y(N);
  for (long i = 0; i < N; ++i) y(i) = static_cast<int>(rng() % static_cast<unsigned>(C));
  Eigen::Map<Eigen::MatrixXf> X(x, N, C), G(g, N, C);
  const lossfn::SoftmaxCrossEntropy ce;
  const lossfn::MultiClassHinge mch;
  volatile float sink = 0.f;
  std::vector<double> t;
  for (int sample = 0; sample < 9; ++sample) {
    const double a = now();
    for (int i = 0; i < calls; ++i)
      sink = loss == 0 ? ce.value_and_gradient(X, y, G) : mch.value_and_gradient(X, y, G);
    t.push_back((now() - a) / calls / static_cast<double>(N * C) * 1e9);
  }
  std::sort(t.begin(), t.end());
  std::printf("N=%ld C=%ld goff=%ld xoff=%ld loss=%d: %.3f ns/logit (min %.3f)\n", N, C, goff, xoff,
              loss, t[4], t[0]);
  (void)sink;
  std::free(xb);
  std::free(gb);
}
