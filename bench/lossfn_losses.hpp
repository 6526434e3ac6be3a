// lossfn benchmarks — every loss through the public API only (lossfn/lossfn.hpp),
// so the suite measures whichever driver the library ships.
//
// Entry points, named as bench/report.py expects:
//   value     loss(pred, target)
//   gradient  loss.gradient(pred, target)                      (returns a new array)
//   fused     loss.value_and_gradient(pred, target, lossfn::out(out))       (caller's storage)
//   hessian   loss.value_gradient_hessian(pred, target, lossfn::out(g), lossfn::out(h))  (caller's
//   storage)
#pragma once

#include <lossfn/lossfn.hpp>

#include "common.hpp"

namespace lossfn_bench {

enum class Entries { value_only, all };

/// An element-wise loss at every element-wise size.
template <class S, class Loss>
void register_elementwise(const std::string& loss_name, Loss loss, Kind kind,
                          Entries entries = Entries::all) {
  constexpr double b = sizeof(S);
  for (const Index n : elementwise_sizes()) {
    auto id = [&](const char* entry) {
      return name("lossfn", loss_name, entry, type_name<S>(), "vec", size_name(n));
    };
    benchmark::RegisterBenchmark(id("value").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = elementwise_inputs<S>(kind, n);
      for (auto _ : state) {
        S v = loss(d.pred, d.target);
        benchmark::DoNotOptimize(v);
      }
      set_rate(state, n, 2 * b);
    });
    if constexpr (Loss::differentiable) {
      if (entries == Entries::value_only) continue;
      benchmark::RegisterBenchmark(id("gradient").c_str(), [=](benchmark::State& state) {
        const Pair<S>& d = elementwise_inputs<S>(kind, n);
        for (auto _ : state) {
          auto g = loss.gradient(d.pred, d.target);
          benchmark::DoNotOptimize(g.data());
          benchmark::ClobberMemory();
        }
        set_rate(state, n, 3 * b);
      });
      benchmark::RegisterBenchmark(id("fused").c_str(), [=](benchmark::State& state) {
        const Pair<S>& d = elementwise_inputs<S>(kind, n);
        Vec<S>& g = output<S>(0, n);
        for (auto _ : state) {
          S v = loss.value_and_gradient(d.pred, d.target, lossfn::out(g));
          benchmark::DoNotOptimize(v);
          benchmark::ClobberMemory();
        }
        set_rate(state, n, 3 * b);
      });
      if constexpr (Loss::twice_differentiable) {
        benchmark::RegisterBenchmark(id("hessian").c_str(), [=](benchmark::State& state) {
          const Pair<S>& d = elementwise_inputs<S>(kind, n);
          Vec<S>& g = output<S>(0, n);
          Vec<S>& h = output<S>(1, n);
          for (auto _ : state) {
            S v = loss.value_gradient_hessian(d.pred, d.target, lossfn::out(g), lossfn::out(h));
            benchmark::DoNotOptimize(v);
            benchmark::ClobberMemory();
          }
          set_rate(state, n, 4 * b);
        });
      }
    }
  }
}

/// A row-wise loss at every N x C shape, in one storage order, with class-index targets.
template <class S, int Options, class Loss>
void register_rowwise_order(const std::string& loss_name, Loss loss, RowKind kind,
                            Entries entries) {
  constexpr double b = sizeof(S);
  for (const Shape shape : rowwise_shapes()) {
    const Index n = shape.size();
    // Per element: the N x C input (and outputs); the N labels are 1/C of an element each.
    const double labels_b = double(sizeof(int)) / double(shape.cols);
    auto id = [&](const char* entry) {
      return name("lossfn", loss_name, entry, type_name<S>(), layout_name<Options>(),
                  size_name(shape));
    };
    benchmark::RegisterBenchmark(id("value").c_str(), [=](benchmark::State& state) {
      const Mat<S, Options>& x = rowwise_inputs<S, Options>(kind, shape);
      const Labels& y = labels(shape);
      for (auto _ : state) {
        S v = loss(x, y);
        benchmark::DoNotOptimize(v);
      }
      set_rate(state, n, b + labels_b);
    });
    if constexpr (Loss::differentiable) {
      if (entries == Entries::value_only) continue;
      benchmark::RegisterBenchmark(id("gradient").c_str(), [=](benchmark::State& state) {
        const Mat<S, Options>& x = rowwise_inputs<S, Options>(kind, shape);
        const Labels& y = labels(shape);
        for (auto _ : state) {
          auto g = loss.gradient(x, y);
          benchmark::DoNotOptimize(g.data());
          benchmark::ClobberMemory();
        }
        set_rate(state, n, 2 * b + labels_b);
      });
      benchmark::RegisterBenchmark(id("fused").c_str(), [=](benchmark::State& state) {
        const Mat<S, Options>& x = rowwise_inputs<S, Options>(kind, shape);
        const Labels& y = labels(shape);
        Mat<S, Options>& g = rowwise_output<S, Options>(0, shape);
        for (auto _ : state) {
          S v = loss.value_and_gradient(x, y, lossfn::out(g));
          benchmark::DoNotOptimize(v);
          benchmark::ClobberMemory();
        }
        set_rate(state, n, 2 * b + labels_b);
      });
      if constexpr (Loss::twice_differentiable) {
        benchmark::RegisterBenchmark(id("hessian").c_str(), [=](benchmark::State& state) {
          const Mat<S, Options>& x = rowwise_inputs<S, Options>(kind, shape);
          const Labels& y = labels(shape);
          Mat<S, Options>& g = rowwise_output<S, Options>(0, shape);
          Mat<S, Options>& h = rowwise_output<S, Options>(1, shape);
          for (auto _ : state) {
            S v = loss.value_gradient_hessian(x, y, lossfn::out(g), lossfn::out(h));
            benchmark::DoNotOptimize(v);
            benchmark::ClobberMemory();
          }
          set_rate(state, n, 3 * b + labels_b);
        });
      }
    }
  }
}

