// The row-wise driver's layouts and the softmax losses' fast path:
// a column-major, strided, transposed or 16-bit pred is copied into
// row-major tiles, so every layout gives the same bits as row-major; and the
// fused gradient of SoftmaxCrossEntropy and SoftmaxFocalLoss (one exp per
// logit, written in the gradient row) agrees with a long-double reference,
// for C from 1 to beyond a tile and rows with and without class weights.
#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "catch.hpp"

namespace {

using Eigen::Index;
template <class S>
using ColMat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
template <class S>
using RowMat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Labels = Eigen::Matrix<long long, Eigen::Dynamic, 1>;

template <class S>
ColMat<S> logits(Index n, Index c, unsigned seed, double spread) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, spread);
  ColMat<S> x(n, c);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<S>(d(rng));
  if (n > 2 && c > 2) x(1, c - 1) = static_cast<S>(40);  // a row where one class dominates
  return x;
}

Labels labels(Index n, Index c, unsigned seed) {
  std::mt19937 rng(seed);
  Labels y(n);
  for (Index i = 0; i < n; ++i) y(i) = static_cast<long long>(rng() % static_cast<unsigned>(c));
  if (n > 2 && c > 2) y(1) = c - 1;
  return y;
}

template <class S>
bool same_bits(const ColMat<S>& a, const ColMat<S>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index j = 0; j < a.cols(); ++j)
    for (Index i = 0; i < a.rows(); ++i)
      if (std::memcmp(&a(i, j), &b(i, j), sizeof(S)) != 0) return false;
  return true;
}

/// value and gradient of a softmax loss, long double, sum reduction:
/// focal with γ (0: cross-entropy) and optional class weights α.
struct Reference {
  long double value = 0;
  ColMat<long double> gradient;
  /// The size of the terms each gradient entry sums (the rounding's scale:
  /// M·s_y − w_y cancels when s_y is near 1).
  ColMat<long double> magnitude;
};
template <class S>
Reference softmax_reference(const ColMat<S>& x, const Labels& y, long double gamma,
                            const std::vector<double>& alpha) {
  const Index n = x.rows(), C = x.cols();
  Reference r;
  r.gradient.resize(n, C);
  r.magnitude.resize(n, C);
  for (Index i = 0; i < n; ++i) {
    long double m = x(i, 0);
    for (Index c = 1; c < C; ++c) m = std::max<long double>(m, x(i, c));
    long double sum = 0;
    for (Index c = 0; c < C; ++c) sum += std::exp(static_cast<long double>(x(i, c)) - m);
    const Index t = static_cast<Index>(y(i));
    const long double a = alpha.empty() ? 1.0L : alpha[static_cast<size_t>(t)];
    // When class t has the largest logit, s_y is 1/(1 + rest) with rest the
    // others' share, which can be below long double's epsilon: log s_y and
    // q = 1 − s_y then come from rest, not from a rounded sum.
    long double log_sy = static_cast<long double>(x(i, t)) - m - std::log(sum);
    long double q = -std::expm1(log_sy);
    if (static_cast<long double>(x(i, t)) == m) {
      long double rest = 0;
      for (Index c = 0; c < C; ++c)
        if (c != t) rest += std::exp(static_cast<long double>(x(i, c)) - m);
      log_sy = -std::log1p(rest);
      q = rest / (1 + rest);
    }
    const long double sy = std::exp(log_sy);
    const long double factor = a * (gamma == 0 ? 1.0L : std::pow(q, gamma));
    r.value += -factor * log_sy;
    for (Index c = 0; c < C; ++c) {
      const long double sc = std::exp(static_cast<long double>(x(i, c)) - m) / sum;
      const long double rc = c == t ? -sy : (q == 0 ? 0.0L : sy * sc / q);
      const long double dls = (c == t ? 1.0L : 0.0L) - sc;
      r.gradient(i, c) = -factor * (gamma * rc * log_sy + dls);
      r.magnitude(i, c) = factor * (gamma * std::abs(rc * log_sy) + (c == t ? 1.0L : 0.0L) + sc);
    }
  }
  return r;
}

/// Whether a and b agree within `tol` relative, with an absolute floor of
/// tol·floor (gradient entries near 0, where s_y − 1 cancels).
template <class S>
bool close(const ColMat<S>& a, const ColMat<S>& b, double tol, double floor) {
  for (Index i = 0; i < a.size(); ++i) {
    const double u = static_cast<double>(a.data()[i]), v = static_cast<double>(b.data()[i]);
    if (std::isnan(u) && std::isnan(v)) continue;
    if (!(std::abs(u - v) <= tol * (std::abs(v) + floor))) return false;
  }
  return true;
}

