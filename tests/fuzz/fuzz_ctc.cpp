// libFuzzer target: CTCLoss. The bytes choose float or double, the number
// of sequences (0..5), the classes (0..12, rarely 300: rows of SIMD packets),
// each sequence's frame and label counts (rarely negative, or counts that do
// not add up to the logits' rows or the labels' length), the labels (mostly
// valid, else the blank, negative or beyond C), the blank (rarely outside
// [0, C)), zero_infinity, the reduction, the layout (column-major, row-major,
// strided Map, transposed), sample weights (none, valid, a wrong length, a
// negative or non-finite one) and every logit.
//
// The harness knows the rules, so it checks:
//  - every input that breaks one is rejected by every entry point with the
//    same message, and the caller's gradient storage is not written;
//  - on success: value == operator(), fused == separate (bitwise), row-major
//    and column-major logits give the same bits, unreduced and partial reduce
//    to the value;
//  - for finite logits of moderate size: the value is never NaN; a sequence
//    that no alignment fits has an infinite term and NaN rows (0 and zero
//    rows under zero_infinity, or at weight 0); every other term is finite
//    and ≥ 0 and its gradient rows are finite and sum to 0.
#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

struct Plan {
  Index N = 0, C = 0;
  long long blank = 0;
  bool zero_infinity = false, sum = false;
  int layout = 0, weight_mode = 0;  // weights: none, valid, wrong length, a bad value
  std::vector<long long> frames, counts, labels;
  std::vector<double> weights;
  bool valid = true;  // every rule holds (the harness's own reading)
  Decoded d;
};

/// Frames an alignment of these labels needs: one per label, one more per equal neighbour.
long long needed(const long long* y, long long S) {
  long long n = S;
  for (long long i = 1; i < S; ++i) n += y[i] == y[i - 1];
  return n;
}

Plan decode(Bytes& b) {
  Plan p;
  const std::uint8_t shape = b.byte();
  p.N = shape % 6;
  p.C = (shape >> 3) == 31 ? 300 : (shape >> 3) % 13;
  const std::uint8_t options = b.byte();
  p.zero_infinity = options & 1;
  p.sum = (options >> 1) & 1;
  p.layout = (options >> 2) & 3;
  p.weight_mode = (options >> 4) & 3;
  p.blank = (options >> 6) == 3 ? (b.bit() ? p.C : -1) : b.byte() % std::max<Index>(p.C, 1);
  p.valid = p.blank >= 0 && p.blank < p.C;
  for (Index n = 0; n < p.N; ++n) {
    const std::uint8_t f = b.byte(), s = b.byte();
    p.frames.push_back(f == 255 ? -1 : f % 13);
    p.counts.push_back(s == 255 ? -1 : s % 7);
    p.valid = p.valid && p.frames.back() >= 0 && p.counts.back() >= 0;
    for (long long i = 0; i < std::max(0LL, p.counts.back()); ++i) {
      const std::uint8_t h = b.byte();
      long long y = p.C > 1 ? h % p.C : 0;
      if (h >= 240) y = h % 2 ? -1 : p.C + h % 3;
      if (y == p.blank && p.C > 1 && h < 240) y = (y + 1) % p.C;  // mostly not the blank
      p.valid = p.valid && y >= 0 && y < p.C && y != p.blank;
      p.labels.push_back(y);
    }
  }
  const std::uint8_t mismatch = b.byte();
  if (mismatch == 1) p.labels.push_back(1), p.valid = false;
  if (p.weight_mode) {
    const Index n = p.weight_mode == 2 ? p.N + 1 : p.N;
    for (Index i = 0; i < n; ++i) p.weights.push_back(4 * (b.u16() / 65535.0));
    // A bad value, or a huge valid one (w·l may overflow: not moderate).
    if (p.weight_mode == 3 && n > 0) p.weights[0] = special<double>(b.byte(), p.d);
    for (double w : p.weights) p.valid = p.valid && w >= 0 && std::isfinite(w);
    p.valid = p.valid && static_cast<Index>(p.weights.size()) == p.N;
  }
  return p;
}

