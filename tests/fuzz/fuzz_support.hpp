// lossfn fuzzing: turns bytes into inputs, calls every entry point of a loss
// and checks the invariants every loss owes its caller:
//  - nothing crashes, no sanitizer report;
//  - a bad input throws lossfn::invalid_argument (a std::invalid_argument),
//    every entry point rejects it with the same message, and neither the
//    out-argument nor the guard cells around it change (the caller's data is
//    never modified; the drivers validate everything before the
//    first write, so the strongest property, no write at all, is checked);
//  - the inputs are never modified;
//  - on success: value == operator(), fused == separate (bitwise: the same
//    driver computes both), an out-argument is written exactly within its
//    shape, unreduced and partial reduce to value, and for valid finite
//    inputs of moderate magnitude, values, gradients and Hessians are finite
//    and non-negative losses are >= 0; a NaN prediction reaches the value.
// A violated invariant prints what broke and aborts (libFuzzer saves the input).
#pragma once

#include <lossfn/lossfn.hpp>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace fuzz {

using Eigen::Index;

/// The scalar types this binary exercises. scripts/fuzz.sh's smoke pass
/// builds each target twice, with FUZZ_SCALARS=1 (float only) and 2 (double
/// only): the halves build in parallel, each in about half the time and
/// memory of the whole (a one-TU ASan build at -O0 is large), and
/// an input for the other type does nothing in each. Fuzzing builds both.
#ifndef FUZZ_SCALARS
#define FUZZ_SCALARS 3
#endif
template <class S>
constexpr bool exercised = (FUZZ_SCALARS & (std::is_same_v<S, float> ? 1 : 2)) != 0;

