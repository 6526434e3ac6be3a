// lossfn benchmarks — the baselines every lossfn number is read against:
//  * floor/read1, read2, read1write1, read2write1, read1write2, read2write2:
//    the memory-bandwidth floors (stream the arrays, sum or store);
//  * floor/exp: one vectorized exp per element (Eigen's packet exp, summed);
//  * eigen/<loss>: the plain Eigen expressions a careful user would write for
//    MSE, MAE, BCE-with-logits and softmax cross-entropy (value, and value +
//    gradient into preallocated storage), checked against lossfn's value.
#include <lossfn/lossfn.hpp>

#include "common.hpp"

namespace lossfn_bench {
namespace {

template <class S>
void register_floors_for() {
  constexpr double b = sizeof(S);
  for (const Index n : floor_sizes()) {
    auto id = [&](const char* probe) {
      return name("floor", probe, "-", type_name<S>(), "vec", size_name(n));
    };
    auto inputs = [n]() -> const Pair<S>& { return elementwise_inputs<S>(Kind::regression, n); };
    benchmark::RegisterBenchmark(id("read1").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = inputs();
      for (auto _ : state) {
        S v = d.pred.sum();
        benchmark::DoNotOptimize(v);
      }
      set_rate(state, n, b);
    });
    benchmark::RegisterBenchmark(id("read2").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = inputs();
      for (auto _ : state) {
        S v = (d.pred + d.target).sum();
        benchmark::DoNotOptimize(v);
      }
      set_rate(state, n, 2 * b);
    });
    benchmark::RegisterBenchmark(id("read1write1").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = inputs();
      Vec<S>& out = output<S>(0, n);
      for (auto _ : state) {
        out = S(2) * d.pred;
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
      }
      set_rate(state, n, 2 * b);
    });
    benchmark::RegisterBenchmark(id("read2write1").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = inputs();
      Vec<S>& out = output<S>(0, n);
      for (auto _ : state) {
        out = d.pred + d.target;
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
      }
      set_rate(state, n, 3 * b);
    });
    // Two output streams in one pass: a plain loop the compiler vectorizes.
    benchmark::RegisterBenchmark(id("read1write2").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = inputs();
      const S* __restrict p = d.pred.data();
      S* __restrict g = output<S>(0, n).data();
      S* __restrict h = output<S>(1, n).data();
      for (auto _ : state) {
        for (Index i = 0; i < n; ++i) {
          g[i] = p[i] + p[i];
          h[i] = p[i] * p[i];
        }
        benchmark::DoNotOptimize(g);
        benchmark::DoNotOptimize(h);
        benchmark::ClobberMemory();
      }
      set_rate(state, n, 3 * b);
    });
    benchmark::RegisterBenchmark(id("read2write2").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = inputs();
      const S* __restrict p = d.pred.data();
      const S* __restrict t = d.target.data();
      S* __restrict g = output<S>(0, n).data();
      S* __restrict h = output<S>(1, n).data();
      for (auto _ : state) {
        for (Index i = 0; i < n; ++i) {
          g[i] = p[i] - t[i];
          h[i] = p[i] * t[i];
        }
        benchmark::DoNotOptimize(g);
        benchmark::DoNotOptimize(h);
        benchmark::ClobberMemory();
      }
      set_rate(state, n, 4 * b);
    });
    benchmark::RegisterBenchmark(id("exp").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = elementwise_inputs<S>(Kind::logit_binary, n);
      for (auto _ : state) {
        S v = d.pred.exp().sum();
        benchmark::DoNotOptimize(v);
      }
      set_rate(state, n, b);
    });
  }
}

// ---- plain Eigen, as a careful user writes it ------------------------------

template <class S, class Value, class Fused, class Loss>
void register_eigen_elementwise(const std::string& loss_name, Kind kind, Loss loss, Value value,
                                Fused fused) {
  constexpr double b = sizeof(S);
  for (const Index n : elementwise_sizes()) {
    auto id = [&](const char* entry) {
      return name("eigen", loss_name, entry, type_name<S>(), "vec", size_name(n));
    };
    benchmark::RegisterBenchmark(id("value").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = elementwise_inputs<S>(kind, n);
      check_value<S>(state, value(d.pred, d.target), loss(d.pred, d.target));
      for (auto _ : state) {
        S v = value(d.pred, d.target);
        benchmark::DoNotOptimize(v);
      }
      set_rate(state, n, 2 * b);
    });
    benchmark::RegisterBenchmark(id("fused").c_str(), [=](benchmark::State& state) {
      const Pair<S>& d = elementwise_inputs<S>(kind, n);
      Vec<S>& g = output<S>(0, n);
      check_value<S>(state, fused(d.pred, d.target, g), loss(d.pred, d.target));
      for (auto _ : state) {
        S v = fused(d.pred, d.target, g);
        benchmark::DoNotOptimize(v);
        benchmark::ClobberMemory();
      }
      set_rate(state, n, 3 * b);
    });
  }
}