/// The rows of a panel of Loss's lanes (rows of more than 64 classes of a
/// column-major pred).
template <class Loss, class S>
constexpr Index loss_panel_rows = Loss::panel_packets* lossfn::detail::Vec<S>::size;

/// Whether a column-major pred of this shape goes through panels (rows of
/// more than 64 classes of a softmax loss, at least one panel of rows).
template <class Loss, class S>
bool panels(const ColMat<S>& x) {
  return x.cols() > 64 && x.rows() >= loss_panel_rows<Loss, S>;
}

/// Runs f(pred) over row-major, column-major, strided Map and transposed
/// inputs, with gradients in both orders; every result must equal the
/// row-major one bitwise — but for a column-major pred and gradient of rows
/// of more than 64 classes that go through panels (the lanes' arithmetic,
/// not the row path's): those agree within a few roundings, unless the
/// loss's lanes() does row()'s arithmetic (`same_arithmetic`:
/// NegativeLogLikelihood; MultiClassHinge's Weston–Watkins row path sums
/// its packets along the row, its lanes column by column).
template <class S, class Loss>
void layouts_agree(const Loss& loss, const ColMat<S>& x, const Labels& y,
                   bool same_arithmetic = false) {
  INFO(Loss::name);
  const RowMat<S> xr = x;
  RowMat<S> g_row(x.rows(), x.cols());
  const S v_row = loss.value_and_gradient(xr, y, lossfn::out(g_row));
  const ColMat<S> expected = g_row;

  ColMat<S> g(x.rows(), x.cols());
  const S v_col =
      loss.value_and_gradient(x, y, lossfn::out(g));  // column-major in, column-major out
  const bool lanes = !same_arithmetic && Loss::has_lanes && panels<Loss>(x) && loss.lanes_apply();
  const double tol = 64 * std::numeric_limits<S>::epsilon(),
               floor = 1.0 / static_cast<double>(x.rows());
  if (lanes) {
    CHECK(std::abs(static_cast<double>(v_col) - static_cast<double>(v_row)) <=
          tol * std::abs(static_cast<double>(v_row)));
    CHECK(close(g, expected, tol, floor));
    CHECK(std::abs(static_cast<double>(loss.value(x, y)) - static_cast<double>(v_row)) <=
          tol * std::abs(static_cast<double>(v_row)));
    CHECK(same_bits(ColMat<S>(loss.gradient(x, y)), g));
    CHECK(loss.value(x, y) == v_col);
  } else {
    CHECK(v_col == v_row);
    CHECK(same_bits(g, expected));
  }

  RowMat<S> gr(x.rows(), x.cols());
  CHECK(loss.value_and_gradient(x, y, lossfn::out(gr)) == v_row);  // column-major in, row-major out
  CHECK(same_bits(ColMat<S>(gr), expected));

  // A strided Map: inner stride 2, padded columns, NaN in the gaps.
  const Index outer = 2 * x.rows() + 3;
  std::vector<S> buffer(static_cast<size_t>(outer * x.cols() + 2), std::nanf(""));
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i) buffer[static_cast<size_t>(j * outer + 2 * i)] = x(i, j);
  const Eigen::Map<const ColMat<S>, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>> strided(
      buffer.data(), x.rows(), x.cols(), Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(outer, 2));
  CHECK(loss.value_and_gradient(strided, y, lossfn::out(g)) == v_row);
  CHECK(same_bits(g, expected));

  // The transpose of a column-major C x N matrix (row-major storage, but an
  // expression) and a gradient written into a Block of a wider matrix.
  const ColMat<S> xt = x.transpose();
  ColMat<S> wide = ColMat<S>::Constant(x.rows() + 2, x.cols() + 1, S(-3));
  auto block = wide.block(1, 1, x.rows(), x.cols());
  CHECK(loss.value_and_gradient(xt.transpose(), y, lossfn::out(block)) == v_row);
  CHECK(same_bits(ColMat<S>(block), expected));
  CHECK((wide.row(0).array() == S(-3)).all());
  CHECK((wide.col(0).array() == S(-3)).all());

  // The separate calls: the same value, the same gradient.
  if (!lanes) {
    CHECK(loss.value(x, y) == v_row);
    CHECK(same_bits(ColMat<S>(loss.gradient(x, y)), expected));
  }
}

template <class S>
double tolerance(Index C) {
  return (64.0 + static_cast<double>(C) / 4.0) * std::numeric_limits<S>::epsilon();
}