[[noreturn]] inline void broken(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "lossfn fuzz: invariant broken: %s %s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}
#define FUZZ_CHECK(cond, ...)                          \
  do {                                                 \
    if (!(cond)) ::fuzz::broken(#cond, ##__VA_ARGS__); \
  } while (false)

/// The input bytes, read front to back; past the end every byte is 0.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  std::uint8_t byte() {
    if (n_ == 0) return 0;
    --n_;
    return *p_++;
  }
  unsigned u16() { return byte() | (unsigned(byte()) << 8); }
  bool bit() { return (byte() & 1) != 0; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

/// What a decoded number is meant to be, so that most inputs are valid and
/// the rest probe each rule.
enum class Kind {
  real,         // any real number, moderate range [-20, 20]
  probability,  // [0, 1], exact ends included
  label,        // -1, 0, +1
  rate,         // >= 0, [0, 40]
  weight,       // >= 0, [0, 4]
  log_prob,     // <= 0, [-40, 0] (a log-probability)
};

/// Tracks whether every decoded number was finite and of moderate
/// magnitude (|x| <= 20 or denormal), so the finiteness checks apply.
struct Decoded {
  bool moderate = true;
  bool nan_pred = false;
};

template <class S>
S special(std::uint8_t k, Decoded& d) {
  using L = std::numeric_limits<S>;
  switch (k % 20) {
    case 0:
      d.moderate = false;
      return L::quiet_NaN();
    case 1:
      d.moderate = false;
      return L::infinity();
    case 2:
      d.moderate = false;
      return -L::infinity();
    case 3:
      return L::denorm_min();
    case 4:
      return -L::denorm_min();
    case 5:
      d.moderate = false;
      return S(FLT_MAX);
    case 6:
      d.moderate = false;
      return S(-FLT_MAX);
    case 7:
      d.moderate = false;
      return S(1e30);
    case 8:
      d.moderate = false;
      return S(-1e30);
    case 9:
      return S(0);
    case 10:
      return -S(0);
    case 11:
      return S(1);
    case 12:
      return S(-1);
    case 13:
      return S(0.5);
    case 14:
      return std::nextafter(S(1), S(0));  // one ulp below 1
    case 15:
      return std::nextafter(S(0), S(1));  // the smallest positive
    case 16:
      return std::nextafter(S(1), S(2));  // one ulp above 1: not a probability
    case 17:
      return L::min();  // smallest normal
    case 18:
      return S(2);  // not a label, not a probability
    default:
      d.moderate = false;
      return L::max();  // DBL_MAX in double
  }
}

template <class S>
S number(Bytes& b, Kind kind, Decoded& d) {
  const std::uint8_t head = b.byte();
  if (head < 24) return special<S>(head, d);
  const double u = b.u16() / 65535.0;  // [0, 1]
  switch (kind) {
    case Kind::real:
      return static_cast<S>(-20 + 40 * u);
    case Kind::probability:
      return static_cast<S>(u);
    case Kind::label:
      return static_cast<S>(static_cast<int>(head % 3) - 1);
    case Kind::rate:
      return static_cast<S>(40 * u);
    case Kind::weight:
      return static_cast<S>(4 * u);
    case Kind::log_prob:
      return static_cast<S>(-40 * u);
  }
  return S(0);
}

/// An option: usually in [lo, hi], sometimes a special value (maybe invalid).
inline double option(Bytes& b, double lo, double hi) {
  Decoded ignored;
  const std::uint8_t head = b.byte();
  if (head < 40) return special<double>(head, ignored);
  return lo + (hi - lo) * (b.u16() / 65535.0);
}
/// The same, and a special value that is not moderate (NaN, ±inf, huge)
/// clears d.moderate: an option of 1e30 may overflow a float formula.
inline double option(Bytes& b, double lo, double hi, Decoded& d) {
  const std::uint8_t head = b.byte();
  if (head < 40) return special<double>(head, d);
  return lo + (hi - lo) * (b.u16() / 65535.0);
}

template <class S>
using ColMajor = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
template <class S>
using RowMajor = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using DynStride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;
template <class S>
using StridedMap = Eigen::Map<const ColMajor<S>, 0, DynStride>;

/// A matrix inside a bigger buffer (inner stride 2, padded outer stride),
/// the gaps holding NaN (or a marker for integers) so that a wrong read shows.
template <class S>
struct Strided {
  std::vector<S> buffer;
  Index rows, cols, outer;
  explicit Strided(const ColMajor<S>& m) : rows(m.rows()), cols(m.cols()), outer(2 * m.rows() + 3) {
    const S fill =
        std::numeric_limits<S>::has_quiet_NaN ? std::numeric_limits<S>::quiet_NaN() : S(77);
    buffer.assign(static_cast<std::size_t>(outer * (cols + 1) + 4), fill);
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i)
        buffer[static_cast<std::size_t>(j * outer + 2 * i)] = m(i, j);
  }
  StridedMap<S> map() const {
    return StridedMap<S>(buffer.data(), rows, cols, DynStride(outer, 2));
  }
};

/// Calls f(x, y) with a and b both in layout 0..3: column-major, row-major,
/// strided Map, transpose of a column-major matrix (a row-major expression).
/// (Both in one layout: 4 instantiations per loss, not 16.)
template <class A, class B, class F>
void with_layout(int layout, const ColMajor<A>& a, const ColMajor<B>& b, F&& f) {
  switch (layout) {
    case 0:
      f(a, b);
      break;
    case 1: {
      const RowMajor<A> ra = a;
      const RowMajor<B> rb = b;
      f(ra, rb);
      break;
    }
    case 2: {
      const Strided<A> sa(a);
      const Strided<B> sb(b);
      f(sa.map(), sb.map());
      break;
    }
    default: {
      const ColMajor<A> ta = a.transpose();
      const ColMajor<B> tb = b.transpose();
      f(ta.transpose(), tb.transpose());
      break;
    }
  }
}

/// An out-argument of rows x cols inside a bigger buffer: a Map with an
/// outer stride, surrounded by guard cells holding a canary. `bad_shape`
/// maps one row too many, which every entry point must reject.
template <class S>
struct Guarded {
  using Map = Eigen::Map<ColMajor<S>, 0, Eigen::OuterStride<>>;
  static constexpr double canary = -31337.25;
  Index rows, cols, outer;
  std::vector<S> buffer;
  Guarded(Index r, Index c) : rows(r), cols(c), outer(r + 3) { reset(); }
  void reset() { buffer.assign(static_cast<std::size_t>(outer * (cols + 2)), S(canary)); }
  Map map() { return Map(buffer.data() + outer + 1, rows, cols, Eigen::OuterStride<>(outer)); }
  bool inside(std::size_t k) const {
    const Index off = static_cast<Index>(k) - outer - 1;
    if (off < 0) return false;
    const Index j = off / outer, i = off % outer;
    return j < cols && i < rows;
  }
  /// Every cell still holds the canary (bitwise).
  bool untouched() const {
    const S c = S(canary);
    for (const S& v : buffer)
      if (std::memcmp(&v, &c, sizeof(S)) != 0) return false;
    return true;
  }
  /// Every guard cell outside the mapped rows x cols still holds the canary.
  bool guards_intact() const {
    const S c = S(canary);
    for (std::size_t k = 0; k < buffer.size(); ++k)
      if (!inside(k) && std::memcmp(&buffer[k], &c, sizeof(S)) != 0) return false;
    return true;
  }
};

/// Bitwise equality of two scalars, except that any NaN equals any NaN: the
/// sign and payload of a NaN result are not specified (IEEE 754), and two
/// instantiations of one formula (value() is the driver's Order 0, the fused
/// calls its Order 1 or 2) may round the same bits but negate a NaN at
/// different points once optimized (-O1: gradient() and
/// value_gradient_hessian() gave NaNs of opposite signs for a NaN row).
template <class S>
bool same_scalar(S a, S b) {
  static_assert(std::is_arithmetic_v<S>);
  if (a != a && b != b) return true;
  return std::memcmp(&a, &b, sizeof(S)) == 0;
}
/// The same, coefficient by coefficient.
template <class A, class B>
bool same_bits(const Eigen::DenseBase<A>& a, const Eigen::DenseBase<B>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index j = 0; j < a.cols(); ++j)
    for (Index i = 0; i < a.rows(); ++i) {
      const auto x = a.derived().coeff(i, j);
      const auto y = b.derived().coeff(i, j);
      static_assert(sizeof(x) == sizeof(y));
      if (!same_scalar(x, y)) return false;
    }
  return true;
}
/// Bitwise equality, NaN payloads included: for the inputs, which no call
/// may touch.
template <class A, class B>
bool identical(const Eigen::DenseBase<A>& a, const Eigen::DenseBase<B>& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index j = 0; j < a.cols(); ++j)
    for (Index i = 0; i < a.rows(); ++i) {
      const auto x = a.derived().coeff(i, j);
      const auto y = b.derived().coeff(i, j);
      static_assert(sizeof(x) == sizeof(y));
      if (std::memcmp(&x, &y, sizeof(x)) != 0) return false;
    }
  return true;
}
template <class S>
bool close(S a, S b, double rel) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  const double x = static_cast<double>(a), y = static_cast<double>(b);
  return std::abs(x - y) <= rel * (std::abs(x) + std::abs(y)) + 1e-300;
}
template <class X>
bool all_finite(const Eigen::DenseBase<X>& x) {
  for (Index j = 0; j < x.cols(); ++j)
    for (Index i = 0; i < x.rows(); ++i)
      if (!std::isfinite(static_cast<double>(x.derived().coeff(i, j)))) return false;
  return true;
}

