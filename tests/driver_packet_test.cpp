// The SIMD primitives of detail/packet.hpp, packet_x86.hpp and vector_math.hpp against their scalar
// versions over wide ranges, and every vectorized loss's SIMD path against its
// scalar path (the reference) on the same numbers.
#include <lossfn/lossfn.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "catch.hpp"

namespace {

using lossfn::detail::Vec;

/// |a − b| in units of b's ulp (the spacing at |b|; the smallest subnormal's at 0).
template <class S>
double ulps(S a, S b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b) ? 0 : 1e300;
  if (a == b) return 0;
  if (std::isinf(a) || std::isinf(b)) return 1e300;
  const S spacing = std::nextafter(std::abs(b), std::numeric_limits<S>::infinity()) - std::abs(b);
  return std::abs(static_cast<double>(a) - static_cast<double>(b)) / static_cast<double>(spacing);
}

/// The worst ulp distance of packet(x) from scalar(x) over xs.
template <class S, class Packet, class Scalar>
double worst_ulps(const std::vector<S>& xs, Packet packet, Scalar scalar) {
  constexpr int W = Vec<S>::size;
  double worst = 0;
  for (size_t i = 0; i + W <= xs.size(); i += W) {
    S out[W];
    packet(Vec<S>::load(xs.data() + i)).store(out);
    for (int l = 0; l < W; ++l) {
      const double u = ulps(out[l], static_cast<S>(scalar(xs[i + static_cast<size_t>(l)])));
      if (u > worst) {
        worst = u;
        if (u > 1e6) UNSCOPED_INFO("x = " << xs[i + static_cast<size_t>(l)] << ": " << out[l]);
      }
    }
  }
  return worst;
}

template <class S>
std::vector<S> range(double lo, double hi, int n) {
  std::vector<S> xs;
  for (int i = 0; i < n; ++i) xs.push_back(static_cast<S>(lo + (hi - lo) * i / (n - 1)));
  return xs;
}
template <class S>
std::vector<S> log_range(double lo, double hi, int n) {  // lo, hi > 0
  std::vector<S> xs;
  for (int i = 0; i < n; ++i)
    xs.push_back(static_cast<S>(lo * std::pow(hi / lo, static_cast<double>(i) / (n - 1))));
  return xs;
}

template <class S>
S apply(S (*f)(const S&), S x) {
  return f(x);
}

}  // namespace

TEMPLATE_TEST_CASE("packet comparisons, masks and select agree with scalars lane by lane",
                   "[driver][packet]", float, double) {
  // Masks are k registers with AVX-512 and packets elsewhere (MaskOps): the
  // same predicates either way, NaN lanes included (false but for !=).
  using S = TestType;
  using V = Vec<S>;
  using lossfn::detail::Mask;
  constexpr int W = V::size;
  const S inf = std::numeric_limits<S>::infinity(), nan = std::numeric_limits<S>::quiet_NaN();
  const std::vector<S> values{-inf, S(-1), S(-0.0), S(0), S(1), S(2), inf, nan};
  const size_t n = values.size();
  // Every pair (values[i], values[j]), W pairs to a packet.
  std::vector<S> as, bs;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      as.push_back(values[i]);
      bs.push_back(values[j]);
    }
  while (as.size() % W) {
    as.push_back(S(0));
    bs.push_back(S(1));
  }
  auto lanes = [](const Mask<S>& m) {  // the mask as 1/0 per lane, through select
    S out[W];
    lossfn::detail::select(m, V(1), V(0)).store(out);
    return std::vector<S>(out, out + W);
  };
  for (size_t k = 0; k < as.size(); k += W) {
    const V a = V::load(as.data() + k), b = V::load(bs.data() + k);
    const std::vector<S> lt = lanes(a < b), le = lanes(a <= b), gt = lanes(a > b),
                         ge = lanes(a >= b), eq = lanes(a == b), ne = lanes(a != b),
                         both = lanes(a < b && a <= b), either = lanes(a < b || a == b),
                         neither = lanes(!(a < b || a == b));
    S picked[W];
    lossfn::detail::select(a < b, a, b).store(picked);
    bool any_lt = false;
    for (int l = 0; l < W; ++l) {
      const S x = as[k + static_cast<size_t>(l)], y = bs[k + static_cast<size_t>(l)];
      INFO(x << " vs " << y);
      CHECK(lt[static_cast<size_t>(l)] == S(x < y));
      CHECK(le[static_cast<size_t>(l)] == S(x <= y));
      CHECK(gt[static_cast<size_t>(l)] == S(x > y));
      CHECK(ge[static_cast<size_t>(l)] == S(x >= y));
      CHECK(eq[static_cast<size_t>(l)] == S(x == y));
      CHECK(ne[static_cast<size_t>(l)] == S(x != y));
      CHECK(both[static_cast<size_t>(l)] == S(x < y && x <= y));
      CHECK(either[static_cast<size_t>(l)] == S(x < y || x == y));
      CHECK(neither[static_cast<size_t>(l)] == S(!(x < y || x == y)));
      const S want = x < y ? x : y;
      CHECK((std::isnan(want) ? std::isnan(picked[l]) : picked[l] == want));
      any_lt = any_lt || x < y;
    }
    CHECK((a < b).any() == any_lt);
  }
  CHECK_FALSE(Mask<S>::none().any());
  CHECK((!Mask<S>::none()).any());
}

