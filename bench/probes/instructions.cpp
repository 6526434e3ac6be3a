// Instructions per element, counted by callgrind, of the fused calls whose
// targets are stated against the exp floor, beside the exp floor's own
// expression and a bare softmax cross-entropy written the shortest way
// (column-major rows of C classes, one packet of rows at a time: max, exp,
// sum, log, scale; no NaN, ±inf or tie handling, no checks, labels in order).
// Built by CMake for AVX2 + FMA (valgrind has no AVX-512): counts per
// element are about twice AVX-512's; the ratios between the modes are the
// point. bench/probes/count_instructions.sh runs it under callgrind.
//   probe_instructions N C mode calls
// Modes: 0 exp floor (Eigen's x.exp().sum()), 1 SoftmaxCrossEntropy fused
// column-major, 2 the same row-major, 3 BinaryCrossEntropyWithLogits fused
// over the N·C logits, 4 MultiClassHinge fused column-major, 5 the bare
// softmax cross-entropy (which checks itself against lossfn).
#include <lossfn/lossfn.hpp>

#include <cstdio>
#include <cstdlib>
#include <random>

namespace {

namespace pk = Eigen::internal;
using Packet = pk::packet_traits<float>::type;
constexpr long W = static_cast<long>(sizeof(Packet) / sizeof(float));

// Softmax cross-entropy, mean over rows, and its gradient, the shortest
// way: column-major x and g (N a multiple of W, C ≤ 16), labels y.
float bare_softmax_ce(const float* x, const long long* y, float* g, long N, long C) {
  Packet total = pk::pset1<Packet>(0.f);
  const Packet inv_n = pk::pset1<Packet>(1.f / static_cast<float>(N));
  for (long i = 0; i < N; i += W) {
    Packet v[16], m = pk::ploadu<Packet>(x + i);
    for (long c = 0; c < C; ++c) v[c] = pk::ploadu<Packet>(x + c * N + i), m = pk::pmax(m, v[c]);
    Packet sum = pk::pset1<Packet>(0.f);
    for (long c = 0; c < C; ++c) v[c] = pk::pexp(pk::psub(v[c], m)), sum = pk::padd(sum, v[c]);
    total = pk::padd(total, pk::padd(m, pk::plog(sum)));
    const Packet scale = pk::pdiv(inv_n, sum);
    for (long c = 0; c < C; ++c) pk::pstoreu(g + c * N + i, pk::pmul(v[c], scale));
    for (long k = 0; k < W; ++k) {  // the label's logit and entry
      const long l = static_cast<long>(y[i + k]);
      total = pk::psub(total, pk::pset1<Packet>(x[l * N + i + k] / static_cast<float>(W)));
      g[l * N + i + k] -= 1.f / static_cast<float>(N);
    }
  }
  return pk::predux(total) / static_cast<float>(N);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::puts("usage: probe_instructions N C mode calls");
    return 2;
  }
  const long N = std::atol(argv[1]), C = std::atol(argv[2]);
  const int mode = std::atoi(argv[3]), calls = std::atoi(argv[4]);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0, 2);
  Eigen::MatrixXf x(N, C), g(N, C);
  for (long i = 0; i < N; ++i)
    for (long c = 0; c < C; ++c) x(i, c) = normal(rng);
  const Eigen::Matrix<float, -1, -1, Eigen::RowMajor> xr = x;
  Eigen::Matrix<float, -1, -1, Eigen::RowMajor> gr(N, C);
  Eigen::Matrix<long long, -1, 1> y(N);
  for (long i = 0; i < N; ++i) y(i) = i % C;
  const Eigen::VectorXf xv = Eigen::Map<const Eigen::VectorXf>(x.data(), N * C);
  const Eigen::VectorXf tv = (xv.array() > 0).cast<float>();
  Eigen::VectorXf gv(N * C);
  volatile float sink = 0;
  for (int k = 0; k < calls; ++k) {
    if (mode == 0) sink = sink + x.array().exp().sum();
    if (mode == 1)
      sink = sink + lossfn::SoftmaxCrossEntropy().value_and_gradient(x, y, lossfn::out(g));
    if (mode == 2)
      sink = sink + lossfn::SoftmaxCrossEntropy().value_and_gradient(xr, y, lossfn::out(gr));
    if (mode == 3)
      sink =
          sink + lossfn::BinaryCrossEntropyWithLogits().value_and_gradient(xv, tv, lossfn::out(gv));
    if (mode == 4) sink = sink + lossfn::MultiClassHinge().value_and_gradient(x, y, lossfn::out(g));
    if (mode == 5) sink = sink + bare_softmax_ce(x.data(), y.data(), g.data(), N, C);
  }
  if (mode == 5) {  // the bare kernel is right: it agrees with lossfn (within its float sum)
    Eigen::MatrixXf ref(N, C);
    const float v = lossfn::SoftmaxCrossEntropy().value_and_gradient(x, y, lossfn::out(ref));
    const float b = bare_softmax_ce(x.data(), y.data(), g.data(), N, C);
    std::printf("bare %.7g, lossfn %.7g, gradients differ by %.3g\n", b, v,
                (g - ref).cwiseAbs().maxCoeff());
  }
  std::printf("%g\n", static_cast<double>(sink));
}