/// The outcome of one call: the message of the error it threw, if any.
struct Outcome {
  bool threw = false;
  std::string message;
};

template <class F>
Outcome attempt(F&& f) {
  Outcome o;
  try {
    f();
  } catch (const lossfn::invalid_argument& e) {
    // The documented type, which is a std::invalid_argument.
    const std::invalid_argument& base = e;
    o.threw = true;
    o.message = base.what();
    FUZZ_CHECK(!o.message.empty());
  } catch (const std::exception& e) {
    broken("an exception other than lossfn::invalid_argument", e.what());
  }
  return o;
}

/// Facts about a loss the checks need.
struct Facts {
  bool non_negative = true;    // every term >= 0 for every valid input
  bool nan_propagates = true;  // a NaN prediction makes the value NaN
  bool exact_weight = true;    // partial().weight is known (no class weights, no ignore_index)
  bool row_wise = false;
  /// When >= 0: the mean's denominator partial().weight must equal (the
  /// harness's own Σ w_i·cw[y_i] over the rows not ignored).
  double weight = -1;
  /// What the call must do, when the harness knows: +1 accept (every rule
  /// holds), -1 reject (some rule is broken), 0 unknown.
  int expect = 0;
};

template <class L>
constexpr bool is_rmse = std::is_same_v<L, lossfn::RootMeanSquaredError>;
template <class L>
constexpr bool is_zero_one = std::is_same_v<L, lossfn::ZeroOneLoss>;