template <class S, class Loss>
void register_rowwise(const std::string& loss_name, Loss loss, RowKind kind,
                      Entries entries = Entries::all) {
  register_rowwise_order<S, Eigen::RowMajor>(loss_name, loss, kind, entries);
  register_rowwise_order<S, Eigen::ColMajor>(loss_name, loss, kind, entries);
}

/// Every element-wise loss, with its default options.
template <class S>
void register_elementwise_losses() {
  using namespace lossfn;
  register_elementwise<S>("MeanSquaredError", MeanSquaredError(), Kind::regression);
  register_elementwise<S>("RootMeanSquaredError", RootMeanSquaredError(), Kind::regression);
  register_elementwise<S>("MeanAbsoluteError", MeanAbsoluteError(), Kind::regression);
  register_elementwise<S>("HuberLoss", HuberLoss(), Kind::regression);
  register_elementwise<S>("SmoothL1Loss", SmoothL1Loss(), Kind::regression);
  register_elementwise<S>("LogCoshLoss", LogCoshLoss(), Kind::regression);
  register_elementwise<S>("QuantileLoss", QuantileLoss().quantile(0.9), Kind::regression);
  register_elementwise<S>("BinaryCrossEntropy", BinaryCrossEntropy(), Kind::probability_binary);
  register_elementwise<S>("BinaryCrossEntropyWithLogits", BinaryCrossEntropyWithLogits(),
                          Kind::logit_binary);
  register_elementwise<S>("SigmoidFocalLoss", SigmoidFocalLoss(), Kind::logit_binary);
  register_elementwise<S>("Hinge", Hinge(), Kind::logit_binary);
  register_elementwise<S>("SquaredHinge", SquaredHinge(), Kind::logit_binary);
  register_elementwise<S>("KLDivergence", KLDivergence(), Kind::log_probability);
  register_elementwise<S>("PoissonNLLLoss", PoissonNLLLoss(), Kind::counts);
  register_elementwise<S>("ZeroOneLoss", ZeroOneLoss(), Kind::logit_binary, Entries::value_only);
  register_elementwise<S>("TweedieLoss", TweedieLoss(), Kind::counts);
  register_elementwise<S>("GammaLoss", GammaLoss(), Kind::amounts);
  register_elementwise<S>("PseudoHuberLoss", PseudoHuberLoss(), Kind::regression);
  register_elementwise<S>("MeanSquaredLogError", MeanSquaredLogError(), Kind::magnitudes);
  register_elementwise<S>("MeanAbsolutePercentageError", MeanAbsolutePercentageError(),
                          Kind::regression);
  register_elementwise<S>("ExpectileLoss", ExpectileLoss().expectile(0.9), Kind::regression);
}

/// Every row-wise loss, with its default options and class-index targets.
template <class S>
void register_rowwise_losses() {
  using namespace lossfn;
  register_rowwise<S>("SoftmaxCrossEntropy", SoftmaxCrossEntropy(), RowKind::logits);
  register_rowwise<S>("NegativeLogLikelihood", NegativeLogLikelihood(), RowKind::log_probabilities);
  register_rowwise<S>("SoftmaxFocalLoss", SoftmaxFocalLoss(), RowKind::logits);
  register_rowwise<S>("PolyCrossEntropy", PolyCrossEntropy(), RowKind::logits);
  register_rowwise<S>("MultiClassHinge", MultiClassHinge(), RowKind::logits);
  register_rowwise<S>("CategoricalCrossEntropy", CategoricalCrossEntropy(), RowKind::probabilities);
  register_rowwise<S>("ZeroOneLoss", ZeroOneLoss(), RowKind::logits, Entries::value_only);
}

}  // namespace lossfn_bench
