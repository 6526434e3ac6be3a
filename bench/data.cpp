// lossfn benchmarks — deterministic inputs, cached buffers, names, counters.
#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include "common.hpp"

namespace lossfn_bench {

const std::vector<Index>& elementwise_sizes() {
  static const std::vector<Index> sizes = {Index(1) << 10, Index(1) << 16, Index(1) << 20,
                                           Index(1) << 24};
  return sizes;
}
const std::vector<Shape>& rowwise_shapes() {
  static const std::vector<Shape> shapes = {{1024, 10}, {65536, 10}, {4096, 1000}};
  return shapes;
}
std::vector<Index> floor_sizes() {
  std::vector<Index> sizes = elementwise_sizes();
  for (const Shape& s : rowwise_shapes()) sizes.push_back(s.size());
  return sizes;
}

namespace {

std::mt19937_64 generator(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::seed_seq seq{std::uint32_t(a), std::uint32_t(b), std::uint32_t(b >> 32), std::uint32_t(c),
                    std::uint32_t(20261202)};
  return std::mt19937_64(seq);
}

// The double-precision inputs; float inputs round these.
const Pair<double>& base_inputs(Kind kind, Index n) {
  static std::map<std::pair<int, Index>, Pair<double>> cache;
  auto [it, fresh] = cache.try_emplace({int(kind), n});
  Pair<double>& d = it->second;
  if (!fresh) return d;
  auto rng = generator(std::uint64_t(kind), std::uint64_t(n), 1);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::bernoulli_distribution coin(0.5);
  d.pred.resize(n);
  d.target.resize(n);
  for (Index i = 0; i < n; ++i) {
    switch (kind) {
      case Kind::regression:
        d.pred[i] = normal(rng);
        d.target[i] = normal(rng);
        break;
      case Kind::logit_binary:
        d.pred[i] = 2 * normal(rng);
        d.target[i] = coin(rng) ? 1 : 0;
        break;
      case Kind::probability_binary:
        d.pred[i] = 1 / (1 + std::exp(-2 * normal(rng)));
        d.target[i] = coin(rng) ? 1 : 0;
        break;
      case Kind::log_probability:
        d.pred[i] = std::log(1 - uniform(rng));  // 1 − u is in (0, 1]
        d.target[i] = 1 - uniform(rng);
        break;
      case Kind::counts: {
        const double log_rate = normal(rng);
        d.pred[i] = log_rate;
        d.target[i] = double(std::poisson_distribution<int>(std::exp(log_rate))(rng));
        break;
      }
      case Kind::amounts: {
        const double log_mean = normal(rng);
        d.pred[i] = log_mean;
        d.target[i] = std::exp(log_mean) * std::gamma_distribution<double>(2.0, 0.5)(rng) + 1e-3;
        break;
      }
      case Kind::magnitudes:
        d.pred[i] = std::expm1(normal(rng));
        d.target[i] = std::expm1(normal(rng));
        break;
    }
  }
  return d;
}

// N x C logits, filled in row-major order so both storage orders hold the same values.
const Mat<double, Eigen::RowMajor>& base_logits(Shape shape) {
  static std::map<std::pair<Index, Index>, Mat<double, Eigen::RowMajor>> cache;
  auto [it, fresh] = cache.try_emplace({shape.rows, shape.cols});
  auto& x = it->second;
  if (!fresh) return x;
  auto rng = generator(100, std::uint64_t(shape.rows), std::uint64_t(shape.cols));
  std::normal_distribution<double> normal(0.0, 2.0);
  x.resize(shape.rows, shape.cols);
  for (Index i = 0; i < shape.rows; ++i)
    for (Index c = 0; c < shape.cols; ++c) x(i, c) = normal(rng);
  return x;
}

}  // namespace

template <class S>
const Pair<S>& elementwise_inputs(Kind kind, Index n) {
  if constexpr (std::is_same_v<S, double>) {
    return base_inputs(kind, n);
  } else {
    static std::map<std::pair<int, Index>, Pair<S>> cache;
    auto [it, fresh] = cache.try_emplace({int(kind), n});
    if (fresh) {
      const Pair<double>& d = base_inputs(kind, n);
      it->second.pred = d.pred.template cast<S>();
      it->second.target = d.target.template cast<S>();
    }
    return it->second;
  }
}

template <class S>
Vec<S>& output(int slot, Index n) {
  static std::map<std::pair<int, Index>, Vec<S>> cache;
  auto [it, fresh] = cache.try_emplace({slot, n});
  if (fresh) it->second.setZero(n);  // touch every page now, not in a timed loop
  return it->second;
}

template <class S, int Options>
const Mat<S, Options>& rowwise_inputs(RowKind kind, Shape shape) {
  static std::map<std::tuple<int, Index, Index>, Mat<S, Options>> cache;
  auto [it, fresh] = cache.try_emplace({int(kind), shape.rows, shape.cols});
  if (!fresh) return it->second;
  Mat<double, Eigen::RowMajor> x = base_logits(shape);
  if (kind != RowKind::logits) {
    const Eigen::VectorXd m = x.rowwise().maxCoeff();
    x.colwise() -= m;
    const Eigen::VectorXd log_sum = x.array().exp().rowwise().sum().log().matrix();
    x.colwise() -= log_sum;  // log_softmax
    if (kind == RowKind::probabilities) x = x.array().exp().matrix();
  }
  it->second = x.cast<S>();
  return it->second;
}

template <class S, int Options>
Mat<S, Options>& rowwise_output(int slot, Shape shape) {
  static std::map<std::tuple<int, Index, Index>, Mat<S, Options>> cache;
  auto [it, fresh] = cache.try_emplace({slot, shape.rows, shape.cols});
  if (fresh) it->second.setZero(shape.rows, shape.cols);
  return it->second;
}

const Labels& labels(Shape shape) {
  static std::map<std::pair<Index, Index>, Labels> cache;
  auto [it, fresh] = cache.try_emplace({shape.rows, shape.cols});
  if (fresh) {
    auto rng = generator(200, std::uint64_t(shape.rows), std::uint64_t(shape.cols));
    std::uniform_int_distribution<int> uniform(0, int(shape.cols) - 1);
    it->second.resize(shape.rows);
    for (Index i = 0; i < shape.rows; ++i) it->second[i] = uniform(rng);
  }
  return it->second;
}

std::string size_name(Index n) {
  return std::to_string(n);
}
std::string size_name(Shape shape) {
  return std::to_string(shape.rows) + "x" + std::to_string(shape.cols);
}
std::string name(const std::string& implementation, const std::string& loss,
                 const std::string& entry, const char* type, const char* layout,
                 const std::string& size) {
  return implementation + "/" + loss + "/" + entry + "/" + type + "/" + layout + "/" + size;
}

void set_rate(benchmark::State& state, Index elements, double bytes_per_element) {
  const auto iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(iterations * double(elements)));
  state.SetBytesProcessed(
      static_cast<std::int64_t>(iterations * double(elements) * bytes_per_element));
  // rate = elements·1e-9·iterations / seconds; inverted: nanoseconds per element.
  state.counters["ns_per_elem"] =
      benchmark::Counter(double(elements) * 1e-9, benchmark::Counter::kIsIterationInvariantRate |
                                                      benchmark::Counter::kInvert);
}