/// Calls every entry point of `loss` on (pred, target[, weights]) and checks
/// the invariants. `w` is empty or one lossfn::Weights.
/// Returns whether the input was accepted.
template <class Loss, class P, class T, class... W>
bool exercise(const Loss& loss, const P& pred, const T& target, const Decoded& decoded,
              const Facts& facts, bool bad_out_shape, const W&... w) {
  using S = typename P::Scalar;
  constexpr bool has_gradient = lossfn::traits<Loss>::differentiable;
  constexpr bool has_hessian = lossfn::traits<Loss>::twice_differentiable;
  constexpr bool has_terms = !is_rmse<Loss>;
  const Index rows = pred.rows(), cols = pred.cols();

  // Snapshots of the inputs: no call may modify them.
  const ColMajor<S> pred_before = pred;
  const ColMajor<typename T::Scalar> target_before = target;

  S value{};
  const Outcome first = attempt([&] { value = loss.value(pred, target, w...); });
  if (facts.expect > 0 && first.threw) broken("a valid input was rejected", first.message);
  if (facts.expect < 0 && !first.threw) broken("an invalid input was accepted");
  // Every entry point without an out-argument agrees with value().
  auto agrees = [&](const Outcome& o, const char* entry) {
    if (o.threw != first.threw || o.message != first.message)
      broken("entry points disagree on validity",
             std::string(entry) + ": '" + o.message + "' vs value(): '" + first.message + "'");
  };
  S call_value{};
  agrees(attempt([&] { call_value = loss(pred, target, w...); }), "operator()");
  if (!first.threw) FUZZ_CHECK(same_scalar(call_value, value), "operator() != value()");

  typename P::PlainObject grad, hess;
  if constexpr (has_gradient) {
    agrees(attempt([&] { grad = loss.gradient(pred, target, w...); }), "gradient");
    S fused_value{};
    typename P::PlainObject fused_grad;
    agrees(attempt([&] {
             auto r = loss.value_and_gradient(pred, target, w...);
             fused_value = r.value;
             fused_grad = std::move(r.gradient);
           }),
           "value_and_gradient");
    if (!first.threw) {
      FUZZ_CHECK(same_scalar(fused_value, value), "fused value != value()");
      FUZZ_CHECK(same_bits(fused_grad, grad), "fused gradient != gradient()");
      FUZZ_CHECK(grad.rows() == rows && grad.cols() == cols);
    }
    // Into a guarded Map: the right shape, then (maybe) a wrong one.
    Guarded<S> out(rows, cols);
    S out_value{};
    agrees(attempt([&] {
             out_value = loss.value_and_gradient(pred, target, w..., lossfn::out(out.map()));
           }),
           "value_and_gradient(out)");
    if (first.threw) {
      FUZZ_CHECK(out.untouched(), "a rejected call wrote its out-argument");
    } else {
      FUZZ_CHECK(same_scalar(out_value, value), "value_and_gradient(out) value != value()");
      FUZZ_CHECK(out.guards_intact(), "value_and_gradient(out) wrote outside its shape");
      FUZZ_CHECK(same_bits(out.map(), grad), "value_and_gradient(out) != gradient()");
    }
    if (bad_out_shape) {
      Guarded<S> wrong(rows + 1, cols);
      const Outcome o = attempt(
          [&] { (void)loss.value_and_gradient(pred, target, w..., lossfn::out(wrong.map())); });
      FUZZ_CHECK(o.threw, "a gradient out-argument of the wrong shape was accepted");
      FUZZ_CHECK(wrong.untouched(), "a rejected call wrote its out-argument");
    }
  }
  if constexpr (has_hessian) {
    agrees(attempt([&] { hess = loss.hessian_diagonal(pred, target, w...); }), "hessian_diagonal");
    Guarded<S> g(rows, cols), h(rows, cols);
    S vgh{};
    agrees(attempt([&] {
             vgh = loss.value_gradient_hessian(pred, target, w..., lossfn::out(g.map()),
                                               lossfn::out(h.map()));
           }),
           "value_gradient_hessian");
    if (first.threw) {
      FUZZ_CHECK(g.untouched() && h.untouched(), "a rejected call wrote its out-arguments");
    } else {
      FUZZ_CHECK(same_scalar(vgh, value), "value_gradient_hessian value != value()");
      FUZZ_CHECK(g.guards_intact() && h.guards_intact(), "value_gradient_hessian wrote outside");
      FUZZ_CHECK(same_bits(g.map(), grad), "value_gradient_hessian gradient != gradient()");
      FUZZ_CHECK(same_bits(h.map(), hess), "value_gradient_hessian hessian != hessian_diagonal()");
    }
    if (bad_out_shape) {
      // A good gradient output with a bad Hessian output: neither is written.
      Guarded<S> g2(rows, cols), h2(rows, cols + 1);
      const Outcome o = attempt([&] {
        (void)loss.value_gradient_hessian(pred, target, w..., lossfn::out(g2.map()),
                                          lossfn::out(h2.map()));
      });
      FUZZ_CHECK(o.threw, "a Hessian out-argument of the wrong shape was accepted");
      FUZZ_CHECK(g2.untouched() && h2.untouched(), "a rejected call wrote its out-arguments");
    }
  }
  if constexpr (has_terms && !lossfn::traits<Loss>::decomposable) {
    // No partial() (Cox): the terms add up to the value under sum.
    Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic> terms;
    agrees(attempt([&] { terms = loss.unreduced(pred, target, w...); }), "unreduced");
    if (!first.threw) {
      FUZZ_CHECK(terms.rows() == rows && terms.cols() == 1, "unreduced has the wrong shape");
      double total = 0;
      for (Index i = 0; i < terms.rows(); ++i) total += static_cast<double>(terms(i, 0));
      const double tol = std::is_same_v<S, float> ? 1e-5 : 1e-12;
      // (Terms of weights below 1 may be negative: where they cancel, the
      // sum of rounded terms has no relative accuracy.)
      if (loss.reduction() == lossfn::Reduction::sum && std::isfinite(total) &&
          (terms >= S(0)).all())
        FUZZ_CHECK(close(static_cast<S>(total), value, tol),
                   "unreduced does not add up to value()");
    }
  } else if constexpr (has_terms) {
    Eigen::Array<S, Eigen::Dynamic, Eigen::Dynamic> terms;
    agrees(attempt([&] { terms = loss.unreduced(pred, target, w...); }), "unreduced");
    lossfn::Partial<S> part;
    agrees(attempt([&] { part = loss.partial(pred, target, w...); }), "partial");
    if (!first.threw) {
      const double tol = std::is_same_v<S, float> ? 1e-5 : 1e-12;
      FUZZ_CHECK(
          terms.rows() == rows && (terms.cols() == cols || (facts.row_wise && terms.cols() == 1)),
          "unreduced has the wrong shape");
      double total = 0;
      for (Index j = 0; j < terms.cols(); ++j)
        for (Index i = 0; i < terms.rows(); ++i) total += static_cast<double>(terms(i, j));
      FUZZ_CHECK(close(total, part.sum, tol), "unreduced does not add up to partial().sum");
      // Partial holds its sum and weight in double for every S, so its value()
      // is value()'s number in every range (float terms adding up beyond
      // FLT_MAX, a weight of subnormals).
      const double weight = facts.weight >= 0 ? facts.weight : part.weight;
      const bool mean = loss.reduction() == lossfn::Reduction::mean;
      FUZZ_CHECK(close(part.value(), value, tol), "partial().value() != value()");
      if (facts.weight >= 0)
        FUZZ_CHECK(close(part.weight, facts.weight, tol),
                   "partial().weight is not the mean's denominator");
      if (facts.exact_weight && sizeof...(W) == 0) {
        const double n = facts.row_wise ? double(rows) : double(rows) * double(cols);
        FUZZ_CHECK(part.weight == n, "partial().weight is not the count of terms");
      }
      // (Only where the weighted terms add up to a finite sum: 0 · NaN and
      // 0 · inf are NaN, which the mean propagates, as PyTorch does.)
      if (mean && weight == 0 && std::isfinite(total))
        FUZZ_CHECK(same_scalar(value, S(0)), "a mean over zero weight is not 0");
      if (decoded.moderate && facts.non_negative)
        FUZZ_CHECK((terms >= S(0)).all(), "a negative term from a non-negative loss");
    }
  }

  if (!first.threw) {
    if (decoded.moderate) {
      FUZZ_CHECK(std::isfinite(value), "non-finite value on moderate input");
      if (facts.non_negative) FUZZ_CHECK(value >= S(0), "negative value of a non-negative loss");
      if constexpr (has_gradient)
        FUZZ_CHECK(all_finite(grad), "non-finite gradient on moderate input");
      if constexpr (has_hessian)
        FUZZ_CHECK(all_finite(hess), "non-finite Hessian on moderate input");
    }
    if (decoded.nan_pred && facts.nan_propagates)
      FUZZ_CHECK(std::isnan(value), "a NaN prediction did not reach the value");
  }
  FUZZ_CHECK(identical(ColMajor<S>(pred), pred_before), "pred was modified");
  FUZZ_CHECK(identical(ColMajor<typename T::Scalar>(target), target_before), "target was modified");
  return !first.threw;
}

}  // namespace fuzz

/// Without libFuzzer (g++, or clang without its runtime): a main() that runs
/// every file named on the command line (or every file in a directory) once.
#ifdef LOSSFN_FUZZ_REPLAY
#include <dirent.h>
#include <fstream>
#include <iterator>
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
inline int fuzz_replay_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return 0;
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return 1;
}
int main(int argc, char** argv) {
  int files = 0;
  for (int a = 1; a < argc; ++a) {
    if (argv[a][0] == '-') continue;  // libFuzzer flags (-runs=0, ...) are ignored
    if (DIR* dir = opendir(argv[a])) {
      while (const dirent* e = readdir(dir))
        if (e->d_name[0] != '.') files += fuzz_replay_file(std::string(argv[a]) + "/" + e->d_name);
      closedir(dir);
    } else {
      files += fuzz_replay_file(argv[a]);
    }
  }
  std::printf("replayed %d inputs\n", files);
  return 0;
}
#endif
