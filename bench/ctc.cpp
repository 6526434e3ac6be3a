// lossfn_bench_ctc — CTCLoss beside libtorch's ctc_loss and beside the bound a
// log-softmax pass over the same logits sets, one thread, float.
//
//   ctc/<entry>/<workload>          lossfn: value, or fused value and gradient
//                                   into caller storage
//   torch/ctc/<entry>/<workload>    libtorch: log_softmax + ctc_loss (value
//                                   under NoGradGuard; fused: + autograd::grad
//                                   with respect to the logits)
//   log_softmax/<workload>          every frame's log-softmax written to an
//                                   output of the logits' shape (SIMD, Eigen)
//
// Workloads: char (N = 32 sequences of T = 200 frames, C = 30 classes,
// S = 50 labels) and wordpiece (N = 16, T = 500, C = 1000, S = 100). Logits
// ~ N(0, 1), labels uniform over the non-blank classes, fixed seeds; lossfn
// reads them row-major (the frames of sequence 0, then 1, …), libtorch reads
// the same values laid out (T, N, C), its native layout. Each libtorch
// benchmark checks, outside its timed loop, that its value is lossfn's.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cmath>
#include <lossfn/ctc_loss.hpp>
#include <random>
#include <string>
#include <vector>

#ifdef LOSSFN_BENCH_TORCH
#include <torch/torch.h>
#endif

namespace {

using Logits = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Workload {
  const char* name;
  Eigen::Index N, T, C, S;
};
const Workload workloads[] = {{"char", 32, 200, 30, 50}, {"wordpiece", 16, 500, 1000, 100}};

struct Data {
  Logits logits, gradient, out;
  Eigen::VectorXi frames, labels, label_counts;
};

const Data& data(const Workload& w) {
  static std::vector<std::pair<std::string, Data>> cache;
  for (const auto& [name, d] : cache)
    if (name == w.name) return d;
  Data d;
  std::mt19937 rng(2029);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::uniform_int_distribution<int> label(1, static_cast<int>(w.C) - 1);
  d.logits.resize(w.N * w.T, w.C);
  for (Eigen::Index i = 0; i < d.logits.size(); ++i) d.logits.data()[i] = normal(rng);
  d.frames = Eigen::VectorXi::Constant(w.N, static_cast<int>(w.T));
  d.label_counts = Eigen::VectorXi::Constant(w.N, static_cast<int>(w.S));
  d.labels.resize(w.N * w.S);
  for (Eigen::Index i = 0; i < d.labels.size(); ++i) d.labels(i) = label(rng);
  d.gradient = Logits::Ones(d.logits.rows(), d.logits.cols());  // touched
  d.out = d.gradient;
  cache.emplace_back(w.name, std::move(d));
  return cache.back().second;
}

void set_rate(benchmark::State& state, const Workload& w) {
  state.SetItemsProcessed(state.iterations() * w.N * w.T * w.C);  // logits per second
}

void lossfn_value(benchmark::State& state, const Workload& w) {
  const Data& d = data(w);
  const lossfn::CTCLoss ctc;
  for (auto _ : state) {
    float v = ctc(d.logits, d.frames, d.labels, d.label_counts);
    benchmark::DoNotOptimize(v);
  }
  set_rate(state, w);
}

void lossfn_fused(benchmark::State& state, const Workload& w) {
  Data& d = const_cast<Data&>(data(w));
  const lossfn::CTCLoss ctc;
  for (auto _ : state) {
    float v = ctc.value_and_gradient(d.logits, d.frames, d.labels, d.label_counts,
                                     lossfn::out(d.gradient));
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(d.gradient.data());
  }
  set_rate(state, w);
}

/// The bound: log-softmax of every frame, written out (max, sum of
/// exponentials, subtract: Eigen's SIMD exp).
void log_softmax(benchmark::State& state, const Workload& w) {
  Data& d = const_cast<Data&>(data(w));
  using Row = Eigen::Array<float, Eigen::Dynamic, 1>;
  for (auto _ : state) {
    for (Eigen::Index t = 0; t < d.logits.rows(); ++t) {
      Eigen::Map<const Row> x(d.logits.data() + t * w.C, w.C);
      Eigen::Map<Row> y(d.out.data() + t * w.C, w.C);
      const float m = x.maxCoeff();
      y = (x - m).exp();
      const float log_sum = std::log(y.sum());
      y = x - (m + log_sum);
    }
    benchmark::DoNotOptimize(d.out.data());
  }
  set_rate(state, w);
}

#ifdef LOSSFN_BENCH_TORCH
struct TorchInputs {
  torch::Tensor logits, labels, frames, label_counts;
};

TorchInputs torch_inputs(const Workload& w) {
  const Data& d = data(w);
  TorchInputs t;
  // (T, N, C) from the sequence-major rows.
  t.logits = torch::from_blob(const_cast<float*>(d.logits.data()), {w.N, w.T, w.C})
                 .permute({1, 0, 2})
                 .contiguous();
  t.labels = torch::from_blob(const_cast<int*>(d.labels.data()), {w.N, w.S}, torch::kInt32)
                 .to(torch::kInt64);
  t.frames = torch::full({w.N}, w.T, torch::kInt64);
  t.label_counts = torch::full({w.N}, w.S, torch::kInt64);
  return t;
}

torch::Tensor torch_ctc(const TorchInputs& t, const torch::Tensor& x) {
  return torch::ctc_loss(torch::log_softmax(x, 2), t.labels, t.frames, t.label_counts, 0,
                         at::Reduction::Mean, false);
}

void check(benchmark::State& state, const Workload& w, float torch_value) {
  const Data& d = data(w);
  const float ours = lossfn::CTCLoss()(d.logits, d.frames, d.labels, d.label_counts);
  if (!(std::abs(ours - torch_value) <= 1e-4f * std::abs(torch_value)))
    state.SkipWithError(("libtorch's value " + std::to_string(torch_value) + " is not lossfn's " +
                         std::to_string(ours))
                            .c_str());
}

void torch_value(benchmark::State& state, const Workload& w) {
  const TorchInputs t = torch_inputs(w);
  torch::NoGradGuard no_grad;
  check(state, w, torch_ctc(t, t.logits).item<float>());
  for (auto _ : state) {
    float v = torch_ctc(t, t.logits).item<float>();
    benchmark::DoNotOptimize(v);
  }
  set_rate(state, w);
}

void torch_fused(benchmark::State& state, const Workload& w) {
  const TorchInputs t = torch_inputs(w);
  const torch::Tensor x = t.logits.detach().requires_grad_(true);
  check(state, w, torch_ctc(t, x).item<float>());
  for (auto _ : state) {
    const torch::Tensor loss = torch_ctc(t, x);
    const auto g = torch::autograd::grad({loss}, {x});
    float v = loss.item<float>();
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(g[0].data_ptr());
  }
  set_rate(state, w);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#ifdef LOSSFN_BENCH_TORCH
  torch::set_num_threads(1);
#endif
  for (const Workload& w : workloads) {
    const std::string n = w.name;
    benchmark::RegisterBenchmark(("ctc/value/" + n).c_str(), lossfn_value, w);
    benchmark::RegisterBenchmark(("ctc/fused/" + n).c_str(), lossfn_fused, w);
    benchmark::RegisterBenchmark(("log_softmax/" + n).c_str(), log_softmax, w);
#ifdef LOSSFN_BENCH_TORCH
    benchmark::RegisterBenchmark(("torch/ctc/value/" + n).c_str(), torch_value, w);
    benchmark::RegisterBenchmark(("torch/ctc/fused/" + n).c_str(), torch_fused, w);
#endif
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