template <class S>
void check_against_reference(const ColMat<S>& g, S value, const Reference& ref, Index C) {
  const double tol = tolerance<S>(C);
  CHECK(std::abs(static_cast<double>(value) - static_cast<double>(ref.value)) <=
        tol * (std::abs(static_cast<double>(ref.value)) + 1.0));
  long bad = 0;
  for (Index i = 0; i < g.rows(); ++i)
    for (Index c = 0; c < C; ++c) {
      const long double err = std::abs(static_cast<long double>(g(i, c)) - ref.gradient(i, c));
      // Below the normal range the rounding is absolute: a few times its least normal value.
      if (!(err <= tol * ref.magnitude(i, c) + 16.0L * std::numeric_limits<S>::min())) {
        if (bad == 0)
          UNSCOPED_INFO("row " << i << " class " << c << ": " << g(i, c) << " vs "
                               << static_cast<double>(ref.gradient(i, c)));
        ++bad;
      }
    }
  CHECK(bad == 0);
}

}  // namespace

TEMPLATE_TEST_CASE("row-wise losses: every layout gives the row-major bits", "[driver][rowwise]",
                   float, double) {
  using S = TestType;
  // C spans no packet, one packet, packets plus a tail, several rows per
  // tile, one row per tile (2049 floats) and, in double, rows longer than a
  // tile (2048 doubles): those are read in place on the scalar path, and a
  // row-major pred of them is not, so only the layouts of C ≤ 2048 agree
  // bitwise in double.
  // (n = 1024: a column-major pred's columns 4 KB or 8 KB apart, the
  // lanes in place, their exponentials in a tile.)
  // (17 to 64 classes: a row-major pred goes to the lanes W columns at a
  // time, the last group partial at 17, 33 and 40.)
  for (Index C : {1, 2, 3, 10, 16, 17, 33, 40, 64, 100, 1000, 2049}) {
    for (Index n : {1, 5, 37, 1024}) {
      if (C * n > 60000 || (sizeof(S) == 8 && C > 2048) || (n == 1024 && C > 17)) continue;
      CAPTURE(C, n);
      const ColMat<S> x = logits<S>(n, C, static_cast<unsigned>(C * 131 + n), 3.0);
      const Labels y = labels(n, C, static_cast<unsigned>(C + n));
      layouts_agree<S>(lossfn::SoftmaxCrossEntropy(), x, y);
      layouts_agree<S>(lossfn::SoftmaxCrossEntropy().label_smoothing(0.1), x, y);
      layouts_agree<S>(lossfn::SoftmaxFocalLoss(), x, y);
      layouts_agree<S>(lossfn::SoftmaxFocalLoss().gamma(0.5), x, y);
      layouts_agree<S>(lossfn::NegativeLogLikelihood(), x, y, true);
      layouts_agree<S>(lossfn::MultiClassHinge(), x, y);
      layouts_agree<S>(lossfn::MultiClassHinge().squared(true).margin(0.5), x, y);
      if (C >= 2) layouts_agree<S>(lossfn::MultiClassHinge().crammer_singer(true), x, y, true);
    }
  }
}