TEMPLATE_TEST_CASE("transpose: W packets of W lanes, rows to columns in registers; store_first",
                   "[driver][packet]", float, double) {
  using S = TestType;
  using P = typename Vec<S>::Packet;
  constexpr int W = Vec<S>::size;
  // Entry (k, l) is k·W + l + 1, distinct and exact.
  S block[W * W], out[W * W];
  for (int i = 0; i < W * W; ++i) block[i] = static_cast<S>(i + 1);
  P r[W];
  for (int k = 0; k < W; ++k) r[k] = Vec<S>::load(block + k * W).p;
  lossfn::detail::transpose<S>(r);
  for (int c = 0; c < W; ++c) Vec<S>(r[c]).store(out + c * W);
  for (int c = 0; c < W; ++c)
    for (int k = 0; k < W; ++k) {
      INFO("column " << c << ", row " << k);
      CHECK(out[c * W + k] == block[k * W + c]);
    }
  // Twice is the identity.
  lossfn::detail::transpose<S>(r);
  for (int k = 0; k < W; ++k) Vec<S>(r[k]).store(out + k * W);
  for (int i = 0; i < W * W; ++i) CHECK(out[i] == block[i]);
  // store_first writes lanes [0, n) and nothing after them.
  for (int n = 0; n <= W; ++n) {
    S to[2 * W];
    for (int i = 0; i < 2 * W; ++i) to[i] = S(-1);
    lossfn::detail::store_first<S>(to, Vec<S>::load(block).p, n);
    for (int i = 0; i < 2 * W; ++i) CHECK(to[i] == (i < n ? block[i] : S(-1)));
  }
}