template <class S>
void register_eigen_elementwise_losses() {
  register_eigen_elementwise<S>(
      "MeanSquaredError", Kind::regression, lossfn::MeanSquaredError(),
      [](const Vec<S>& p, const Vec<S>& t) { return (p - t).square().mean(); },
      [](const Vec<S>& p, const Vec<S>& t, Vec<S>& g) {
        g = p - t;
        const S v = g.square().mean();
        g *= S(2) / S(p.size());
        return v;
      });
  register_eigen_elementwise<S>(
      "MeanAbsoluteError", Kind::regression, lossfn::MeanAbsoluteError(),
      [](const Vec<S>& p, const Vec<S>& t) { return (p - t).abs().mean(); },
      [](const Vec<S>& p, const Vec<S>& t, Vec<S>& g) {
        g = p - t;
        const S v = g.abs().mean();
        g = g.sign() / S(p.size());
        return v;
      });
  // softplus(−|x|) form: no overflow for any logit.
  register_eigen_elementwise<S>(
      "BinaryCrossEntropyWithLogits", Kind::logit_binary, lossfn::BinaryCrossEntropyWithLogits(),
      [](const Vec<S>& x, const Vec<S>& t) {
        return (x.max(S(0)) - x * t + (-x.abs()).exp().log1p()).mean();
      },
      [](const Vec<S>& x, const Vec<S>& t, Vec<S>& g) {
        const S v = (x.max(S(0)) - x * t + (-x.abs()).exp().log1p()).mean();
        g = ((S(1) + (-x).exp()).inverse() - t) / S(x.size());
        return v;
      });
}

/// Softmax cross-entropy with index labels: max-shifted log-sum-exp per row.
template <class S, int Options>
void register_eigen_softmax_cross_entropy() {
  constexpr double b = sizeof(S);
  using Column = Eigen::Matrix<S, Eigen::Dynamic, 1>;
  for (const Shape shape : rowwise_shapes()) {
    const Index n = shape.size();
    const double labels_b = double(sizeof(int)) / double(shape.cols);
    auto id = [&](const char* entry) {
      return name("eigen", "SoftmaxCrossEntropy", entry, type_name<S>(), layout_name<Options>(),
                  size_name(shape));
    };
    // The picked logits x(i, y_i) need a loop; everything else is expressions.
    auto picked_sum = [](const Mat<S, Options>& x, const Labels& y) {
      S s(0);
      for (Index i = 0; i < x.rows(); ++i) s += x(i, y[i]);
      return s;
    };
    benchmark::RegisterBenchmark(id("value").c_str(), [=](benchmark::State& state) {
      const Mat<S, Options>& x = rowwise_inputs<S, Options>(RowKind::logits, shape);
      const Labels& y = labels(shape);
      Column m(shape.rows), lse(shape.rows);
      auto value = [&] {
        m = x.rowwise().maxCoeff();
        lse = (x.colwise() - m).array().exp().rowwise().sum().log().matrix() + m;
        return (lse.sum() - picked_sum(x, y)) / S(x.rows());
      };
      check_value<S>(state, value(), lossfn::SoftmaxCrossEntropy()(x, y));
      for (auto _ : state) {
        S v = value();
        benchmark::DoNotOptimize(v);
      }
      set_rate(state, n, b + labels_b);
    });
    benchmark::RegisterBenchmark(id("fused").c_str(), [=](benchmark::State& state) {
      const Mat<S, Options>& x = rowwise_inputs<S, Options>(RowKind::logits, shape);
      const Labels& y = labels(shape);
      Mat<S, Options>& g = rowwise_output<S, Options>(0, shape);
      Column m(shape.rows), s(shape.rows);
      auto fused = [&] {
        m = x.rowwise().maxCoeff();
        g = (x.colwise() - m).array().exp().matrix();
        s = g.rowwise().sum();
        const S v = ((s.array().log() + m.array()).sum() - picked_sum(x, y)) / S(x.rows());
        g.array().colwise() /= s.array() * S(x.rows());
        for (Index i = 0; i < x.rows(); ++i) g(i, y[i]) -= S(1) / S(x.rows());
        return v;
      };
      check_value<S>(state, fused(), lossfn::SoftmaxCrossEntropy()(x, y));
      for (auto _ : state) {
        S v = fused();
        benchmark::DoNotOptimize(v);
        benchmark::ClobberMemory();
      }
      set_rate(state, n, 2 * b + labels_b);
    });
  }
}

}  // namespace

void register_floors() {
  register_floors_for<float>();
  register_floors_for<double>();
}

void register_eigen_baselines() {
  register_eigen_elementwise_losses<float>();
  register_eigen_elementwise_losses<double>();
  register_eigen_softmax_cross_entropy<float, Eigen::RowMajor>();
  register_eigen_softmax_cross_entropy<float, Eigen::ColMajor>();
  register_eigen_softmax_cross_entropy<double, Eigen::RowMajor>();
  register_eigen_softmax_cross_entropy<double, Eigen::ColMajor>();
}

}  // namespace lossfn_bench
