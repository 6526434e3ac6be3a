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
#include <functional>
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
        loss.value_and_gradient(x, frames, labels, counts, lossfn::weights(w), lossfn::out(g)));
    u = loss.unreduced(x, frames, labels, counts, lossfn::weights(w));
    CHECK(static_cast<double>(loss(x, frames, labels, counts, lossfn::weights(w))) ==
          Approx(value).epsilon(0));
  } else {
    value = static_cast<double>(loss.value_and_gradient(x, frames, labels, counts, lossfn::out(g)));
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
  const layouts::ColMajor<S> zero = layouts::ColMajor<S>::Zero(p.rows(), p.cols());
  f("expression", p + zero);  // read coefficient by coefficient
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

namespace {

/// A small batch (sequence 1 has no labels, sequence 2 no frames), logits ~ 2·U(−1, 1).
struct Batch {
  Eigen::MatrixXd logits;
  Eigen::VectorXi frames, labels, label_counts;
  Eigen::VectorXd weights;
};
Batch small_batch() {
  Batch b;
  b.logits = generate(7, 14, 5, 2.0);
  b.frames = (Eigen::VectorXi(4) << 6, 3, 0, 5).finished();
  b.label_counts = (Eigen::VectorXi(4) << 3, 0, 0, 2).finished();
  b.labels = (Eigen::VectorXi(5) << 1, 1, 4, 2, 3).finished();
  b.weights = (Eigen::VectorXd(4) << 0.5, 2.0, 1.0, 1.5).finished();
  return b;
}

template <class A, class B>
bool same_bits(const A& a, const B& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    for (Eigen::Index i = 0; i < a.rows(); ++i) {
      const auto x = a(i, j);
      const auto y = b(i, j);
      if (std::memcmp(&x, &y, sizeof(x)) != 0) return false;
    }
  return true;
}
template <class S>
bool same_scalar_bits(S a, S b) {
  return std::memcmp(&a, &b, sizeof(S)) == 0;
}

}  // namespace

TEST_CASE("CTCLoss: fused and separate calls give the same bits", "[ctc][fused]") {
  const Batch b = small_batch();
  for (auto r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
    lossfn::CTCLoss ctc;
    ctc.reduction(r);
    auto check = [&](const auto& x) {
      using S = typename std::decay_t<decltype(x)>::Scalar;
      const auto fused = ctc.value_and_gradient(x, b.frames, b.labels, b.label_counts);
      CHECK(same_scalar_bits(fused.value, ctc.value(x, b.frames, b.labels, b.label_counts)));
      CHECK(same_scalar_bits(fused.value, ctc(x, b.frames, b.labels, b.label_counts)));
      CHECK(same_bits(fused.gradient, ctc.gradient(x, b.frames, b.labels, b.label_counts)));
      Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> g(x.rows(), x.cols());
      CHECK(same_scalar_bits(fused.value, ctc.value_and_gradient(x, b.frames, b.labels,
                                                                 b.label_counts, lossfn::out(g))));
      CHECK(same_bits(fused.gradient, g));
      const auto w = b.weights.cast<S>().eval();
      const auto wf =
          ctc.value_and_gradient(x, b.frames, b.labels, b.label_counts, lossfn::weights(w));
      CHECK(same_scalar_bits(wf.value,
                             ctc.value(x, b.frames, b.labels, b.label_counts, lossfn::weights(w))));
      CHECK(same_bits(wf.gradient,
                      ctc.gradient(x, b.frames, b.labels, b.label_counts, lossfn::weights(w))));
      CHECK(same_scalar_bits(wf.value, ctc.value_and_gradient(x, b.frames, b.labels, b.label_counts,
                                                              lossfn::weights(w), lossfn::out(g))));
      CHECK(same_bits(wf.gradient, g));
    };
    check(b.logits);
    check(b.logits.cast<float>().eval());
  }
}

TEST_CASE("CTCLoss: the gradient is the central difference of the value", "[ctc][gradient]") {
  const Batch b = small_batch();
  for (auto r : {lossfn::Reduction::mean, lossfn::Reduction::sum}) {
    for (bool weighted : {false, true}) {
      lossfn::CTCLoss ctc;
      ctc.reduction(r).blank(2);
      Eigen::VectorXi labels = b.labels;
      labels(3) = 0;  // (2 is the blank here)
      auto value = [&](const Eigen::MatrixXd& x) {
        return weighted ? ctc(x, b.frames, labels, b.label_counts, lossfn::weights(b.weights))
                        : ctc(x, b.frames, labels, b.label_counts);
      };
      const Eigen::MatrixXd g = weighted ? ctc.gradient(b.logits, b.frames, labels, b.label_counts,
                                                        lossfn::weights(b.weights))
                                         : ctc.gradient(b.logits, b.frames, labels, b.label_counts);
      const double h = 1e-6;
      double worst = 0;
      for (Eigen::Index i = 0; i < g.rows(); ++i)
        for (Eigen::Index j = 0; j < g.cols(); ++j) {
          Eigen::MatrixXd up = b.logits, down = b.logits;
          up(i, j) += h;
          down(i, j) -= h;
          worst = std::max(worst, std::abs((value(up) - value(down)) / (2 * h) - g(i, j)));
        }
      CAPTURE(weighted);
      CHECK(worst <= 1e-8 * std::max(1.0, g.cwiseAbs().maxCoeff()));
    }
  }
}

TEST_CASE("CTCLoss: the linear-space and log-space recursions agree", "[ctc][recursion]") {
  namespace ctc = lossfn::detail::ctc;
  using Row = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  // Both apply (no emission below a normal number, no state lost): the same
  // loss and gradient in double, and in float to float's rounding of each
  // entry (the recursions run in double either way).
  auto agree = [](auto zero, double value_tolerance, double gradient_tolerance) {
    using R = decltype(zero);
    using RowR = Eigen::Matrix<R, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    for (const auto& [T, C, S, scale] : {std::tuple<long, long, long, double>{40, 6, 12, 3.0},
                                         {300, 30, 80, 2.0},
                                         {7, 4, 5, 1.0},
                                         {25, 3, 0, 4.0}}) {
      const RowR x =
          generate(static_cast<std::uint64_t>(T * C + S), T, C, scale).template cast<R>();
      std::vector<std::int64_t> labels(static_cast<size_t>(S));
      for (long i = 0; i < S; ++i) labels[static_cast<size_t>(i)] = 1 + (i * 7 + i / 3) % (C - 1);
      if (S >= 4) labels[3] = labels[2];  // a repeat: a blank between them
      const lossfn::detail::Input<RowR> in(x);
      const ctc::FrameReader<RowR, R> reader(in);
      RowR g_linear(T, C), g_log(T, C);
      const ctc::GradientWriter<RowR, R> linear_out(&g_linear, T, C), log_out(&g_log, T, C);
      const ctc::Problem p{T, S, C, 0, labels.data(), 0.5};
      double linear = 0;
      CAPTURE(sizeof(R), T, C, S);
      REQUIRE(ctc::linear_sequence<R>(p, 0, reader, linear_out, linear));
      const double log_space = ctc::logspace_sequence<R>(p, 0, reader, log_out);
      // Log space rounds each log α (of magnitude up to T·log C) to ε of it.
      const double value_error = std::abs(linear - log_space) / std::abs(log_space);
      const double gradient_error = static_cast<double>((g_linear - g_log).cwiseAbs().maxCoeff());
      INFO(std::scientific << value_error << " " << gradient_error);
      CHECK(value_error <= value_tolerance);
      CHECK(gradient_error <= gradient_tolerance);
    }
  };
  agree(0.0, 1e-13, 1e-11);
  agree(0.0f, 1e-6, 1e-6);  // (linear space takes float's exponentials as the emissions)
  // Logit gaps of 200: emissions of e^-200 underflow float's exponentials, and
  // the linear recursion hands the sequence to log space.
  using RowF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RowF x = RowF::Constant(6, 3, -100.f);
  x.col(0).setConstant(100.f);  // the blank is sure; the labels are not
  const std::int64_t labels[] = {1, 2};
  const lossfn::detail::Input<RowF> in(x);
  const ctc::FrameReader<RowF, float> reader(in);
  const ctc::GradientWriter<lossfn::detail::None, float> none(nullptr, 6, 3);
  double loss = 0;
  CHECK_FALSE(
      ctc::linear_sequence<float>(ctc::Problem{6, 2, 3, 0, labels, 1.0}, 0, reader, none, loss));
  const float v = lossfn::CTCLoss().reduction(lossfn::Reduction::sum)(
      x, Eigen::VectorXi::Constant(1, 6), Eigen::VectorXi(Eigen::Vector2i(1, 2)),
      Eigen::VectorXi::Constant(1, 2));
  // Alignments with one frame of each label: C(6, 2) = 15 of them, each e^-400.
  CHECK(v == Approx(400.0 - std::log(15.0)).epsilon(1e-6));

  // In double, an emission of e^-740 is a subnormal number (a few digits):
  // log space again. Labels 1 2; frame 0 favours the blank by 740 over label
  // 1, frames 1–3 put label 2 first (label 1 and the blank 2000 below): the
  // one alignment is 1 2 2 2, l = 740 + log(1 + e^-740 + e^-2000) + 3 log(1 + 2e^-2000).
  Row xd(4, 3);
  xd << 0, -740, -2000, -2000, -2000, 0, -2000, -2000, 0, -2000, -2000, 0;
  const lossfn::detail::Input<Row> ind(xd);
  const ctc::FrameReader<Row, double> readerd(ind);
  const ctc::GradientWriter<lossfn::detail::None, double> noned(nullptr, 4, 3);
  CHECK_FALSE(
      ctc::linear_sequence<double>(ctc::Problem{4, 2, 3, 0, labels, 1.0}, 0, readerd, noned, loss));
  const double vd = lossfn::CTCLoss().reduction(lossfn::Reduction::sum)(
      xd, Eigen::VectorXi::Constant(1, 4), Eigen::VectorXi(Eigen::Vector2i(1, 2)),
      Eigen::VectorXi::Constant(1, 2));
  CHECK(vd == Approx(740.0).epsilon(1e-15));
}

TEST_CASE("CTCLoss: log space takes over where a frame's Σ α·β′ disagrees with frame 0's",
          "[ctc][recursion]") {
  // Every emission within e^-80 of its frame's largest (normal in float and
  // double), yet the alignment that carries P is lost in linear space: frame 0
  // favours label 1, frames 1–19 label 2 (the blank e^-40, label 1 e^-80),
  // frames 20–31 label 1, frame 32 label 2. The alignment 1 2…2 leads until
  // frame 19 and then pays e^-80 a frame; the one that waits on the blank to
  // frame 19 (e^-840, flushed to 0 next to the leader's 1) and then takes
  // label 1 is P's, l = 840 − (e^-40 or so). α loses it at frame 19 (the
  // gradient of frames 20–32 would be that of the wrong alignment), and the
  // time reversal (labels 2 1) loses it in β′ (the value would be 960). Only
  // the per-frame check sees either.
  namespace ctc = lossfn::detail::ctc;
  auto check = [](auto zero) {
    using R = decltype(zero);
    using Row = Eigen::Matrix<R, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Row forward(33, 3);
    forward.row(0) << -80, 0, -80;
    for (int t = 1; t < 20; ++t) forward.row(t) << -40, -80, 0;
    for (int t = 20; t < 32; ++t) forward.row(t) << -80, 0, -80;
    forward.row(32) << -80, -80, 0;
    const std::int64_t forward_labels[] = {1, 2}, reversed_labels[] = {2, 1};
    for (const bool reversed : {false, true}) {
      CAPTURE(sizeof(R), reversed);
      const Row x = reversed ? Row(forward.colwise().reverse()) : forward;
      const std::int64_t* labels = reversed ? reversed_labels : forward_labels;
      const lossfn::detail::Input<Row> in(x);
      const ctc::FrameReader<Row, R> reader(in);
      const ctc::Problem p{33, 2, 3, 0, labels, 1.0};
      // The emissions are normal: the check of the emissions passes every frame.
      bool normal = true;
      R e[3];
      double em[4];
      for (Eigen::Index t = 0; t < 33; ++t)
        ctc::frame_statistics<R>(p, x.data() + 3 * t, e, em, normal);
      CHECK(normal);
      // The linear recursion gives the sequence up; log space and the entry points agree.
      Row g_log(33, 3);
      const ctc::GradientWriter<Row, R> log_out(&g_log, 33, 3);
      const ctc::GradientWriter<lossfn::detail::None, R> none(nullptr, 33, 3);
      double linear = 0;
      CHECK_FALSE(ctc::linear_sequence<R>(p, 0, reader, none, linear));
      const double log_space = ctc::logspace_sequence<R>(p, 0, reader, log_out);
      CHECK(log_space == Approx(840.0).epsilon(1e-12));
      const auto r = lossfn::CTCLoss()
                         .reduction(lossfn::Reduction::sum)
                         .value_and_gradient(x, Eigen::VectorXi::Constant(1, 33),
                                             Eigen::VectorXi(Eigen::Vector2i(labels[0], labels[1])),
                                             Eigen::VectorXi::Constant(1, 2));
      CHECK(static_cast<double>(r.value) == Approx(840.0).epsilon(1e-7));
      CHECK(same_bits(r.gradient, g_log));
      // The frames after 19 on P's alignment: label 1 sure and wanted.
      const Eigen::Index t = reversed ? 32 - 25 : 25;
      CHECK(std::abs(static_cast<double>(r.gradient(t, 1))) <= 1e-30);
    }
  };
  check(0.0f);
  check(0.0);
}

TEST_CASE("CTCLoss: a frame sure of one class keeps the digits of softmax − γ",
          "[ctc][reference][float32]") {
  // Where the softmax and the occupancy of the frame's class both round to 1,
  // their difference is taken as −Σ of the row's other entries (the row of
  // softmax − γ sums to 0), so a row of tiny entries keeps them and sums to 0.
  const Eigen::VectorXi frames = Eigen::VectorXi::Constant(1, 3);
  const Eigen::VectorXi labels = Eigen::VectorXi::Constant(1, 3);
  const Eigen::VectorXi counts = Eigen::VectorXi::Constant(1, 1);
  const auto ctc = lossfn::CTCLoss().reduction(lossfn::Reduction::sum);
  // Frame 0 gives the blank 1 − 2.2e-9 and the label nearly nothing: its
  // float row against the double one (PyTorch float32 gets -2.2384e-09 too).
  Eigen::MatrixXf xf(3, 4);
  xf << 9.51583099f, -10.6578169f, -11.8944073f, -17.046463f, -15.9526968f, 4.38635826f,
      10.0309753f, -18.843977f, -18.1310749f, 16.2810707f, 0.99999994f, 15.9758911f;
  const Eigen::MatrixXf gf = ctc.gradient(xf, frames, labels, counts);
  const Eigen::MatrixXd gd = ctc.gradient(xf.cast<double>().eval(), frames, labels, counts);
  CHECK(gd(0, 0) == Approx(-2.2384e-09).epsilon(1e-4));
  for (Eigen::Index t = 0; t < 3; ++t) {
    CAPTURE(t, gf(t, 0), gd(t, 0));
    const double scale = gd.row(t).cwiseAbs().maxCoeff();
    CHECK((gf.cast<double>() - gd).row(t).cwiseAbs().maxCoeff() <= 1e-6 * scale);
  }
  // Gaps of 40 (e^-40 below double's ε): the blank sure at frames 0 and 2,
  // the label at frame 1. Each row sums to 0 to the rounding of its entries.
  auto row_sums = [&](const auto& x, double tolerance) {
    const auto g = ctc.gradient(x, frames, labels, counts);
    for (Eigen::Index t = 0; t < 3; ++t) {
      const double scale = static_cast<double>(g.row(t).cwiseAbs().maxCoeff());
      const double sum = static_cast<double>(g.row(t).sum());
      CAPTURE(t, sum, scale);
      CHECK(scale > 0);
      CHECK(std::abs(sum) <= tolerance * scale);
    }
  };
  Eigen::MatrixXd x = Eigen::MatrixXd::Constant(3, 4, -20.0);
  x(0, 0) = x(1, 3) = x(2, 0) = 20.0;
  row_sums(x, 1e-13);
  row_sums(x.cast<float>().eval(), 1e-5);
}

TEST_CASE("CTCLoss: row-major and column-major logits give the same bits", "[ctc][layouts]") {
  // Classes far below their frame's largest (exponentials that underflow)
  // and a number of classes that is no multiple of a SIMD packet.
  Eigen::MatrixXd x = generate(29, 12, 13, 3.0);
  for (Eigen::Index t = 0; t < 12; t += 3) x(t, (t + 5) % 13) = -1000.0;
  x(4, 7) = -720.0;
  const Eigen::VectorXi frames = (Eigen::VectorXi(2) << 5, 7).finished();
  const Eigen::VectorXi counts = (Eigen::VectorXi(2) << 2, 3).finished();
  const Eigen::VectorXi labels = (Eigen::VectorXi(5) << 1, 2, 3, 4, 3).finished();
  const lossfn::CTCLoss ctc;
  auto check = [&](const auto& col) {
    using S = typename std::decay_t<decltype(col)>::Scalar;
    const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row = col;
    const auto a = ctc.value_and_gradient(col, frames, labels, counts);
    const auto b = ctc.value_and_gradient(row, frames, labels, counts);
    CHECK(same_scalar_bits(a.value, b.value));
    CHECK(same_bits(a.gradient, b.gradient));
  };
  check(x);
  check(x.cast<float>().eval());
}

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const lossfn::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

/// Every entry point rejects the inputs with exactly `message`, and the
/// caller's gradient storage keeps its bits.
template <class X, class F, class Y, class K>
void rejects(const lossfn::CTCLoss& ctc, const X& x, const F& frames, const Y& labels,
             const K& counts, const std::string& message,
             const Eigen::VectorXd& w = Eigen::VectorXd()) {
  const Eigen::MatrixXd before = Eigen::MatrixXd::Constant(x.rows(), x.cols(), 7.0);
  Eigen::MatrixXd g = before;
  const bool weighted = w.size() > 0;
  auto each = [&](const char* entry, const std::function<void()>& call) {
    INFO(entry);
    CHECK(error_of(call) == message);
    CHECK(same_bits(g, before));
  };
  if (weighted) {
    const auto ww = lossfn::weights(w);
    each("value", [&] { (void)ctc.value(x, frames, labels, counts, ww); });
    each("gradient", [&] { (void)ctc.gradient(x, frames, labels, counts, ww); });
    each("fused", [&] { (void)ctc.value_and_gradient(x, frames, labels, counts, ww); });
    each("fused into",
         [&] { (void)ctc.value_and_gradient(x, frames, labels, counts, ww, lossfn::out(g)); });
    each("unreduced", [&] { (void)ctc.unreduced(x, frames, labels, counts, ww); });
    each("partial", [&] { (void)ctc.partial(x, frames, labels, counts, ww); });
  } else {
    each("value", [&] { (void)ctc.value(x, frames, labels, counts); });
    each("gradient", [&] { (void)ctc.gradient(x, frames, labels, counts); });
    each("fused", [&] { (void)ctc.value_and_gradient(x, frames, labels, counts); });
    each("fused into",
         [&] { (void)ctc.value_and_gradient(x, frames, labels, counts, lossfn::out(g)); });
    each("unreduced", [&] { (void)ctc.unreduced(x, frames, labels, counts); });
    each("partial", [&] { (void)ctc.partial(x, frames, labels, counts); });
  }
}

}  // namespace