TEMPLATE_TEST_CASE("packet primitives match std:: within their stated ulps", "[driver][packet]",
                   float, double) {
  using S = TestType;
  using V = Vec<S>;
  namespace d = lossfn::detail;
  const bool single = std::is_same_v<S, float>;
  const double hi = single ? 88.0 : 709.0;
  // exp: Eigen's pexp, ≤ 4 ulp where the result is normal (2 with SSE2; its
  // float polynomial with AVX-512's FMA reaches 4).
  CHECK(worst_ulps<S>(
            range<S>(single ? -87.0 : -707.0, hi, 200001), [](const V& x) { return d::exp(x); },
            [](S x) { return std::exp(x); }) <= 4);
  // ... and where it is subnormal, down to 0 (exp(x/2)², whose error in
  // units of the smallest subnormal stays below 8; Eigen's pexp gave 0 there
  // with AVX-512 and 2.9e-39 with SSE2).
  CHECK(worst_ulps<S>(
            range<S>(single ? -104.0 : -746.0, single ? -87.0 : -708.0, 200001),
            [](const V& x) { return d::exp(x); }, [](S x) { return std::exp(x); }) <= 8);
  // exp_nonpositive (x ≤ 0: no overflow check): the same bounds, and the
  // same bits as exp, over both ranges.
  CHECK(worst_ulps<S>(
            range<S>(single ? -87.0 : -707.0, 0.0, 200001),
            [](const V& x) { return d::exp_nonpositive(x); },
            [](S x) { return std::exp(x); }) <= 4);
  CHECK(worst_ulps<S>(
            range<S>(single ? -104.0 : -746.0, single ? -87.0 : -708.0, 200001),
            [](const V& x) { return d::exp_nonpositive(x); },
            [](S x) { return std::exp(x); }) <= 8);
  CHECK(worst_ulps<S>(
            range<S>(single ? -104.0 : -746.0, 0.0, 200001),
            [](const V& x) { return d::exp_nonpositive(x); },
            [](S x) { return d::first_lane(d::exp(V(x))); }) == 0);
  CHECK(std::isnan(d::first_lane(d::exp_nonpositive(V(std::numeric_limits<S>::quiet_NaN())))));
  // log: Eigen's plog, ≤ 2 ulp over positive normal numbers.
  CHECK(worst_ulps<S>(
            log_range<S>(single ? 1e-37 : 1e-300, single ? 1e37 : 1e300, 200001),
            [](const V& x) { return d::log(x); }, [](S x) { return std::log(x); }) <= 2);
  // log1p: Kahan's log(u)·x/(u − 1), ≤ 4 ulp.
  CHECK(worst_ulps<S>(
            range<S>(-0.999, 3.0, 200001), [](const V& x) { return d::log1p(x); },
            [](S x) { return std::log1p(x); }) <= 4);
  CHECK(worst_ulps<S>(
            log_range<S>(1e-30, 1e6, 200001), [](const V& x) { return d::log1p(x); },
            [](S x) { return std::log1p(x); }) <= 4);
  // log1p_unit (softplus's tail): ≤ 2 ulp over [0, 1].
  CHECK(worst_ulps<S>(
            range<S>(0.0, 1.0, 200001), [](const V& x) { return d::log1p_unit(x); },
            [](S x) { return std::log1p(x); }) <= 2);
  CHECK(worst_ulps<S>(
            log_range<S>(single ? 1e-38 : 1e-300, 1.0, 200001),
            [](const V& x) { return d::log1p_unit(x); }, [](S x) { return std::log1p(x); }) <= 2);
  // The stable compositions of math.hpp, packet against scalar: softplus
  // and sigmoid within 6 ulp (from exp and log1p_unit).
  const std::vector<S> logits = range<S>(single ? -87.0 : -700.0, single ? 87.0 : 700.0, 200001);
  CHECK(worst_ulps<S>(
            logits, [](const V& x) { return d::softplus(x); },
            [](S x) { return d::softplus(x); }) <= 6);
  CHECK(worst_ulps<S>(
            logits, [](const V& x) { return d::sigmoid(x); }, [](S x) { return d::sigmoid(x); }) <=
        6);
  // sinh and tanh (log-cosh): ≤ 8 and 4 ulp of std::, near 0 (the series),
  // across the switch at 1 (sinh) and 0.55 (tanh), and out to overflow.
  // (sinh's large branch squares e^{|x|/2}, doubling exp's error: 5 ulp
  // measured with SSE2, 6 with AVX-512.)
  const std::vector<S> small = log_range<S>(single ? 1e-30 : 1e-300, 2.0, 200001);
  const std::vector<S> wide = range<S>(single ? -89.0 : -710.0, single ? 89.0 : 710.0, 200001);
  for (const auto* xs : {&small, &wide}) {
    CHECK(worst_ulps<S>(
              *xs, [](const V& x) { return d::sinh(x); }, [](S x) { return std::sinh(x); }) <= 8);
    CHECK(worst_ulps<S>(
              *xs, [](const V& x) { return d::tanh(x); }, [](S x) { return std::tanh(x); }) <= 4);
  }
  // pow_option (focal γ): exp(γ·log u), within (2 + 2|γ log u|) ulp over u ∈ [1e-6, 1].
  for (const double g : {0.0, 0.5, 1.0, 2.0, 2.5, 5.0}) {
    INFO("gamma = " << g);
    CHECK(worst_ulps<S>(
              log_range<S>(1e-6, 1.0, 20001), [g](const V& x) { return d::pow_option(x, g); },
              [g](S x) { return d::pow_option(x, g); }) <= 2 + 2 * g * 14);
  }

  // Limits and NaN, lane by lane.
  const S inf = std::numeric_limits<S>::infinity(), nan = std::numeric_limits<S>::quiet_NaN();
  std::vector<S> special = {inf,
                            -inf,
                            nan,
                            S(0),
                            S(-0.0),
                            S(1e4),
                            S(-1e4),
                            std::numeric_limits<S>::max(),
                            std::numeric_limits<S>::lowest(),
                            std::numeric_limits<S>::min(),
                            S(-1),
                            S(1)};
  while (special.size() % V::size) special.push_back(S(0.5));
  for (size_t i = 0; i < special.size(); i += V::size) {
    S e[V::size], l1[V::size], sp[V::size], sg[V::size], sh[V::size], th[V::size];
    const V x = V::load(special.data() + i);
    d::sinh(x).store(sh);
    d::tanh(x).store(th);
    d::exp(x).store(e);
    d::log1p(x).store(l1);
    d::softplus(x).store(sp);
    d::sigmoid(x).store(sg);
    for (int l = 0; l < V::size; ++l) {
      const S v = special[i + static_cast<size_t>(l)];
      INFO("x = " << v);
      CHECK(ulps(e[l], std::exp(v)) <= 4);
      CHECK(ulps(l1[l], std::log1p(v)) <= 4);
      CHECK(ulps(sp[l], d::softplus(v)) <= 6);
      CHECK(ulps(sg[l], d::sigmoid(v)) <= 6);
      CHECK(ulps(sh[l], std::sinh(v)) <= 8);
      CHECK(ulps(th[l], std::tanh(v)) <= 4);
    }
  }
}

