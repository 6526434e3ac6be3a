// A stand-alone probe of the row-wise softmax losses (bench/README.md, "Row-wise
// driver"): fused value_and_gradient against Eigen's exp over the same floats,
// medians of thread CPU time. Not part of the build:
//   g++ -std=c++17 -O3 -march=native -DNDEBUG -I include -isystem /usr/include/eigen3 \
//       bench/probe_rowwise.cpp -o /tmp/probe_rowwise && /tmp/probe_rowwise
#include <lossfn/lossfn.hpp>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <random>
#include <vector>
#include <algorithm>
using namespace std::chrono;
template <class F> double med(F f, int reps) {
  std::vector<double> t;
  auto now = [] { timespec ts; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return ts.tv_sec + 1e-9 * ts.tv_nsec; };
  for (int r = 0; r < reps; ++r) { double a = now(); f(); t.push_back(now() - a); }
  std::sort(t.begin(), t.end()); return t[t.size()/2];
}
template <class M> void run(const char* name, long N, long C) {
  M x(N, C); std::mt19937 g(1); std::normal_distribution<float> d(0, 2);
  for (long i = 0; i < x.size(); ++i) x.data()[i] = d(g);
  Eigen::VectorXi y(N); for (long i = 0; i < N; ++i) y(i) = g() % C;
  M gr(N, C);
  Eigen::ArrayXf buf(N*C), out(N*C); buf = Eigen::Map<Eigen::ArrayXf>(x.data(), N*C);
  volatile float sink = 0;
  const lossfn::SoftmaxCrossEntropy ce; const lossfn::SoftmaxFocalLoss fo; const lossfn::NegativeLogLikelihood nll;
  double te=0, tc=0, tf=0, tn=0;
  for (int k = 0; k < 5; ++k) {
    te += med([&]{ out = buf.exp(); sink = out[0]; }, 5);
    tc += med([&]{ sink = ce.value_and_gradient(x, y, gr); }, 5);
    tf += med([&]{ sink = fo.value_and_gradient(x, y, gr); }, 5);
    tn += med([&]{ sink = nll.value_and_gradient(x, y, gr); }, 5);
  }
  double n = double(N*C)*5;
  printf("%-4s %6ldx%-5ld exp %.3f  CE %.3f (%.2fx floor)  focal %.3f (%.2fx)  NLL %.3f ns/logit\n", name, N, C,
         te/n*1e9, tc/n*1e9, te/tc, tf/n*1e9, te/tf, tn/n*1e9);
}
int main(int argc, char**) {
  using R = Eigen::Matrix<float, -1, -1, Eigen::RowMajor>; using Cm = Eigen::MatrixXf;
  (void)argc;
  run<R>("row", 4096, 1000); run<Cm>("col", 4096, 1000);
  run<R>("row", 65536, 10); run<Cm>("col", 65536, 10);
  run<R>("row", 1024, 10); run<Cm>("col", 1024, 10);
}