template <class S>
void run(const Plan& plan, Bytes& b) {
  if constexpr (!exercised<S>) return;
  Decoded d = plan.d;
  long long rows = 0;
  for (long long f : plan.frames) rows += std::max(0LL, f);
  const bool row_mismatch = (b.byte() == 7);
  const Index R = static_cast<Index>(rows) + (row_mismatch ? 1 : 0);
  const bool valid = plan.valid && !row_mismatch;
  ColMajor<S> x(R, plan.C);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = number<S>(b, Kind::real, d);
  const Eigen::Map<const Eigen::Matrix<long long, Eigen::Dynamic, 1>> frames(plan.frames.data(),
                                                                             plan.N),
      counts(plan.counts.data(), plan.N);
  const Eigen::Map<const Eigen::Matrix<long long, Eigen::Dynamic, 1>> labels(
      plan.labels.data(), static_cast<Index>(plan.labels.size()));
  const Eigen::VectorXd w = Eigen::Map<const Eigen::VectorXd>(
      plan.weights.data(), static_cast<Index>(plan.weights.size()));
  lossfn::CTCLoss ctc;
  const Outcome option = attempt([&] { ctc.blank(plan.blank); });
  FUZZ_CHECK(option.threw == (plan.blank < 0));
  if (option.threw) return;
  ctc.zero_infinity(plan.zero_infinity);
  ctc.reduction(plan.sum ? lossfn::Reduction::sum : lossfn::Reduction::mean);

  const ColMajor<S> canary = ColMajor<S>::Constant(R, plan.C, S(-31337.25));
  ColMajor<S> g = canary;
  auto calls = [&](const auto& xl, auto&&... weights) {
    S value{}, fused{}, into{};
    ColMajor<S> separate, fused_g;
    Eigen::Array<S, Eigen::Dynamic, 1> u;
    lossfn::Partial<S> partial;
    const Outcome o = attempt([&] {
      value = ctc(xl, frames, labels, counts, weights...);
      separate = ctc.gradient(xl, frames, labels, counts, weights...);
      const auto r = ctc.value_and_gradient(xl, frames, labels, counts, weights...);
      fused = r.value;
      fused_g = r.gradient;
      into = ctc.value_and_gradient(xl, frames, labels, counts, weights..., lossfn::out(g));
      u = ctc.unreduced(xl, frames, labels, counts, weights...);
      partial = ctc.partial(xl, frames, labels, counts, weights...);
    });
    FUZZ_CHECK(o.threw == !valid, o.message);
    if (o.threw) {
      FUZZ_CHECK(same_bits(g, canary));
      return;
    }
    FUZZ_CHECK(same_scalar(value, fused) && same_scalar(value, into));
    FUZZ_CHECK(same_bits(separate, fused_g) && same_bits(separate, g));
    const double pv = static_cast<double>(partial.value());
    FUZZ_CHECK(close(static_cast<S>(pv), value, 1e-5) ||
               (std::isnan(pv) && std::isnan(double(value))));
    if (!d.moderate) return;
    FUZZ_CHECK(!std::isnan(static_cast<double>(value)));
    Index row = 0, label = 0;
    for (Index n = 0; n < plan.N; ++n) {
      const long long T = plan.frames[static_cast<std::size_t>(n)],
                      S_n = plan.counts[static_cast<std::size_t>(n)];
      const double wn = plan.weights.empty() ? 1.0 : plan.weights[static_cast<std::size_t>(n)];
      const bool impossible = T < needed(plan.labels.data() + label, S_n);
      const bool zeroed = plan.zero_infinity || wn == 0;
      const double term = static_cast<double>(u(n));
      if (impossible)
        FUZZ_CHECK(term == (zeroed ? 0.0 : std::numeric_limits<double>::infinity()));
      else
        FUZZ_CHECK(std::isfinite(term) && term >= -1e-4);
      for (Index t = row; t < row + T; ++t) {
        if (impossible && !zeroed) {
          FUZZ_CHECK(g.row(t).array().isNaN().all());
        } else {
          FUZZ_CHECK(all_finite(g.row(t)));
          double sum = 0, scale = 0;
          for (Index c = 0; c < plan.C; ++c) {
            sum += static_cast<double>(g(t, c));
            scale = std::max(scale, std::abs(static_cast<double>(g(t, c))));
          }
          FUZZ_CHECK(std::abs(sum) <=
                     1e-4 * std::max(scale, 1e-30) * static_cast<double>(plan.C + 8));
        }
      }
      row += T;
      label += S_n;
    }
  };
  auto with_weights = [&](const auto& xl) {
    if (plan.weight_mode)
      calls(xl, lossfn::weights(w));
    else
      calls(xl);
  };
  switch (plan.layout) {
    case 0:
      with_weights(x);
      break;
    case 1: {
      const RowMajor<S> r = x;
      with_weights(r);
      break;
    }
    case 2: {
      const Strided<S> s(x);
      with_weights(s.map());
      break;
    }
    default: {
      const ColMajor<S> t = x.transpose();
      with_weights(t.transpose());
      break;
    }
  }
  // Row-major and column-major logits: the same bits.
  if (valid) {
    const RowMajor<S> r = x;
    const auto a = ctc.value_and_gradient(x, frames, labels, counts);
    const auto c = ctc.value_and_gradient(r, frames, labels, counts);
    FUZZ_CHECK(same_scalar(a.value, c.value) && same_bits(a.gradient, c.gradient));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  const Plan plan = decode(b);
  if (b.bit())
    run<double>(plan, b);
  else
    run<float>(plan, b);
  return 0;
}
