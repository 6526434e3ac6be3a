// CTCLoss against PyTorch's ctc_loss (tests/data/ctc_cases.txt, made by
// tests/tools/ctc_reference.py in float64), in float and double over the
// storage layouts; float against PyTorch's own float32 error; the gradient
// against central differences; fused against separate calls; linear-space
// against log-space recursion; every bad input's exact message with the
// caller's outputs untouched; 16-bit logits; traits; partial and the shard
// rule; weights.
#include <lossfn/ctc_loss.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/layouts.hpp"

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

/// One case of ctc_cases.txt (format: tests/tools/ctc_reference.py).
struct CtcCase {
  std::string name;
  long long blank = 0;
  bool zero_infinity = false, sum = false, has_weights = false, sampled = false;
  layouts::ColMajor<double> logits;
  std::vector<long long> frames, labels, label_counts;
  std::vector<double> weights, unreduced;
  double value = 0;
  layouts::ColMajor<double> gradient;                   // full (small cases)
  std::vector<std::tuple<long, long, double>> samples;  // sampled entries (large cases)
  bool has_bar = false;
  double bar_value = 0, bar_gradient = 0;

  lossfn::CTCLoss loss() const {
    lossfn::CTCLoss l;
    l.blank(blank).zero_infinity(zero_infinity);
    l.reduction(sum ? lossfn::Reduction::sum : lossfn::Reduction::mean);
    return l;
  }
  /// (i, j, expected) of every gradient entry the case compares.
  std::vector<std::tuple<long, long, double>> entries() const {
    if (sampled) return samples;
    std::vector<std::tuple<long, long, double>> e;
    for (long i = 0; i < gradient.rows(); ++i)
      for (long j = 0; j < gradient.cols(); ++j) e.emplace_back(i, j, gradient(i, j));
    return e;
  }
};

/// The logits of a `generate` line: scale·(2u − 1) rounded to float, u from a 64-bit LCG.
layouts::ColMajor<double> generate(std::uint64_t seed, long rows, long cols, double scale) {
  layouts::ColMajor<double> x(rows, cols);
  std::uint64_t s = seed;
  for (long i = 0; i < rows; ++i)
    for (long j = 0; j < cols; ++j) {
      s = 6364136223846793005ULL * s + 1442695040888963407ULL;
      const double u = static_cast<double>(s >> 11) * 0x1p-53;
      x(i, j) = static_cast<double>(static_cast<float>(scale * (2.0 * u - 1.0)));
    }
  return x;
}

double number(const std::string& t) {
  if (t == "inf") return inf;
  if (t == "-inf") return -inf;
  if (t == "nan") return std::numeric_limits<double>::quiet_NaN();
  return std::stod(t);
}

template <class T>
std::vector<T> read_list(std::istringstream& line) {
  long n;
  line >> n;
  std::vector<T> v(static_cast<size_t>(n));
  std::string t;
  for (auto& x : v) {
    line >> t;
    x = static_cast<T>(number(t));
  }
  return v;
}

layouts::ColMajor<double> read_matrix(std::istringstream& line) {
  long r, c;
  line >> r >> c;
  layouts::ColMajor<double> m(r, c);
  std::string t;
  for (long i = 0; i < r; ++i)
    for (long j = 0; j < c; ++j) {
      line >> t;
      m(i, j) = number(t);
    }
  return m;
}

const std::vector<CtcCase>& cases() {
  static const std::vector<CtcCase> all = [] {
    std::ifstream in(std::string(LOSSFN_TEST_DATA_DIR) + "/ctc_cases.txt");
    REQUIRE(in);
    std::vector<CtcCase> out;
    CtcCase c;
    std::string text;
    while (std::getline(in, text)) {
      std::istringstream line(text);
      std::string key, word;
      if (!(line >> key) || key[0] == '#') continue;
      if (key == "case") {
        c = CtcCase{};
        line >> c.name;
      } else if (key == "option") {
        line >> key >> word;
        if (key == "blank") c.blank = std::stoll(word);
        if (key == "zero_infinity") c.zero_infinity = word == "1";
        if (key == "reduction") c.sum = word == "sum";
      } else if (key == "logits") {
        c.logits = read_matrix(line);
      } else if (key == "generate") {
        std::uint64_t seed;
        long r, k;
        line >> seed >> r >> k >> word;
        c.logits = generate(seed, r, k, number(word));
      } else if (key == "frames") {
        c.frames = read_list<long long>(line);
      } else if (key == "labels") {
        c.labels = read_list<long long>(line);
      } else if (key == "label_counts") {
        c.label_counts = read_list<long long>(line);
      } else if (key == "weights") {
        c.weights = read_list<double>(line);
        c.has_weights = true;
      } else if (key == "value") {
        line >> word;
        c.value = number(word);
      } else if (key == "unreduced") {
        c.unreduced = read_list<double>(line);
      } else if (key == "gradient") {
        c.gradient = read_matrix(line);
      } else if (key == "samples") {
        long n;
        line >> n;
        c.sampled = true;
        for (long k = 0; k < n; ++k) {
          long i, j;
          line >> i >> j >> word;
          c.samples.emplace_back(i, j, number(word));
        }
      } else if (key == "bar") {
        std::string v, g;
        line >> v >> g;
        c.has_bar = true;
        c.bar_value = number(v);
        c.bar_gradient = number(g);
      } else if (key == "end") {
        out.push_back(c);
      }
    }
    return out;
  }();
  return all;
}

template <class T>
Eigen::Matrix<T, Eigen::Dynamic, 1> vector_of(const std::vector<long long>& v) {
  Eigen::Matrix<T, Eigen::Dynamic, 1> out(static_cast<Eigen::Index>(v.size()));
  for (size_t k = 0; k < v.size(); ++k) out(static_cast<Eigen::Index>(k)) = static_cast<T>(v[k]);
  return out;
}