TEST_CASE("CTCLoss: every bad input is an error before anything is written", "[ctc][errors]") {
  const Batch b = small_batch();
  const lossfn::CTCLoss ctc;
  const Eigen::MatrixXd& x = b.logits;
  Eigen::VectorXi frames = b.frames, counts = b.label_counts, labels = b.labels;

  rejects(lossfn::CTCLoss().blank(5), x, frames, labels, counts,
          "CTCLoss: option blank = 5 is not a class of the logits' 5 columns");
  CHECK(error_of([] { lossfn::CTCLoss().blank(-1); }) ==
        "CTCLoss: option blank = -1 is not a class (>= 0)");
  rejects(ctc, x, Eigen::MatrixXi::Constant(2, 2, 1), labels, counts,
          "CTCLoss: frames has shape 2x2, expected a vector (one frame count per sequence)");
  rejects(ctc, x, frames, labels, counts.head(3),
          "CTCLoss: label_counts has shape 3x1, expected 4 entries (one per sequence, as frames)");
  frames(1) = -1;
  rejects(ctc, x, frames, labels, counts, "CTCLoss: frames[1] = -1 is not a count (>= 0)");
  frames(1) = 4;
  rejects(ctc, x, frames, labels, counts,
          "CTCLoss: logits has shape 14x5, expected 15x5 (one row per frame: the frame counts "
          "add up to 15)");
  frames = b.frames;
  counts(3) = -2;
  rejects(ctc, x, frames, labels, counts, "CTCLoss: label_counts[3] = -2 is not a count (>= 0)");
  counts(3) = 3;
  rejects(ctc, x, frames, labels, counts,
          "CTCLoss: labels has shape 5x1, expected 6 entries (the label counts add up to 6)");
  counts = b.label_counts;
  labels(2) = 7;
  rejects(ctc, x, frames, labels, counts, "CTCLoss: labels[2] = 7 is not a class in [0, 5)");
  labels(2) = -3;
  rejects(ctc, x, frames, labels, counts, "CTCLoss: labels[2] = -3 is not a class in [0, 5)");
  labels(2) = 0;
  rejects(ctc, x, frames, labels, counts,
          "CTCLoss: labels[2] = 0 is the blank (a label is never the blank)");
  rejects(lossfn::CTCLoss().blank(4), x, frames, b.labels, counts,
          "CTCLoss: labels[2] = 4 is the blank (a label is never the blank)");
  labels = b.labels;
  rejects(ctc, x, frames, labels, counts,
          "CTCLoss: weights has shape 3x1, expected 4x1 (one weight per sequence)",
          Eigen::VectorXd::Ones(3));
  rejects(ctc, x, frames, labels, counts,
          "CTCLoss: weights(1, 0) = -1 is not a finite non-negative weight",
          (Eigen::VectorXd(4) << 1, -1, 1, 1).finished());
  rejects(ctc, x, frames, labels, counts,
          "CTCLoss: weights(2, 0) = inf is not a finite non-negative weight",
          (Eigen::VectorXd(4) << 1, 1, inf, 1).finished());
  // A gradient of another shape (not an empty resizable one).
  Eigen::MatrixXd small = Eigen::MatrixXd::Constant(2, 2, 7.0);
  CHECK(error_of([&] { ctc.value_and_gradient(x, frames, labels, counts, lossfn::out(small)); }) ==
        "CTCLoss: gradient has shape 2x2, expected 14x5 (the logits' shape), or empty to be "
        "resized");
  CHECK(same_bits(small, Eigen::MatrixXd::Constant(2, 2, 7.0)));
  Eigen::MatrixXd empty;
  ctc.value_and_gradient(x, frames, labels, counts, lossfn::out(empty));
  CHECK(empty.rows() == 14);
  Eigen::MatrixXd block_host = Eigen::MatrixXd::Constant(20, 8, 7.0);
  CHECK(error_of([&] {
          ctc.value_and_gradient(x, frames, labels, counts,
                                 lossfn::out(block_host.block(0, 0, 14, 4)));
        }) == "CTCLoss: gradient has shape 14x4, expected 14x5 (the logits' shape)");
  CHECK(same_bits(block_host, Eigen::MatrixXd::Constant(20, 8, 7.0)));
  ctc.value_and_gradient(x, frames, labels, counts, lossfn::out(block_host.block(2, 1, 14, 5)));
  CHECK(block_host(0, 0) == 7.0);
  CHECK(block_host(2, 1) != 7.0);
}

