// lossfn benchmarks — libtorch forward + backward on the same inputs, one
// thread (compiled only when CMake finds Torch; defines LOSSFN_BENCH_TORCH).
//
//   torch/<loss>/value   the loss under NoGradGuard
//   torch/<loss>/fused   the loss with requires_grad, then autograd::grad: its
//                        value and a fresh gradient tensor (forward + backward)
// Inputs are the cached lossfn inputs, wrapped without a copy (from_blob);
// row-wise inputs are row-major only (libtorch's own layout), and
// bench/report.py compares both of lossfn's storage orders against them.
// Each benchmark checks, outside its timed loop, that libtorch's value is lossfn's.
#include <torch/torch.h>

#include <lossfn/lossfn.hpp>
#include <map>

#include "common.hpp"

namespace lossfn_bench {
namespace {

namespace F = torch::nn::functional;

template <class S>
torch::Tensor wrap(const S* data, std::vector<int64_t> sizes) {
  return torch::from_blob(const_cast<S*>(data), sizes,
                          torch::TensorOptions().dtype(torch::CppTypeToScalarType<S>()));
}

torch::Tensor int64_labels(Shape shape) {
  static std::map<std::pair<Index, Index>, torch::Tensor> cache;
  auto [it, fresh] = cache.try_emplace({shape.rows, shape.cols});
  if (fresh) {
    const Labels& y = labels(shape);
    it->second = wrap(y.data(), {int64_t(y.size())}).to(torch::kInt64).clone();
  }
  return it->second;
}

// torchvision.ops.sigmoid_focal_loss(x, t, alpha=0.25, gamma=2, reduction="mean").
torch::Tensor sigmoid_focal(const torch::Tensor& x, const torch::Tensor& t) {
  const double alpha = 0.25;
  const torch::Tensor p = torch::sigmoid(x);
  const torch::Tensor ce = F::binary_cross_entropy_with_logits(
      x, t, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  const torch::Tensor p_t = p * t + (1 - p) * (1 - t);
  torch::Tensor loss = ce * (1 - p_t).pow(2);
  const torch::Tensor alpha_t = alpha * t + (1 - alpha) * (1 - t);
  return (alpha_t * loss).mean();
}

template <class S, class TorchLoss, class LossfnValue>
void register_pair(const std::string& loss_name, const char* layout, const std::string& size,
                   Index elements, double bytes_value, double bytes_fused,
                   std::function<std::pair<torch::Tensor, torch::Tensor>()> inputs,
                   TorchLoss torch_loss, LossfnValue lossfn_value) {
  auto id = [&](const char* entry) {
    return name("torch", loss_name, entry, type_name<S>(), layout, size);
  };
  benchmark::RegisterBenchmark(id("value").c_str(), [=](benchmark::State& state) {
    auto [x, t] = inputs();
    torch::NoGradGuard no_grad;
    check_value<S>(state, torch_loss(x, t).template item<S>(), lossfn_value());
    for (auto _ : state) {
      S v = torch_loss(x, t).template item<S>();
      benchmark::DoNotOptimize(v);
    }
    set_rate(state, elements, bytes_value);
  });
  benchmark::RegisterBenchmark(id("fused").c_str(), [=](benchmark::State& state) {
    auto [x0, t] = inputs();
    const torch::Tensor x = x0.detach().requires_grad_(true);
    check_value<S>(state, torch_loss(x, t).template item<S>(), lossfn_value());
    for (auto _ : state) {
      const torch::Tensor loss = torch_loss(x, t);
      const auto g = torch::autograd::grad({loss}, {x});
      S v = loss.template item<S>();
      benchmark::DoNotOptimize(v);
      benchmark::DoNotOptimize(g[0].data_ptr());
    }
    set_rate(state, elements, bytes_fused);
  });
}

template <class S, class TorchLoss, class Loss>
void register_torch_elementwise(const std::string& loss_name, Kind kind, TorchLoss torch_loss,
                                Loss loss) {
  constexpr double b = sizeof(S);
  for (const Index n : elementwise_sizes()) {
    auto inputs = [kind, n] {
      const Pair<S>& d = elementwise_inputs<S>(kind, n);
      return std::make_pair(wrap(d.pred.data(), {int64_t(n)}), wrap(d.target.data(), {int64_t(n)}));
    };
    auto lossfn_value = [kind, n, loss] {
      const Pair<S>& d = elementwise_inputs<S>(kind, n);
      return loss(d.pred, d.target);
    };
    register_pair<S>(loss_name, "vec", size_name(n), n, 2 * b, 3 * b, inputs, torch_loss,
                     lossfn_value);
  }
}

template <class S, class TorchLoss, class Loss>
void register_torch_rowwise(const std::string& loss_name, TorchLoss torch_loss, Loss loss) {
  constexpr double b = sizeof(S);
  for (const Shape shape : rowwise_shapes()) {
    const double labels_b = double(sizeof(int)) / double(shape.cols);
    auto inputs = [shape] {
      const auto& x = rowwise_inputs<S, Eigen::RowMajor>(RowKind::logits, shape);
      return std::make_pair(wrap(x.data(), {int64_t(shape.rows), int64_t(shape.cols)}),
                            int64_labels(shape));
    };
    auto lossfn_value = [shape, loss] {
      return loss(rowwise_inputs<S, Eigen::RowMajor>(RowKind::logits, shape), labels(shape));
    };
    register_pair<S>(loss_name, "row", size_name(shape), shape.size(), b + labels_b,
                     2 * b + labels_b, inputs, torch_loss, lossfn_value);
  }
}

template <class S>
void register_torch_for() {
  using T = const torch::Tensor&;
  register_torch_elementwise<S>(
      "MeanSquaredError", Kind::regression, [](T x, T t) { return F::mse_loss(x, t); },
      lossfn::MeanSquaredError());
  register_torch_elementwise<S>(
      "MeanAbsoluteError", Kind::regression, [](T x, T t) { return F::l1_loss(x, t); },
      lossfn::MeanAbsoluteError());
  register_torch_elementwise<S>(
      "BinaryCrossEntropyWithLogits", Kind::logit_binary,
      [](T x, T t) { return F::binary_cross_entropy_with_logits(x, t); },
      lossfn::BinaryCrossEntropyWithLogits());
  register_torch_elementwise<S>("SigmoidFocalLoss", Kind::logit_binary, sigmoid_focal,
                                lossfn::SigmoidFocalLoss());
  register_torch_rowwise<S>(
      "SoftmaxCrossEntropy", [](T x, T y) { return F::cross_entropy(x, y); },
      lossfn::SoftmaxCrossEntropy());
  register_torch_rowwise<S>(
      "MultiClassHinge", [](T x, T y) { return F::multi_margin_loss(x, y); },
      lossfn::MultiClassHinge());
}

}  // namespace

void torch_init() {
  torch::set_num_threads(1);
  torch::set_num_interop_threads(1);
}

void register_torch() {
  register_torch_for<float>();
  register_torch_for<double>();
}

}  // namespace lossfn_bench