double relative(double actual, double expected) {
  if (std::isinf(expected)) return actual == expected ? 0 : inf;
  const double d = std::abs(actual - expected);
  return expected != 0 ? d / std::abs(expected) : d;
}

/// Errors of a result against the case: value (relative), unreduced
/// (relative, worst), gradient (relative to the largest expected entry); NaN
/// expected entries must be NaN.
struct Errors {
  double value = 0, unreduced = 0, gradient = 0;
  bool nan_where_expected = true;
};

template <class S, class G>
Errors errors_of(const CtcCase& c, double value, const Eigen::Array<S, Eigen::Dynamic, 1>& u,
                 const G& g) {
  Errors e;
  e.value = relative(value, c.value);
  for (size_t n = 0; n < c.unreduced.size(); ++n)
    e.unreduced =
        std::max(e.unreduced,
                 relative(static_cast<double>(u(static_cast<Eigen::Index>(n))), c.unreduced[n]));
  double scale = 0, diff = 0;
  for (const auto& [i, j, v] : c.entries()) {
    const double got = static_cast<double>(g(i, j));
    if (std::isnan(v)) {
      e.nan_where_expected = e.nan_where_expected && std::isnan(got);
      continue;
    }
    scale = std::max(scale, std::abs(v));
    diff = std::max(diff, std::isnan(got) ? inf : std::abs(got - v));
  }
  e.gradient = scale > 0 ? diff / scale : diff;
  return e;
}

/// Runs value, unreduced and the fused value and gradient on logits x (a
/// layout of the case's logits in S), with frames/labels of integer types.
template <class S, class X>
Errors run_case(const CtcCase& c, const X& x) {
  const auto loss = c.loss();
  const auto frames = vector_of<int>(c.frames);
  const auto labels = vector_of<std::int64_t>(c.labels);
  const auto counts = vector_of<short>(c.label_counts);
  Eigen::ArrayXd w(static_cast<Eigen::Index>(c.weights.size()));
  for (size_t k = 0; k < c.weights.size(); ++k) w(static_cast<Eigen::Index>(k)) = c.weights[k];
  layouts::ColMajor<S> g(x.rows(), x.cols());
  double value;
  Eigen::Array<S, Eigen::Dynamic, 1> u;
  if (c.has_weights) {
    value = static_cast<double>(
        loss.value_and_gradient(x, frames, labels, counts, lossfn::weights(w), g));
    u = loss.unreduced(x, frames, labels, counts, lossfn::weights(w));
    CHECK(static_cast<double>(loss(x, frames, labels, counts, lossfn::weights(w))) ==
          Approx(value).epsilon(0));
  } else {
    value = static_cast<double>(loss.value_and_gradient(x, frames, labels, counts, g));
    u = loss.unreduced(x, frames, labels, counts);
  }
  return errors_of(c, value, u, g);
}

template <class S, class F>
void for_each_layout(const layouts::ColMajor<S>& p, F&& f) {
  f("column-major", p);
  const layouts::RowMajor<S> r = p;
  f("row-major", r);
  const layouts::Strided<S> strided(p);
  f("strided Map", strided.map());
  const layouts::ColMajor<S> t = p.transpose();
  f("transposed column-major", t.transpose());
}

}  // namespace

TEST_CASE("CTCLoss reproduces PyTorch's ctc_loss in double over every layout", "[ctc][reference]") {
  REQUIRE(cases().size() >= 30);
  double worst_value = 0, worst_gradient = 0;
  for (const CtcCase& c : cases()) {
    INFO(c.name);
    for_each_layout<double>(c.logits, [&](const char* layout, const auto& x) {
      INFO(layout);
      const Errors e = run_case<double>(c, x);
      CHECK(e.value <= 1e-12);
      CHECK(e.unreduced <= 1e-12);
      CHECK(e.gradient <= 1e-10);
      worst_value = std::max(worst_value, e.value);
      worst_gradient = std::max(worst_gradient, e.gradient);
      CHECK(e.nan_where_expected);
    });
  }
  WARN("CTC double vs PyTorch float64: worst value error " << std::scientific << worst_value
                                                           << ", gradient " << worst_gradient);
}

TEST_CASE("CTCLoss in float is as close to float64 as PyTorch float32",
          "[ctc][reference][float32]") {
  // PyTorch's own float32 error on the case (tests/tools/ctc_reference.py)
  // plus eight roundings of float; where PyTorch float32 has no finite result,
  // float's own bar (64 roundings of float).
  constexpr double slack = 8.0 / 16777216.0;
  double worst_excess_value = -1, worst_excess_gradient = -1;
  for (const CtcCase& c : cases()) {
    INFO(c.name);
    const layouts::ColMajor<float> xf = c.logits.cast<float>();
    const double bar_v = c.has_bar ? c.bar_value : 64.0 / 16777216.0;
    const double bar_g = c.has_bar ? c.bar_gradient : 64.0 / 16777216.0;
    for_each_layout<float>(xf, [&](const char* layout, const auto& x) {
      INFO(layout);
      const Errors e = run_case<float>(c, x);
      CAPTURE(e.value, e.unreduced, e.gradient, bar_v, bar_g);
      CHECK(e.value <= bar_v + slack);
      CHECK(e.gradient <= bar_g + slack);
      CHECK(e.nan_where_expected);
      worst_excess_value = std::max(worst_excess_value, e.value - bar_v);
      worst_excess_gradient = std::max(worst_excess_gradient, e.gradient - bar_g);
    });
  }
  WARN("CTC float vs PyTorch float32: worst excess over PyTorch's error: value "
       << worst_excess_value << ", gradient " << worst_excess_gradient);
}