TEST_CASE("CTCLoss: impossible alignments, zero_infinity, weights and empty batches",
          "[ctc][conventions]") {
  // Sequence 0 needs 4 frames for labels 1 1 2 (a blank between the 1s) and has 3.
  const Eigen::MatrixXd x = generate(11, 8, 4, 1.0);
  const Eigen::VectorXi frames = (Eigen::VectorXi(2) << 3, 5).finished();
  const Eigen::VectorXi counts = (Eigen::VectorXi(2) << 3, 2).finished();
  const Eigen::VectorXi labels = (Eigen::VectorXi(5) << 1, 1, 2, 3, 1).finished();
  const lossfn::CTCLoss ctc;
  const auto r = ctc.value_and_gradient(x, frames, labels, counts);
  CHECK(r.value == inf);
  CHECK(r.gradient.topRows(3).array().isNaN().all());
  CHECK(r.gradient.bottomRows(5).allFinite());
  const Eigen::ArrayXd u = ctc.unreduced(x, frames, labels, counts);
  CHECK(u(0) == inf);
  CHECK(std::isfinite(u(1)));
  // zero_infinity: 0 and zero rows; the other sequence's rows as before.
  const auto z =
      lossfn::CTCLoss().zero_infinity(true).value_and_gradient(x, frames, labels, counts);
  CHECK(z.value == Approx(u(1) / 2 / 2));
  CHECK(z.gradient.topRows(3).isZero(0));
  CHECK(same_bits(z.gradient.bottomRows(5), r.gradient.bottomRows(5)));
  // A weight of 0 leaves the sequence out, even an impossible one: never 0·inf.
  const Eigen::VectorXd w = (Eigen::VectorXd(2) << 0.0, 3.0).finished();
  const auto wr = ctc.value_and_gradient(x, frames, labels, counts, lossfn::weights(w));
  CHECK(wr.value == Approx(u(1) / 2));  // 3·l_1/S_1 / (0 + 3)
  CHECK(wr.gradient.topRows(3).isZero(0));
  CHECK(ctc.unreduced(x, frames, labels, counts, lossfn::weights(w))(0) == 0);
  // All weights 0 under mean: 0 and a zero gradient.
  const auto none =
      ctc.value_and_gradient(x, frames, labels, counts, lossfn::weights(Eigen::VectorXd::Zero(2)));
  CHECK(none.value == 0);
  CHECK(none.gradient.isZero(0));
  // No sequences at all.
  const Eigen::MatrixXf nothing(0, 3);
  const Eigen::VectorXi no_counts(0);
  CHECK(ctc(nothing, no_counts, no_counts, no_counts) == 0);
  CHECK(ctc.gradient(nothing, no_counts, no_counts, no_counts).size() == 0);
  CHECK(ctc.unreduced(nothing, no_counts, no_counts, no_counts).size() == 0);
}