TEMPLATE_TEST_CASE("softmax losses' fused gradient against a long-double reference",
                   "[driver][rowwise]", float, double) {
  using S = TestType;
  // n = 2 panels + a packet + 3 rows: a column-major pred of more than 64
  // classes goes through panels (detail/rowwise.hpp) as well.
  const Index P = lossfn::detail::panel_rows<S>, W = P / lossfn::detail::panel_packets;
  for (Index C : {1, 2, 7, 16, 33, 65, 100, 1000, 3000, 5000}) {
    for (Index n : {Index(1), Index(9), 2 * P + W + 3}) {
      if (n > 9 && (C < 65 || C > 1000)) continue;
      CAPTURE(C, n);
      const ColMat<S> x = logits<S>(n, C, static_cast<unsigned>(7 * C + n), 4.0);
      const Labels y = labels(n, C, static_cast<unsigned>(3 * C + n));
      std::vector<double> alpha(static_cast<size_t>(C));
      for (Index c = 0; c < C; ++c)
        alpha[static_cast<size_t>(c)] = 0.25 + 0.5 * static_cast<double>(c % 4);
      for (double gamma : {0.0, 0.5, 2.0}) {
        for (bool weighted : {false, true}) {
          CAPTURE(gamma, weighted);
          const Reference ref =
              softmax_reference(x, y, gamma, weighted ? alpha : std::vector<double>{});
          ColMat<S> g(n, C);
          RowMat<S> gr(n, C);
          if (gamma == 0) {
            auto loss = lossfn::SoftmaxCrossEntropy().reduction(lossfn::Reduction::sum);
            if (weighted) loss.class_weights(alpha);
            const S v = loss.value_and_gradient(x, y, lossfn::out(g));
            check_against_reference<S>(g, v, ref, C);
            const S vr = loss.value_and_gradient(RowMat<S>(x), y, lossfn::out(gr));
            check_against_reference<S>(ColMat<S>(gr), vr, ref, C);
          }
          auto focal = lossfn::SoftmaxFocalLoss().gamma(gamma).reduction(lossfn::Reduction::sum);
          if (weighted) focal.class_weights(alpha);
          const S v = focal.value_and_gradient(x, y, lossfn::out(g));
          check_against_reference<S>(g, v, ref, C);
          const S vr = focal.value_and_gradient(RowMat<S>(x), y, lossfn::out(gr));
          check_against_reference<S>(ColMat<S>(gr), vr, ref, C);
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("softmax lanes: rows whose maximum is tied", "[driver][rowwise]", float,
                   double) {
  using S = TestType;
  // Rows of ≤ 64 classes go through the lanes, which leave every column
  // equal to the maximum out of the sum of exponentials and add 1 back for
  // each after the first, and find the first such column (argmax) only for
  // the Hessian and focal loss. Rows with 2 to 4 tied maxima (the label on
  // the first, on a later one, elsewhere) and constant rows, in packets
  // and a partial one, against the long-double reference; the Hessian's
  // diagonal s_c·(1 − s_c) against its long-double value.
  for (Index C : {Index(2), Index(3), Index(10), Index(17), Index(40)}) {
    const Index n = 37;
    CAPTURE(C);
    ColMat<S> x = logits<S>(n, C, static_cast<unsigned>(11 * C), 2.0);
    Labels y = labels(n, C, static_cast<unsigned>(13 * C));
    for (Index i = 0; i < n; ++i) {
      if (i % 5 == 4) {  // constant: every column is tied
        x.row(i).setConstant(S(0.25));
        continue;
      }
      const Index ties = std::min<Index>(C, 2 + i % 3);
      std::vector<Index> at;
      const Index step = C % 3 == 0 ? 1 : 3;  // coprime to C: reaches every column
      for (Index k = 0; static_cast<Index>(at.size()) < ties; ++k) {
        const Index c = (i * 7 + k * step) % C;
        if (std::find(at.begin(), at.end(), c) == at.end()) at.push_back(c);
      }
      for (Index c = 0; c < C; ++c) x(i, c) = std::min(x(i, c), S(4));
      for (Index c : at) x(i, c) = S(5);
      std::sort(at.begin(), at.end());
      if (i % 3 == 0) y(i) = at.front();
      if (i % 3 == 1) y(i) = at.back();
      if (i % 3 == 2 && ties < C) {
        Index c = 0;
        while (std::find(at.begin(), at.end(), c) != at.end()) ++c;
        y(i) = c;
      }
    }
    for (double gamma : {0.0, 2.0}) {
      CAPTURE(gamma);
      const Reference ref = softmax_reference(x, y, gamma, {});
      ColMat<S> g(n, C), h(n, C);
      RowMat<S> gr(n, C);
      if (gamma == 0) {
        // (Each call before the check that reads its output: the order in
        // which a call's arguments are evaluated is unspecified.)
        const auto loss = lossfn::SoftmaxCrossEntropy().reduction(lossfn::Reduction::sum);
        const S v = loss.value_and_gradient(x, y, lossfn::out(g));
        check_against_reference<S>(g, v, ref, C);
        const S vr = loss.value_and_gradient(RowMat<S>(x), y, lossfn::out(gr));
        check_against_reference<S>(ColMat<S>(gr), vr, ref, C);
        const S vh = loss.value_gradient_hessian(x, y, lossfn::out(g), lossfn::out(h));
        check_against_reference<S>(g, vh, ref, C);
        long bad = 0;
        for (Index i = 0; i < n; ++i) {
          long double m = x(i, 0), sum = 0;
          for (Index c = 1; c < C; ++c) m = std::max<long double>(m, x(i, c));
          for (Index c = 0; c < C; ++c) sum += std::exp(static_cast<long double>(x(i, c)) - m);
          for (Index c = 0; c < C; ++c) {
            const long double s = std::exp(static_cast<long double>(x(i, c)) - m) / sum;
            bad += !(std::abs(static_cast<long double>(h(i, c)) - s * (1 - s)) <=
                     tolerance<S>(C) * s + 16.0L * std::numeric_limits<S>::min());
          }
        }
        CHECK(bad == 0);
        layouts_agree<S>(loss, x, y);
      } else {
        const auto loss = lossfn::SoftmaxFocalLoss().gamma(gamma).reduction(lossfn::Reduction::sum);
        const S v = loss.value_and_gradient(x, y, lossfn::out(g));
        check_against_reference<S>(g, v, ref, C);
        const S vr = loss.value_and_gradient(RowMat<S>(x), y, lossfn::out(gr));
        check_against_reference<S>(ColMat<S>(gr), vr, ref, C);
        layouts_agree<S>(loss, x, y);
      }
    }
  }
}

TEST_CASE("softmax fast path: the Hessian call's gradient (general path) agrees",
          "[driver][rowwise]") {
  // value_and_gradient takes the one-exp path; asking for the Hessian too
  // takes the general path (two exps). The two must agree closely.
  const ColMat<float> x = logits<float>(13, 40, 5u, 5.0);
  const Labels y = labels(13, 40, 6u);
  for (double gamma : {0.0, 2.0}) {
    ColMat<float> g1(13, 40), g2(13, 40), h(13, 40);
    float v1, v2;
    if (gamma == 0) {
      const lossfn::SoftmaxCrossEntropy loss;
      v1 = loss.value_and_gradient(x, y, lossfn::out(g1));
      v2 = loss.value_gradient_hessian(x, y, lossfn::out(g2), lossfn::out(h));
    } else {
      const auto loss = lossfn::SoftmaxFocalLoss().gamma(gamma);
      v1 = loss.value_and_gradient(x, y, lossfn::out(g1));
      v2 = loss.value_gradient_hessian(x, y, lossfn::out(g2), lossfn::out(h));
    }
    CHECK(v1 == v2);
    CHECK(((g1 - g2).array().abs() <= 1e-6f * (g2.array().abs() + 1e-6f)).all());
  }
}

TEST_CASE("softmax losses: ignored rows and weights on the tiled path", "[driver][rowwise]") {
  ColMat<float> x = logits<float>(40, 24, 9u, 2.0);
  Labels y = labels(40, 24, 10u);
  y(3) = -100;
  y(17) = -100;
  Eigen::VectorXf w = Eigen::VectorXf::LinSpaced(40, 0.0f, 2.0f);
  const auto loss = lossfn::SoftmaxCrossEntropy().ignore_index(-100);
  ColMat<float> g(40, 24);
  RowMat<float> gr(40, 24);
  const float v = loss.value_and_gradient(x, y, lossfn::weights(w), lossfn::out(g));
  const float vr =
      loss.value_and_gradient(RowMat<float>(x), y, lossfn::weights(w), lossfn::out(gr));
  CHECK(v == vr);
  CHECK(same_bits(g, ColMat<float>(gr)));
  CHECK((g.row(3).array() == 0.0f).all());
  CHECK((g.row(17).array() == 0.0f).all());
  CHECK((g.row(0).array() == 0.0f).all());  // weight 0
  CHECK(g.row(20).array().abs().sum() > 0.0f);
}

/// same_bits, but any two NaNs agree (the sign of a NaN is not a result).
template <class S>
bool same_bits_or_nan(const ColMat<S>& a, const ColMat<S>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index i = 0; i < a.size(); ++i)
    if (std::memcmp(a.data() + i, b.data() + i, sizeof(S)) != 0 &&
        !(a.data()[i] != a.data()[i] && b.data()[i] != b.data()[i]))
      return false;
  return true;
}

/// value, gradient and Hessian of `loss` for pred x (any layout), sum reduction.
template <class S, class Loss, class X>
S all_three(const Loss& loss, const X& x, const Labels& y,
            const Eigen::Matrix<S, Eigen::Dynamic, 1>& w, ColMat<S>& g, ColMat<S>& h) {
  g.resize(x.rows(), x.cols());
  h.resize(x.rows(), x.cols());
  return loss.value_gradient_hessian(x, y, lossfn::weights(w), lossfn::out(g), lossfn::out(h));
}

TEMPLATE_TEST_CASE(
    "lanes in place at power-of-two N (columns 4 KB-multiple apart): the row-major bits",
    "[driver][rowwise]", float, double) {
  using S = TestType;
  // 2048 rows of 10 classes: columns 8 KB (float) or 16 KB (double) apart,
  // a column-major pred and gradient read and written in place (the
  // exponentials between the passes in a tile: never in the caller's
  // columns); a row-major one through the lanes' tiles: the same
  // arithmetic. Rows with NaN, +inf and
  // −inf logits (their group of lanes declines and goes row by row, in
  // place), ignored rows and sample weights, across blocks.
  const Index n = 2048, C = 10;
  ColMat<S> x = logits<S>(n, C, 21u, 3.0);
  Labels y = labels(n, C, 22u), y_ignored = y;
  x(300, 2) = std::numeric_limits<S>::quiet_NaN();
  x(301, 5) = std::numeric_limits<S>::infinity();
  x(777, 0) = -std::numeric_limits<S>::infinity();
  x(1500, 9) = std::numeric_limits<S>::infinity();
  for (Index i : {5, 6, 290, 1023, 1024, 2047}) y_ignored(i) = -100;
  Eigen::Matrix<S, Eigen::Dynamic, 1> w(n);
  for (Index i = 0; i < n; ++i) w(i) = static_cast<S>(0.25 + static_cast<double>(i % 7) / 3.0);
  w(40) = S(0);
  auto check = [&](const auto& loss, const Labels& labels) {
    INFO(std::decay_t<decltype(loss)>::name);
    ColMat<S> g, h, gr, hr;
    const S v = all_three<S>(loss, x, labels, w, g, h);
    const S vr = all_three<S>(loss, RowMat<S>(x), labels, w, gr, hr);
    CHECK((v == vr || (v != v && vr != vr)));
    CHECK(same_bits(g, gr));
    CHECK(same_bits(h, hr));
    // The NaN stays in its row (its group's other rows are finite).
    CHECK(std::isfinite(static_cast<double>(g(299, 0))));
    CHECK(std::isfinite(static_cast<double>(g(302, 0))));
    ColMat<S> g_fused(n, C);
    loss.value_and_gradient(x, labels, lossfn::weights(w), lossfn::out(g_fused));
    // (The fused gradient against the Hessian call's: a NaN's sign may differ.)
    CHECK(same_bits_or_nan(g_fused, g));
    CHECK(same_bits(ColMat<S>(loss.gradient(x, labels, lossfn::weights(w))), g_fused));
  };
  check(lossfn::SoftmaxCrossEntropy().reduction(lossfn::Reduction::sum).ignore_index(-100),
        y_ignored);
  check(lossfn::SoftmaxFocalLoss().reduction(lossfn::Reduction::sum).ignore_index(-100), y_ignored);
  check(lossfn::NegativeLogLikelihood().reduction(lossfn::Reduction::sum).ignore_index(-100),
        y_ignored);
  check(lossfn::MultiClassHinge().reduction(lossfn::Reduction::sum), y);
  check(lossfn::MultiClassHinge().squared(true), y);
  check(lossfn::SoftmaxCrossEntropy(), y);
  // Ignored rows have zero derivatives, whatever the loss wrote in their lanes.
  ColMat<S> g(n, C);
  lossfn::SoftmaxCrossEntropy().ignore_index(-100).value_and_gradient(x, y_ignored, lossfn::out(g));
  for (Index i : {5, 6, 290, 1023, 1024, 2047}) CHECK((g.row(i).array() == S(0)).all());
}

TEMPLATE_TEST_CASE("wide rows of a column-major pred go through panels", "[driver][rowwise]", float,
                   double) {
  using S = TestType;
  // Rows of more than 64 classes in a column-major pred and gradient: panels
  // of panel_rows rows (128 floats with AVX-512, 32 with SSE2), column by
  // column; the rows after the last whole panel a packet at a time in place,
  // and the last few one by one. n covers all three.
  const Index P = lossfn::detail::panel_rows<S>, W = P / lossfn::detail::panel_packets;
  const Index n = 2 * P + W + 3;
  const double tol = 64 * std::numeric_limits<S>::epsilon();
  for (Index C : {65, 100, 1000}) {
    CAPTURE(C, n);
    const ColMat<S> x = logits<S>(n, C, static_cast<unsigned>(11 * C), 4.0);
    const Labels y = labels(n, C, static_cast<unsigned>(5 * C));
    std::vector<double> alpha(static_cast<size_t>(C));
    for (Index c = 0; c < C; ++c)
      alpha[static_cast<size_t>(c)] = 0.25 + 0.5 * static_cast<double>(c % 4);

    // (Against the long-double reference: the test case above, at this n.)
    // Against the row-major result (the row path), with separate calls.
    layouts_agree<S>(lossfn::SoftmaxCrossEntropy(), x, y);
    layouts_agree<S>(lossfn::SoftmaxFocalLoss(), x, y);
    layouts_agree<S>(lossfn::SoftmaxFocalLoss().gamma(0.5), x, y);
    // NegativeLogLikelihood's lanes do row()'s arithmetic: the row-major
    // bits. MultiClassHinge's row path sums along the row: a few roundings.
    layouts_agree<S>(lossfn::MultiClassHinge(), x, y);
    layouts_agree<S>(lossfn::NegativeLogLikelihood(), x, y, true);
    layouts_agree<S>(lossfn::NegativeLogLikelihood().class_weights(alpha), x, y, true);
    layouts_agree<S>(lossfn::MultiClassHinge().squared(true).class_weights(alpha), x, y);

    // The Hessian, written in place too.
    for (double gamma : {0.0, 2.0}) {
      CAPTURE(gamma);
      ColMat<S> g(n, C), h(n, C);
      RowMat<S> gr(n, C), hr(n, C);
      S v, vr;
      if (gamma == 0) {
        const lossfn::SoftmaxCrossEntropy loss;
        v = loss.value_gradient_hessian(x, y, lossfn::out(g), lossfn::out(h));
        vr = loss.value_gradient_hessian(RowMat<S>(x), y, lossfn::out(gr), lossfn::out(hr));
      } else {
        const auto loss = lossfn::SoftmaxFocalLoss().gamma(gamma);
        v = loss.value_gradient_hessian(x, y, lossfn::out(g), lossfn::out(h));
        vr = loss.value_gradient_hessian(RowMat<S>(x), y, lossfn::out(gr), lossfn::out(hr));
      }
      CHECK(std::abs(static_cast<double>(v - vr)) <= tol * std::abs(static_cast<double>(vr)));
      CHECK(close(g, ColMat<S>(gr), tol, 1.0 / static_cast<double>(n)));
      CHECK(close(h, ColMat<S>(hr), tol, 1.0 / static_cast<double>(n)));
    }
    {
      // MultiClassHinge squared: row-major rows go a packet of classes at a
      // time (the Hessian written entry by entry from each packet), the
      // panels column by column; the Hessian call's value is the value's.
      const auto loss = lossfn::MultiClassHinge().squared(true).margin(2.0);
      ColMat<S> g(n, C), h(n, C);
      RowMat<S> gr(n, C), hr(n, C);
      const S v = loss.value_gradient_hessian(x, y, lossfn::out(g), lossfn::out(h));
      const S vr = loss.value_gradient_hessian(RowMat<S>(x), y, lossfn::out(gr), lossfn::out(hr));
      CHECK(std::abs(static_cast<double>(v - vr)) <= tol * std::abs(static_cast<double>(vr)));
      CHECK(close(g, ColMat<S>(gr), tol, 1.0 / static_cast<double>(n)));
      CHECK(close(h, ColMat<S>(hr), tol, 1.0 / static_cast<double>(n)));
      CHECK(loss(RowMat<S>(x), y) == vr);
      CHECK(loss(x, y) == v);
      CHECK((hr.array() > S(0)).any());  // some terms active: the check can fail
    }

    // Ignored rows (one holding NaN), sample weights, and rows holding NaN
    // that are not ignored: a panel or packet holding one takes its rows one
    // by one (the row path: NaN in that row only).
    ColMat<S> x2 = x;
    Labels y2 = y;
    y2(3) = -100;
    y2(P + 5) = -100;
    x2(P + 5, 7) = std::numeric_limits<S>::quiet_NaN();
    const Eigen::Matrix<S, Eigen::Dynamic, 1> w =
        Eigen::Matrix<S, Eigen::Dynamic, 1>::LinSpaced(n, S(0), S(2));
    for (bool nan_rows : {false, true}) {
      CAPTURE(nan_rows);
      if (nan_rows) {
        x2(10, 20) = std::numeric_limits<S>::quiet_NaN();        // in the first panel
        x2(2 * P + 1, 0) = std::numeric_limits<S>::quiet_NaN();  // in the packet after the panels
      }
      for (double gamma : {0.0, 2.0}) {
        CAPTURE(gamma);
        ColMat<S> g(n, C);
        RowMat<S> gr(n, C);
        S v, vr;
        if (gamma == 0) {
          const auto loss = lossfn::SoftmaxCrossEntropy().ignore_index(-100);
          v = loss.value_and_gradient(x2, y2, lossfn::weights(w), lossfn::out(g));
          vr = loss.value_and_gradient(RowMat<S>(x2), y2, lossfn::weights(w), lossfn::out(gr));
        } else {
          const auto loss = lossfn::SoftmaxFocalLoss().gamma(gamma).ignore_index(-100);
          v = loss.value_and_gradient(x2, y2, lossfn::weights(w), lossfn::out(g));
          vr = loss.value_and_gradient(RowMat<S>(x2), y2, lossfn::weights(w), lossfn::out(gr));
        }
        const ColMat<S> expected = gr;
        CHECK(close(g, expected, tol, 1.0 / static_cast<double>(n)));
        CHECK((g.row(3).array() == S(0)).all());
        CHECK((g.row(P + 5).array() == S(0)).all());
        CHECK((g.row(0).array() == S(0)).all());  // weight 0
        CHECK(g.row(P + 6).array().abs().sum() > S(0));
        if (nan_rows) {
          CHECK(std::isnan(v));
          CHECK(g.row(10).array().isNaN().all());
          CHECK(g.row(2 * P + 1).array().isNaN().all());
          CHECK(g.row(11).array().isFinite().all());
          CHECK(g.row(2 * P).array().isFinite().all());
          // The rows of row 10's panel (the softmax losses' panels: 4
          // packets) took the row path: the row-major bits.
          const Index panel = loss_panel_rows<lossfn::SoftmaxCrossEntropy, S>,
                      start = 10 / panel * panel;
          static_assert(loss_panel_rows<lossfn::SoftmaxFocalLoss, S> ==
                        loss_panel_rows<lossfn::SoftmaxCrossEntropy, S>);
          CHECK(same_bits(ColMat<S>(g.middleRows(start, panel)),
                          ColMat<S>(expected.middleRows(start, panel))));
        } else {
          CHECK(std::abs(static_cast<double>(v - vr)) <= tol * std::abs(static_cast<double>(vr)));
          CHECK(g.array().isFinite().all());
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("panels' one-pass softmax: rescaled sums, -inf and +inf logits",
                   "[driver][rowwise]", float, double) {
  using S = TestType;
  // A panel (more than 64 classes, column-major) takes each row's maximum
  // and sum of exponentials in one pass, rescaling the sum at every new
  // running maximum: an ascending row rescales at every column. Rows
  // ascending, descending, constant (ties: the first largest is argmax) and
  // random, against the long-double reference; a leading −inf (the lanes
  // decline: the row path) and one in the middle (the lanes take it).
  const Index P = lossfn::detail::panel_rows<S>, W = P / lossfn::detail::panel_packets;
  const Index n = 2 * P + W + 3;
  constexpr S inf = std::numeric_limits<S>::infinity();
  for (Index C : {Index(100), Index(1000)}) {
    CAPTURE(C);
    ColMat<S> x = logits<S>(n, C, static_cast<unsigned>(C), 3.0);
    Labels y = labels(n, C, static_cast<unsigned>(C + 1));
    for (Index i = 0; i < n; ++i) {
      const double step = 0.01 * static_cast<double>(1 + i % 3);
      for (Index c = 0; c < C; ++c) {
        if (i % 4 == 0) x(i, c) = static_cast<S>(step * static_cast<double>(c) - 2.0);
        if (i % 4 == 1) x(i, c) = static_cast<S>(3.0 - step * static_cast<double>(c));
        if (i % 4 == 2) x(i, c) = S(0.5);
      }
      y(i) = 5 + i % (C - 5);  // never one of the −inf columns below
    }
    x(5, 0) = -inf;
    x(6, 3) = -inf;
    x(7, 0) = x(7, 1) = x(7, 2) = -inf;
    REQUIRE(panels<lossfn::SoftmaxCrossEntropy>(x));
    for (double gamma : {0.0, 2.0}) {
      CAPTURE(gamma);
      const Reference ref = softmax_reference(x, y, gamma, {});
      ColMat<S> g(n, C);
      S v;
      if (gamma == 0)
        v = lossfn::SoftmaxCrossEntropy()
                .reduction(lossfn::Reduction::sum)
                .value_and_gradient(x, y, lossfn::out(g));
      else
        v = lossfn::SoftmaxFocalLoss()
                .gamma(gamma)
                .reduction(lossfn::Reduction::sum)
                .value_and_gradient(x, y, lossfn::out(g));
      check_against_reference<S>(g, v, ref, C);
      CHECK(g(5, 0) == S(0));
      CHECK(g(6, 3) == S(0));
    }
    // +inf in a panel: its rows take the row path, whose limits the
    // row-major call gives too (row 9's label is the infinite class: 0).
    x(9, 50) = inf;
    y(9) = 50;
    const auto loss = lossfn::SoftmaxCrossEntropy();
    ColMat<S> g(n, C);
    RowMat<S> gr(n, C);
    const S v = loss.value_and_gradient(x, y, lossfn::out(g)),
            vr = loss.value_and_gradient(RowMat<S>(x), y, lossfn::out(gr));
    CHECK(std::isfinite(static_cast<double>(v)));
    CHECK(std::abs(static_cast<double>(v - vr)) <=
          64 * std::numeric_limits<S>::epsilon() * std::abs(static_cast<double>(vr)));
    CHECK(same_bits(ColMat<S>(g.row(9)), ColMat<S>(ColMat<S>(gr).row(9))));
    CHECK(close(g, ColMat<S>(gr), 64 * std::numeric_limits<S>::epsilon(),
                1.0 / static_cast<double>(n)));
  }
}