namespace {
int mismatch_count = 0;
}
int mismatches() {
  return mismatch_count;
}

template <class S>
void check_value(benchmark::State& state, S got, S want) {
  const double tolerance = sizeof(S) == 4 ? 1e-3 : 1e-8;
  const double g = double(got), w = double(want);
  if (!(std::abs(g - w) <= tolerance * std::max(1.0, std::abs(w)))) {
    ++mismatch_count;
    const std::string message =
        "baseline value " + std::to_string(g) + " differs from lossfn's " + std::to_string(w);
    state.SkipWithError(message.c_str());
  }
}

template const Pair<float>& elementwise_inputs<float>(Kind, Index);
template const Pair<double>& elementwise_inputs<double>(Kind, Index);
template Vec<float>& output<float>(int, Index);
template Vec<double>& output<double>(int, Index);
template const Mat<float, Eigen::RowMajor>& rowwise_inputs<float, Eigen::RowMajor>(RowKind, Shape);
template const Mat<float, Eigen::ColMajor>& rowwise_inputs<float, Eigen::ColMajor>(RowKind, Shape);
template const Mat<double, Eigen::RowMajor>& rowwise_inputs<double, Eigen::RowMajor>(RowKind,
                                                                                     Shape);
template const Mat<double, Eigen::ColMajor>& rowwise_inputs<double, Eigen::ColMajor>(RowKind,
                                                                                     Shape);
template Mat<float, Eigen::RowMajor>& rowwise_output<float, Eigen::RowMajor>(int, Shape);
template Mat<float, Eigen::ColMajor>& rowwise_output<float, Eigen::ColMajor>(int, Shape);
template Mat<double, Eigen::RowMajor>& rowwise_output<double, Eigen::RowMajor>(int, Shape);
template Mat<double, Eigen::ColMajor>& rowwise_output<double, Eigen::ColMajor>(int, Shape);
template void check_value<float>(benchmark::State&, float, float);
template void check_value<double>(benchmark::State&, double, double);

}  // namespace lossfn_bench