TEST_CASE("CTCLoss: partial sums add over shards, and the shard gradient rule", "[ctc][partial]") {
  const Batch b = small_batch();
  const lossfn::CTCLoss ctc;
  const Eigen::VectorXd& w = b.weights;
  const auto whole =
      ctc.value_and_gradient(b.logits, b.frames, b.labels, b.label_counts, lossfn::weights(w));
  // Shard 0: sequences 0, 1 (rows 0–8, labels 0–2); shard 1: sequences 2, 3.
  const Eigen::MatrixXd x0 = b.logits.topRows(9), x1 = b.logits.bottomRows(5);
  const Eigen::VectorXi f0 = b.frames.head(2), f1 = b.frames.tail(2);
  const Eigen::VectorXi c0 = b.label_counts.head(2), c1 = b.label_counts.tail(2);
  const Eigen::VectorXi y0 = b.labels.head(3), y1 = b.labels.tail(2);
  const Eigen::VectorXd w0 = w.head(2), w1 = w.tail(2);
  const auto p0 = ctc.partial(x0, f0, y0, c0, lossfn::weights(w0));
  const auto p1 = ctc.partial(x1, f1, y1, c1, lossfn::weights(w1));
  CHECK(p0.weight == Approx(2.5));
  CHECK((p0 + p1).value() == Approx(whole.value).epsilon(1e-14));
  CHECK(ctc.partial(b.logits, b.frames, b.labels, b.label_counts).weight == 4);
  // Each shard's gradient under mean, times its weight over the total.
  const double total = p0.weight + p1.weight;
  const Eigen::MatrixXd g0 =
      ctc.gradient(x0, f0, y0, c0, lossfn::weights(w0)) * (p0.weight / total);
  const Eigen::MatrixXd g1 =
      ctc.gradient(x1, f1, y1, c1, lossfn::weights(w1)) * (p1.weight / total);
  CHECK((g0 - whole.gradient.topRows(9)).cwiseAbs().maxCoeff() <= 1e-15);
  CHECK((g1 - whole.gradient.bottomRows(5)).cwiseAbs().maxCoeff() <= 1e-15);
  // Under sum, the partial is the sum.
  const auto ps = lossfn::CTCLoss().reduction(lossfn::Reduction::sum).partial(x0, f0, y0, c0);
  CHECK(ps.value() == Approx(lossfn::CTCLoss().reduction(lossfn::Reduction::sum)(x0, f0, y0, c0)));
}