namespace {

/// Runs loss on contiguous data (the SIMD path) and on a strided view of the
/// same numbers (the scalar path); values, gradients, Hessians and terms agree.
template <class S, bool Terms = true, class Loss>
void same_as_scalar(const Loss& loss, double lo, double hi, bool labels01, bool binary = false) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> x(lo, hi), u(0.0, 1.0);
  const double tol = std::is_same_v<S, float> ? 1e-5 : 1e-13;
  for (Eigen::Index n : {1, 3, 7, 16, 17, 31, 64, 100, 2047, 2048, 2049, 5000}) {
    using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
    using Strided = Eigen::Map<const Mat, 0, Eigen::Stride<Eigen::Dynamic, 2>>;
    const Eigen::Index cols = n % 2 ? 1 : 2, rows = n / cols;
    std::vector<S> pbuf(static_cast<size_t>(2 * n)), tbuf(static_cast<size_t>(2 * n));
    for (auto& v : pbuf) v = static_cast<S>(x(rng));
    for (auto& v : tbuf) {
      v = static_cast<S>(labels01 ? u(rng) : x(rng));
      if (binary) v = v < S(0.5) ? S(0) : S(1);
    }
    const Strided ps(pbuf.data(), rows, cols, Eigen::Stride<Eigen::Dynamic, 2>(2 * rows, 2));
    const Strided ts(tbuf.data(), rows, cols, Eigen::Stride<Eigen::Dynamic, 2>(2 * rows, 2));
    const Mat p = ps, t = ts;
    Mat g(rows, cols), h(rows, cols), gs(rows, cols), hs(rows, cols);
    const S v = loss.value_gradient_hessian(p, t, lossfn::out(g), lossfn::out(h));
    const S vs = loss.value_gradient_hessian(ps, ts, lossfn::out(gs), lossfn::out(hs));
    INFO(Loss::name << " n = " << n);
    CHECK(std::abs(v - vs) <= tol * (std::abs(vs) + 1e-30));
    const S scale = g.cwiseAbs().maxCoeff() + h.cwiseAbs().maxCoeff() + S(1e-30);
    CHECK((g - gs).cwiseAbs().maxCoeff() <= tol * scale);
    CHECK((h - hs).cwiseAbs().maxCoeff() <= tol * scale);
    if constexpr (Terms) {
      const auto terms = loss.unreduced(p, t), terms_s = loss.unreduced(ps, ts);
      CHECK((terms - terms_s).abs().maxCoeff() <= tol * (terms_s.abs().maxCoeff() + S(1e-30)));
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("every vectorized loss: SIMD path = scalar path", "[driver][packet]", float,
                   double) {
  using S = TestType;
  same_as_scalar<S>(lossfn::MeanSquaredError(), -3, 3, false);
  same_as_scalar<S>(lossfn::MeanAbsoluteError(), -3, 3, false);
  same_as_scalar<S>(lossfn::HuberLoss().delta(0.7), -3, 3, false);
  same_as_scalar<S>(lossfn::SmoothL1Loss().beta(0.5), -3, 3, false);
  same_as_scalar<S>(lossfn::SmoothL1Loss().beta(0), -3, 3, false);
  same_as_scalar<S>(lossfn::QuantileLoss().quantile(0.3), -3, 3, false);
  same_as_scalar<S>(lossfn::Hinge(), -3, 3, true, true);
  same_as_scalar<S>(lossfn::SquaredHinge(), -3, 3, true, true);
  same_as_scalar<S>(lossfn::BinaryCrossEntropyWithLogits(), -30, 30, true);
  same_as_scalar<S>(lossfn::BinaryCrossEntropyWithLogits().pos_weight(3.0), -30, 30, true);
  same_as_scalar<S>(lossfn::BinaryCrossEntropy(), 0.001, 0.999, true);
  same_as_scalar<S>(lossfn::PoissonNLLLoss(), -5, 5, true);
  same_as_scalar<S>(lossfn::PoissonNLLLoss().log_input(false).full(true), 0.01, 5, true);
  same_as_scalar<S>(lossfn::KLDivergence(), -5, 0, true);
  same_as_scalar<S>(lossfn::KLDivergence().log_target(true), -5, 0, false);
  same_as_scalar<S, false>(lossfn::RootMeanSquaredError(), -3, 3, false);
  same_as_scalar<S>(lossfn::LogCoshLoss(), -3, 3, false);
  same_as_scalar<S>(lossfn::LogCoshLoss(), -800, 800, false);
  same_as_scalar<S>(lossfn::SigmoidFocalLoss(), -30, 30, true);
  same_as_scalar<S>(lossfn::SigmoidFocalLoss(), -30, 30, true, true);
  same_as_scalar<S>(lossfn::SigmoidFocalLoss().gamma(0.5).alpha(-1), -30, 30, true);
  same_as_scalar<S>(lossfn::SigmoidFocalLoss().gamma(0).alpha(0.75), -30, 30, true);
  same_as_scalar<S>(lossfn::SigmoidFocalLoss().gamma(3.5), -10, 10, true);
  same_as_scalar<S>(lossfn::TweedieLoss(), -5, 5, true);
  same_as_scalar<S>(lossfn::TweedieLoss().power(1.2), -30, 30, true);
  same_as_scalar<S>(lossfn::GammaLoss(), -5, 5, true);
  same_as_scalar<S>(lossfn::PseudoHuberLoss().delta(0.7), -3, 3, false);
  same_as_scalar<S>(lossfn::PseudoHuberLoss().delta(1e-3), -1e3, 1e3, false);
  same_as_scalar<S>(lossfn::MeanSquaredLogError(), -0.9, 5, false);
  same_as_scalar<S>(lossfn::MeanAbsolutePercentageError(), -3, 3, false);
  same_as_scalar<S>(lossfn::ExpectileLoss().expectile(0.8), -3, 3, false);
}

TEMPLATE_TEST_CASE("sample weights take the SIMD path: the same numbers as the scalar loop",
                   "[driver][packet]", float, double) {
  // Contiguous weights of the compute type go through the packets (pred's
  // shape in its order; one per row down a column-major pred's columns or
  // beside a one-column pred); a strided copy of the same numbers takes the
  // scalar loop. Values, gradients, Hessians and weighted terms agree.
  using S = TestType;
  using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Strided = Eigen::Map<Mat, 0, Eigen::Stride<Eigen::Dynamic, 2>>;
  const double tol = std::is_same_v<S, float> ? 1e-5 : 1e-13;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> x(-4, 4), u(0, 1);
  auto check = [&](const auto& loss, const auto& p, const auto& t, const auto& w) {
    const Eigen::Index rows = p.rows(), cols = p.cols(), wc = w.cols();
    std::vector<S> pb(static_cast<size_t>(2 * rows * cols)), tb(pb.size()),
        wb(static_cast<size_t>(2 * rows * wc));
    Strided ps(pb.data(), rows, cols, Eigen::Stride<Eigen::Dynamic, 2>(2 * rows, 2));
    Strided ts(tb.data(), rows, cols, Eigen::Stride<Eigen::Dynamic, 2>(2 * rows, 2));
    Strided ws(wb.data(), rows, wc, Eigen::Stride<Eigen::Dynamic, 2>(2 * rows, 2));
    ps = p;
    ts = t;
    ws = w;
    Mat g(rows, cols), h(rows, cols), gs(rows, cols), hs(rows, cols);
    const S v =
        loss.value_gradient_hessian(p, t, lossfn::weights(w), lossfn::out(g), lossfn::out(h));
    const S vs =
        loss.value_gradient_hessian(ps, ts, lossfn::weights(ws), lossfn::out(gs), lossfn::out(hs));
    INFO(std::decay_t<decltype(loss)>::name << " " << rows << "x" << cols << ", weights " << rows
                                            << "x" << wc);
    CHECK(std::abs(v - vs) <= tol * (std::abs(vs) + 1e-30));
    const S scale = gs.cwiseAbs().maxCoeff() + hs.cwiseAbs().maxCoeff() + S(1e-30);
    CHECK((g - gs).cwiseAbs().maxCoeff() <= tol * scale);
    CHECK((h - hs).cwiseAbs().maxCoeff() <= tol * scale);
    const auto terms = loss.unreduced(p, t, lossfn::weights(w));
    const auto terms_s = loss.unreduced(ps, ts, lossfn::weights(ws));
    CHECK((terms - terms_s).abs().maxCoeff() <= tol * (terms_s.abs().maxCoeff() + S(1e-30)));
  };
  for (const auto& [rows, cols] : std::vector<std::pair<int, int>>{
           {1, 1}, {5, 1}, {37, 1}, {3000, 1}, {37, 3}, {700, 5}, {17, 16}}) {
    const Mat p = Mat::NullaryExpr(rows, cols, [&] { return static_cast<S>(x(rng)); });
    const Mat t = Mat::NullaryExpr(rows, cols, [&] { return static_cast<S>(u(rng)); });
    Mat w_full = Mat::NullaryExpr(rows, cols, [&] { return static_cast<S>(u(rng)); });
    Mat w_row = Mat::NullaryExpr(rows, 1, [&] { return static_cast<S>(2 * u(rng)); });
    w_full(0, 0) = S(0);  // a zero weight among them
    for (const auto& loss_check : {0, 1, 2}) {
      auto run = [&](const auto& loss) {
        check(loss, p, t, w_full);
        check(loss, p, t, w_row);
        const RowMat pr = p, tr = t, wr = w_full;  // row-major: full weights by packets
        check(loss, pr, tr, wr);
        check(loss, pr, tr, w_row);  // (one per row of a row-major pred: the scalar loop)
      };
      if (loss_check == 0) run(lossfn::MeanSquaredError());
      if (loss_check == 1) run(lossfn::BinaryCrossEntropyWithLogits().pos_weight(2.0));
      if (loss_check == 2) run(lossfn::SigmoidFocalLoss());
    }
  }
}

TEMPLATE_TEST_CASE("the outputs' layout never changes a bit of the value or the derivatives",
                   "[driver][packet]", float, double) {
  // Outputs that are one contiguous run in pred's order take the kernel that
  // stores whole packets, its steps written out; any other output (a Block,
  // the other storage order) takes the kernel that writes coefficient by
  // coefficient, each step written once. Both add the same terms in the same
  // order, so every value, gradient and Hessian is the same bits, with and
  // without weights (per coefficient, and one per row: run by run down the
  // columns). Sizes reach every piece of the loop — steps of 16, 8, 4 and 1
  // packets and the partial last one — at every packet width.
  using S = TestType;
  using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
  using RowMat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using One = Eigen::Matrix<S, 1, 1>;
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> x(-4, 4), u(0, 1);
  auto same = [](const auto& a, const auto& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(Mat(a).data(), Mat(b).data(), sizeof(S) * static_cast<size_t>(a.size())) ==
               0;
  };
  auto check = [&](const auto& loss, const Mat& p, const Mat& t, const auto&... w) {
    const Eigen::Index rows = p.rows(), cols = p.cols();
    INFO(std::decay_t<decltype(loss)>::name << " " << rows << "x" << cols
                                            << (sizeof...(w) ? ", weighted" : ""));
    Mat g(rows, cols), h(rows, cols);
    const S v = loss.value_gradient_hessian(p, t, w..., lossfn::out(g), lossfn::out(h));
    Mat big_g = Mat::Zero(rows + 3, cols + 1), big_h = Mat::Zero(rows + 3, cols + 1);
    auto bg = big_g.block(1, 1, rows, cols), bh = big_h.block(2, 0, rows, cols);
    const S vb = loss.value_gradient_hessian(p, t, w..., lossfn::out(bg), lossfn::out(bh));
    RowMat rg(rows, cols), rh(rows, cols);
    const S vr = loss.value_gradient_hessian(p, t, w..., lossfn::out(rg), lossfn::out(rh));
    Mat big_g2 = Mat::Zero(rows + 1, cols);
    const S vg = loss.value_and_gradient(p, t, w..., lossfn::out(big_g2.topRows(rows)));
    const Mat g2 = big_g2.topRows(rows);
    CHECK(same(One(vb), One(v)));
    CHECK(same(One(vr), One(v)));
    CHECK(same(One(vg), One(v)));
    CHECK(same(One(loss(p, t, w...)), One(v)));
    CHECK(same(bg, g));
    CHECK(same(bh, h));
    CHECK(same(rg, g));
    CHECK(same(rh, h));
    CHECK(same(g2, g));
  };
  for (const auto& [rows, cols] : std::vector<std::pair<int, int>>{
           {1, 1}, {37, 1}, {1000, 1}, {4099, 1}, {333, 3}, {250, 4}}) {
    const Mat p = Mat::NullaryExpr(rows, cols, [&] { return static_cast<S>(x(rng)); });
    const Mat t = Mat::NullaryExpr(rows, cols, [&] { return static_cast<S>(u(rng)); });
    const Mat w_full = Mat::NullaryExpr(rows, cols, [&] { return static_cast<S>(u(rng)); });
    const Mat w_row = Mat::NullaryExpr(rows, 1, [&] { return static_cast<S>(2 * u(rng)); });
    auto run = [&](const auto& loss) {
      check(loss, p, t);
      check(loss, p, t, lossfn::weights(w_full));
      check(loss, p, t, lossfn::weights(w_row));
    };
    run(lossfn::MeanSquaredError());
    run(lossfn::HuberLoss().delta(0.5));
    run(lossfn::BinaryCrossEntropyWithLogits().pos_weight(2.0));
    run(lossfn::SigmoidFocalLoss());
    run(lossfn::LogCoshLoss());
  }
}

TEST_CASE("BCE-with-logits: one pos_weight per column takes the SIMD path column by column",
          "[driver][packet]") {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  const Eigen::Index rows = 37, cols = 5;
  Eigen::MatrixXf p = Eigen::MatrixXf::NullaryExpr(rows, cols, [&]() { return normal(rng); });
  Eigen::MatrixXf t = (Eigen::MatrixXf::Random(rows, cols).array() * 0.5f + 0.5f).matrix();
  const auto loss = lossfn::BinaryCrossEntropyWithLogits().pos_weight({0.5, 1.0, 2.0, 0.0, 3.0});
  Eigen::MatrixXf g(rows, cols), gs(rows, cols);
  const float v = loss.value_and_gradient(p, t, lossfn::out(g));
  const Eigen::MatrixXf pp = p.transpose(), tt = t.transpose();  // row-major views: scalar path
  const float vs = loss.value_and_gradient(pp.transpose(), tt.transpose(), lossfn::out(gs));
  CHECK(std::abs(v - vs) <= 1e-5f * std::abs(vs));
  CHECK((g - gs).cwiseAbs().maxCoeff() <= 1e-5f * g.cwiseAbs().maxCoeff());
}