TEST_CASE("CTCLoss: options, traits and 16-bit logits", "[ctc][traits][half]") {
  using T = lossfn::traits<lossfn::CTCLoss>;
  static_assert(T::differentiable && !T::twice_differentiable && T::smooth && !T::convex &&
                !T::row_wise);
  static_assert(lossfn::CTCLoss::decomposable);
  // Options on a temporary return the functor by value; on an lvalue, *this.
  static_assert(std::is_same_v<decltype(lossfn::CTCLoss().blank(1)), lossfn::CTCLoss>);
  lossfn::CTCLoss named;
  static_assert(std::is_same_v<decltype(named.zero_infinity(true)), lossfn::CTCLoss&>);
  const auto& held =
      lossfn::CTCLoss().blank(2).zero_infinity(true).reduction(lossfn::Reduction::sum);
  CHECK(held.blank() == 2);
  CHECK(held.zero_infinity());
  CHECK(held.reduction() == lossfn::Reduction::sum);
  CHECK(&named.blank(3) == &named);

  // Eigen::half and bfloat16 logits compute in float: the same numbers as
  // float on the same (16-bit) values, returned rounded to the 16-bit type.
  const Batch b = small_batch();
  auto run = [&](auto tag) {
    using H = decltype(tag);
    const Eigen::Matrix<H, Eigen::Dynamic, Eigen::Dynamic> xh = b.logits.cast<float>().cast<H>();
    const Eigen::MatrixXf xf = xh.template cast<float>();
    const lossfn::CTCLoss ctc;
    const auto rh = ctc.value_and_gradient(xh, b.frames, b.labels, b.label_counts);
    const auto rf = ctc.value_and_gradient(xf, b.frames, b.labels, b.label_counts);
    CHECK(static_cast<float>(rh.value) == static_cast<float>(static_cast<H>(rf.value)));
    CHECK(same_bits(rh.gradient, rf.gradient.template cast<H>().eval()));
    const auto uh = ctc.unreduced(xh, b.frames, b.labels, b.label_counts);
    CHECK(uh.size() == 4);
    const auto p = ctc.partial(xh, b.frames, b.labels, b.label_counts);
    static_assert(std::is_same_v<decltype(p), const lossfn::Partial<float>>);
  };
  run(Eigen::half());
  run(Eigen::bfloat16());
}
