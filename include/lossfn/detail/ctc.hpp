// lossfn — connectionist temporal classification: the forward–backward
// recursion of one sequence, and the traversal of a batch of them.
//
// The states of a sequence of S labels are the extended sequence
// blank, l_0, blank, l_1, …, l_{S−1}, blank (2S + 1 states), kept as two
// arrays: B_i (the blank before label i, i = 0 … S) and A_i (label i). With
// e_t(k) the emission of class k at frame t,
//   α_t(B_i) = (α_{t−1}(B_i) + α_{t−1}(A_{i−1}))·e_t(blank)
//   α_t(A_i) = (α_{t−1}(A_i) + α_{t−1}(B_i) + [l_i ≠ l_{i−1}]·α_{t−1}(A_{i−1}))·e_t(l_i)
// and β′ (the probability of the rest of the frames, after t) runs the same
// recursion backwards. P = α_{T−1}(B_S) + α_{T−1}(A_{S−1}), the loss is
// −log P, and the gradient with respect to the logits of frame t is
// softmax_t − γ_t, γ_t(k) the share of Σ_s α_t(s)·β′_t(s) on the states of
// class k: the softmax in R less the states' shares, and where the largest
// logit's class is a state's, its entry as −Σ of the others in double, so
// that a frame sure of its class keeps the digits of its small entries and
// its row sums to 0 within their rounding.
//
// Method. Linear space in double: each frame's α (and β′) is rescaled by a
// power of two — exact, so the scalings add no rounding — and the emissions
// are the frame's exp(x − max), its softmax normaliser Σ_t added back in log
// space (l = Σ_t log Σ_t − log P̂). Every state's value then carries at most
// 3 roundings per frame (a sum of three positive terms and a product), so
// z_t = Σ_s α_t(s)·β′_t(s), which is the same P̂ at every frame in exact
// arithmetic, agrees across frames to (8T + 4S + 16)·ε. Two things break
// that: an emission that is not a normal number (a logit gap beyond 87 in
// float, 708 in double), and a state that falls 2^−1074 behind the leading
// ones and later leads (its mass was flushed to zero). The first is seen in
// the emissions, the second as frames whose z_t disagree; either way the
// sequence is recomputed in log space (logspace_sequence), which needs
// neither. Linear space costs a multiply-add per state and frame on SIMD
// lanes where log space costs an exp and a log, so the recursion stays a
// small part of the call next to the softmax of each frame (O(T·C)).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "access.hpp"
#include "packet.hpp"
#include "reduce.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail::ctc {

using Eigen::Index;

/// Memory of the calling thread for slot Slot, grown when a call needs more
/// than any before it on this thread and then kept: no allocation per call
/// once warm. Each slot has one user at a time.
template <class T, int Slot>
T* scratch(std::size_t n) {
  thread_local std::vector<T> memory;
  if (memory.size() < n) memory.resize(n);
  return memory.data();
}
enum Slot { sequence_slot, row_slot, call_slot, index_slot, frame_slot };

/// One sequence of a batch: rows [row, row + frames) of the logits, labels
/// [label, label + count) of the concatenated labels.
struct Span {
  Index row = 0, frames = 0, label = 0, count = 0;
  /// The frames an alignment needs: one per label, and a blank between equal neighbours.
  Index needed(const std::int64_t* labels) const {
    Index n = count;
    for (Index i = 1; i < count; ++i) n += labels[label + i] == labels[label + i - 1];
    return n;
  }
};

/// Row t of the logits as a contiguous run of R: in place for contiguous
/// rows of R (row-major data), else copied into `buffer`.
template <class X, class R>
class FrameReader {
  const Input<X>& x_;
  const R* direct_ = nullptr;

 public:
  explicit FrameReader(const Input<X>& x) : x_(x) {
    if constexpr (std::is_same_v<typename X::Scalar, R>) direct_ = x.linear(true);
  }
  const R* row(Index t, R* buffer) const {
    if (direct_) return direct_ + t * x_.cols();
    for (Index c = 0; c < x_.cols(); ++c) buffer[c] = static_cast<R>(x_(t, c));
    return buffer;
  }
};

/// Row t of the caller's gradient: written in place where it is a contiguous
/// row of R, else through `buffer` and then entry by entry.
template <class G, class R>
class GradientWriter {
  Output<G> out_;
  R* direct_ = nullptr;
  Index cols_;

 public:
  GradientWriter(G* out, Index rows, Index cols)
      : out_(output(out, rows, cols, "", "")), cols_(cols) {
    if constexpr (!std::is_same_v<G, None>)
      if constexpr (std::is_same_v<typename G::Scalar, R>) direct_ = out_.linear(true);
  }
  static constexpr bool active = !std::is_same_v<G, None>;
  /// Whether rows are written in place (row() is the caller's storage).
  bool in_place() const { return direct_ != nullptr; }
  R* row(Index t, R* buffer) const { return direct_ ? direct_ + t * cols_ : buffer; }
  void commit(Index t, const R* values) const {
    if (!direct_)
      for (Index c = 0; c < cols_; ++c) out_.set(t, c, values[c]);
  }
  void fill(Index t, R v, R* buffer) const {
    R* g = row(t, buffer);
    std::fill(g, g + cols_, v);
    commit(t, g);
  }
};

/// What the recursion of one sequence needs besides its frames.
struct Problem {
  Index frames, count, classes, blank;
  const std::int64_t* labels;  // the sequence's labels
  double factor;               // d(returned value)/d l: the reduction's weight of this term
  // Weight 0: the term is 0 and the rows zero, uncomputed (a positive weight
  // whose factor underflows to 0 still has its term w·l, maybe +inf).
  bool weightless = false;
};

/// Frame t's softmax: Σ = 1 + rest, `rest` the sum of exp(x_c − max) over
/// every class but `top`, the first largest logit (whose exponential is 1).
struct FrameSoftmax {
  double max, rest, inv_sum;  // inv_sum = 1/(1 + rest)
  Index top;
};

/// e[c] = exp(x[c] − max) for c in [0, C), and with Rest the return value
/// Σ_{c ≠ top} e[c]. The exponentials are Eigen's pexp on SIMD lanes, the
/// last partial packet taken as the row's last full one (overlapping: its
/// earlier lanes rewrite the same values) or, in a row shorter than a
/// packet, padded; so each entry is the same function of its logit whatever
/// C, the row's address or the layout (the gradient pass recomputes what the
/// statistics pass computed, or reuses it). pexp's results below the
/// smallest normal number are not exponentials (SSE2 and AVX give 2.9e-39 in
/// float, AVX-512 0): such an emission sends the sequence to log space, and
/// in a class of no state it is an error below 1e-38 (float), 1e-307
/// (double) in an entry rounded to the row's largest.
///
/// rest: on SIMD lanes of R, the lanes added in lane order (an order that
/// depends on C alone), top's lane left out. Its exponential is 1, and
/// 1 + rest would round away the digits below 1's ulp that
/// 1 − softmax_top = rest/Σ needs; summed apart, rest is as exact as its
/// terms (each carries R's rounding of its exponential).
template <bool Rest, class R>
double row_exps(const R* x, Index C, R max, Index top, R* e) {
  Index c = 0;
  if constexpr (has_packet<R>) {
    using V = Vec<R>;
    using P = typename V::Packet;
    constexpr Index W = V::size;
    const P m = pk::pset1<P>(max);
    V lanes(0);
    auto add = [&](V v, Index first) {  // lanes of elements first … first + W − 1
      if (top >= first && top < first + W) v = with_lane(v, top - first, R(0));
      lanes += v;
    };
    for (; c + W <= C; c += W) {
      const V v(pk::pexp(pk::psub(pk::ploadu<P>(x + c), m)));
      v.store(e + c);
      if constexpr (Rest) add(v, c);
    }
    if (c < C && C >= W) {  // the last W elements; lanes before c already added
      const V v(pk::pexp(pk::psub(pk::ploadu<P>(x + C - W), m)));
      v.store(e + C - W);
      if constexpr (Rest) {
        alignas(64) static constexpr R lane_index[] = {0, 1, 2,  3,  4,  5,  6,  7,
                                                       8, 9, 10, 11, 12, 13, 14, 15};
        static_assert(W <= 16);
        const V fresh = select(V::load(lane_index) >= V(static_cast<R>(c - (C - W))), v, V(0));
        add(fresh, C - W);
      }
    } else if (c < C) {  // a row shorter than a packet, padded with exp(0)s that add 0
      R pad[W];
      std::fill(pad, pad + W, max);
      std::copy(x, x + C, pad);
      pk::pstoreu(pad, pk::pexp(pk::psub(pk::ploadu<P>(pad), m)));
      std::copy(pad, pad + C, e);
      if constexpr (Rest) {
        std::fill(pad + C, pad + W, R(0));
        add(V::load(pad), 0);
      }
    }
    return static_cast<double>(sum_in_lane_order(lanes));
  }
  R rest(0);
  for (; c < C; ++c) {
    e[c] = std::exp(x[c] - max);
    if (Rest && c != top) rest += e[c];
  }
  return static_cast<double>(rest);
}

/// Σ_{c ≠ top} g[c] in double (LaneSums: on SIMD lanes widened from float),
/// in an order that depends on C alone.
template <class R>
double sum_but(const R* g, Index C, Index top) {
  Index c = 0;
  double sum = 0;
  if constexpr (has_packet<R>) {
    using V = Vec<R>;
    LaneSums<R> lanes;
    for (; c + V::size <= C; c += V::size) {
      V v = V::load(g + c);
      if (top >= c && top < c + V::size) v = with_lane(v, top - c, R(0));
      lanes.add(v);
    }
    sum = lanes.total();
  }
  for (; c < C; ++c)
    if (c != top) sum += static_cast<double>(g[c]);
  return sum;
}

/// softmax_t − γ_t, times the sequence's factor, into g: every class's
/// exp(x − max) (taken here from x, or already in g where x is nullptr)
/// times factor/Σ in R (an error of an ulp of each entry), less each state's
/// share of the occupancy (`blank` the blank states', share(i) label i's)
/// times the factor. Where the top class (the largest logit's) is a state's,
/// its entry is then −Σ of the others in double: on a frame sure of its
/// class, which the alignment agrees with, that class's softmax and γ both
/// round to 1 (a logit gap beyond 17 in float, 37 in double) and their
/// difference keeps no digit, while the other entries keep theirs; the sum
/// of the others is the same number to their own rounding, and the row then
/// sums to 0 within one rounding of the top entry.
template <class R, class Share>
void write_frame(const Problem& p, const R* x, const FrameSoftmax& s, double blank,
                 const Share& share, R* g) {
  if (x) row_exps<false>(x, p.classes, static_cast<R>(s.max), s.top, g);
  const double f = p.factor;
  Eigen::Map<Eigen::Array<R, Eigen::Dynamic, 1>>(g, p.classes) *= static_cast<R>(s.inv_sum * f);
  g[p.blank] -= static_cast<R>(blank * f);
  for (Index i = 0; i < p.count; ++i) g[p.labels[i]] -= static_cast<R>(share(i) * f);
  int top_is_state = s.top == p.blank;  // (an int: the loop vectorizes)
  for (Index i = 0; i < p.count; ++i) top_is_state |= p.labels[i] == s.top;
  if (top_is_state) g[s.top] = static_cast<R>(-sum_but(g, p.classes, s.top));
}

/// The first c with x[c] == max (on SIMD lanes), −1 if none (max is NaN).
template <class R>
Index first_max(const R* x, Index C, R max) {
  Index c = 0;
  if constexpr (has_packet<R>) {
    using V = Vec<R>;
    for (; c + V::size <= C; c += V::size)
      if ((V::load(x + c) == V(max)).any()) break;
  }
  for (; c < C; ++c)
    if (x[c] == max) return c;
  return -1;
}

// ---- linear space -----------------------------------------------------------
//
// A frame's α (or β′) is stored as [0, A_0 … A_{S−1}, 0, B_0 … B_S] (2S + 3
// doubles): the zeros stand for A_{−1} and A_S, so that the recursions read
// their neighbours without a test, and a frame's Σ α·β′ is one dot product.
// Its emissions are [e(l_0) … e(l_{S−1}), 0, e(blank)], and skip[i] = 1 where
// l_i ≠ l_{i−1} (i ≥ 1), else 0 (skip[S] = 0).

/// Σ body(V, i) for i in [0, n): on SIMD lanes of doubles (V = Vec<double>,
/// the lanes summed once at the end), the rest and everything without
/// packets as body(double, i). The order of the additions depends on n only.
#if defined(__GNUC__) || defined(__clang__)
#define LOSSFN_CTC_INLINE __attribute__((always_inline)) inline
#else
#define LOSSFN_CTC_INLINE inline
#endif
template <class F>
LOSSFN_CTC_INLINE double sum_lanes(Index n, F body) {
  Index i = 0;
  double total = 0;
  if constexpr (has_packet<double>) {
    using V = Vec<double>;
    V lanes(0.0);
    for (; i + V::size <= n; i += V::size) lanes += body(V(0.0), i);
    total = sum_in_lane_order(lanes);
  }
  for (; i < n; ++i) total += body(0.0, i);
  return total;
}
template <class V>
V load(const double* p) {
  if constexpr (std::is_same_v<V, double>)
    return *p;
  else
    return V::load(p);
}
template <class V>
void store(double* p, const V& v) {
  if constexpr (std::is_same_v<V, double>)
    *p = v;
  else
    v.store(p);
}

/// α_t from α_{t−1} (both as laid out above), each emission times `scale`
/// (a power of two: exact). Returns Σ α_t.
inline double alpha_step(Index S, const double* prev, const double* em, const double* skip,
                         double scale, double* cur) {
  const double* a = prev + 1;
  const double* b = prev + S + 2;
  double* A = cur + 1;
  double* B = cur + S + 2;
  const double eb = em[S + 1] * scale;
  B[0] = b[0] * eb;
  return B[0] + sum_lanes(S, [=](auto v, Index i) {
           using V = decltype(v);
           const V ai = (load<V>(a + i) + load<V>(b + i) + load<V>(skip + i) * load<V>(a + i - 1)) *
                        (load<V>(em + i) * V(scale));
           const V bi = (load<V>(b + i + 1) + load<V>(a + i)) * V(eb);
           store(A + i, ai);
           store(B + i + 1, bi);
           return V(ai + bi);
         });
}

/// β′_{t−1} from β′_t and frame t's emissions, times `scale`. Returns Σ β′_{t−1}.
inline double beta_step(Index S, const double* next, const double* em, const double* skip,
                        double scale, double* cur) {
  const double* a = next + 1;
  const double* b = next + S + 2;
  double* A = cur + 1;
  double* B = cur + S + 2;
  const double eb = em[S + 1] * scale;
  const double total = sum_lanes(S, [=](auto v, Index i) {
    using V = decltype(v);
    const V sc(scale), ebv(eb);
    const V ea = load<V>(a + i) * load<V>(em + i) * sc;  // e·β′ of A_i, scaled
    const V ea1 = load<V>(a + i + 1) * load<V>(em + i + 1) * sc;
    const V ai = ea + load<V>(b + i + 1) * ebv + load<V>(skip + i + 1) * ea1;
    const V bi = load<V>(b + i) * ebv + ea;
    store(A + i, ai);
    store(B + i, bi);
    return V(ai + bi);
  });
  B[S] = b[S] * eb;
  return total + B[S];
}

/// Σ_i x[i]·y[i] over n entries.
inline double dot(Index n, const double* x, const double* y) {
  return sum_lanes(n, [=](auto v, Index i) {
    using V = decltype(v);
    return V(load<V>(x + i) * load<V>(y + i));
  });
}

/// Frame t's softmax statistics (returned), the exponentials
/// e = exp(x − max) (row_exps) and the emissions of its states (laid out as
/// above). `normal` becomes false if an
/// emission is below R's smallest normal number (0 or fewer digits: a logit
/// gap beyond 87 in float, 708 in double), where only log space keeps its
/// digits, or if the row has no top (it holds NaN).
template <class R>
FrameSoftmax frame_statistics(const Problem& p, const R* x, R* e, double* em, bool& normal) {
  const R max = Eigen::Map<const Eigen::Array<R, Eigen::Dynamic, 1>>(x, p.classes).maxCoeff();
  const Index top = first_max(x, p.classes, max);
  const double rest = row_exps<true>(x, p.classes, max, top, e);
  R smallest = e[p.blank];
  for (Index i = 0; i < p.count; ++i) {
    const R v = e[p.labels[i]];
    smallest = v < smallest ? v : smallest;
    em[i] = static_cast<double>(v);
  }
  em[p.count] = 0;
  em[p.count + 1] = static_cast<double>(e[p.blank]);
  normal = normal && smallest >= std::numeric_limits<R>::min() && top >= 0;
  return FrameSoftmax{static_cast<double>(max), rest, 1.0 / (1.0 + rest), top};
}

/// The linear-space workspace of one sequence (scratch of the calling
/// thread): β′ (T·F), the emissions (T·(S + 2)), per frame the exponent D_t
/// of β′'s scale (β̃′_t = β′_t·2^−D_t) and the softmax statistics; α and the
/// next one (F each), skip (S + 1); two rows of R.
template <class R>
struct LinearWork {
  Index T, S, F;
  double *beta, *emit, *exponent, *alpha, *next_alpha, *skip;
  FrameSoftmax* softmax;
  R *buffer, *e;
  explicit LinearWork(const Problem& p) : T(p.frames), S(p.count), F(2 * p.count + 3) {
    beta = scratch<double, sequence_slot>(static_cast<std::size_t>(T * (F + S + 3) + 3 * F));
    emit = beta + T * F;
    exponent = emit + T * (S + 2);
    alpha = exponent + T;
    next_alpha = alpha + F;
    skip = next_alpha + F;
    softmax = scratch<FrameSoftmax, frame_slot>(static_cast<std::size_t>(T));
    buffer = scratch<R, row_slot>(static_cast<std::size_t>(2 * p.classes));
    e = buffer + p.classes;
    for (Index i = 0; i <= S; ++i) skip[i] = i > 0 && i < S && p.labels[i] != p.labels[i - 1];
  }
  double* em(Index t) const { return emit + t * (S + 2); }
};

/// Pass 1, in frame order: each frame's softmax statistics and emissions.
/// Where the gradient is written in place, its row keeps the exponentials
/// until pass 3 scales them: one exp per logit per call. Returns false if an
/// emission is not a normal number; else Π_t Σ_t = norm·2^norm_exponent.
template <class R, class Reader, class Writer>
bool frames_pass(const Problem& p, Index row0, const Reader& reader, const Writer& writer,
                 const LinearWork<R>& w, double& norm, long long& norm_exponent) {
  norm = 1.0;
  norm_exponent = 0;
  bool normal = true;
  for (Index t = 0; t < w.T; ++t) {
    R* exps = Writer::active && writer.in_place() ? writer.row(row0 + t, w.e) : w.e;
    w.softmax[t] = frame_statistics<R>(p, reader.row(row0 + t, w.buffer), exps, w.em(t), normal);
    int n;
    norm = std::frexp(norm * (1.0 + w.softmax[t].rest), &n);
    norm_exponent += n;
  }
  return normal;
}

/// Pass 2, backwards over the emissions alone: β̃′ of every frame and its
/// exponent. Returns false where a frame's β′ vanishes or overflows.
template <class R>
bool beta_pass(const LinearWork<R>& w) {
  const Index T = w.T, S = w.S, F = w.F;
  double* last = w.beta + (T - 1) * F;
  std::fill(last, last + F, 0.0);
  last[F - 1] = 1.0;         // B_S
  if (S > 0) last[S] = 1.0;  // A_{S−1}
  double total = S > 0 ? 2.0 : 1.0;
  long long D = 0;
  w.exponent[T - 1] = 0;
  for (Index t = T - 1; t > 0; --t) {
    double* cur = w.beta + (t - 1) * F;
    cur[0] = cur[S + 1] = 0;  // the pads
    int j;
    std::frexp(total, &j);
    total = beta_step(S, w.beta + t * F, w.em(t), w.skip, std::ldexp(1.0, -j), cur);
    D += j;
    w.exponent[t - 1] = static_cast<double>(D);
    if (!(total > 0 && total < std::numeric_limits<double>::infinity())) return false;
  }
  return true;
}

/// Pass 3, in frame order again (the logits read and the gradient written
/// as streams): α̃, the check of each frame, and the gradient rows. α̃_t =
/// α_t·2^−E_t; Σ α̃_t·β̃′_t = P̂·2^−(E_t + D_t) at every frame in exact
/// arithmetic, P̂ = z_0·2^D_0 (E_0 = 0): each frame is checked against frame 0
/// (the method's bound). Returns false where the check fails; else z0.
template <class R, class Reader, class Writer>
bool alpha_pass(const Problem& p, Index row0, const Reader& reader, const Writer& writer,
                const LinearWork<R>& w, double& z0) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const Index T = w.T, S = w.S, F = w.F;
  const double tolerance =
      static_cast<double>(8 * T + 4 * S + 16) * std::numeric_limits<double>::epsilon();
  double *alpha = w.alpha, *next_alpha = w.next_alpha;
  std::fill(alpha, alpha + 2 * F, 0.0);  // α̃ and the next one (their pads stay 0)
  long long E = 0;
  double total = 0;
  for (Index t = 0; t < T; ++t) {
    const double* em = w.em(t);
    if (t == 0) {
      alpha[S + 2] = em[S + 1];     // B_0
      if (S > 0) alpha[1] = em[0];  // A_0
      total = alpha[S + 2] + alpha[1];
    } else {
      int k;
      std::frexp(total, &k);
      total = alpha_step(S, alpha, em, w.skip, std::ldexp(1.0, -k), next_alpha);
      E += k;
      std::swap(alpha, next_alpha);
    }
    const double* b = w.beta + t * F;
    const double z_labels = dot(S, alpha + 1, b + 1),
                 z_blanks = dot(S + 1, alpha + S + 2, b + S + 2);
    const double z = z_labels + z_blanks;
    if (t == 0) z0 = z;
    const long long shift =
        E + static_cast<long long>(w.exponent[t]) - static_cast<long long>(w.exponent[0]);
    const double ratio = std::ldexp(z, static_cast<int>(std::clamp(shift, -4000LL, 4000LL))) / z0;
    if (!(z0 > 0 && z0 < inf && std::abs(ratio - 1.0) <= tolerance)) return false;
    if constexpr (Writer::active) {
      const double inv_z = 1.0 / z;
      const double* a = alpha;
      R* g = writer.row(row0 + t, w.buffer);
      write_frame<R>(
          p, writer.in_place() ? nullptr : reader.row(row0 + t, w.e), w.softmax[t],
          z_blanks * inv_z, [&](Index i) { return a[1 + i] * b[1 + i] * inv_z; }, g);
      writer.commit(row0 + t, g);
    }
  }
  return true;
}

/// The linear-space recursion of one sequence (T ≥ 1 frames, enough for its
/// labels) in its three passes. Returns false where a pass fails (an
/// emission that is not a normal number, or an underflow that mattered):
/// the caller then runs logspace_sequence. Else `loss` = −log P.
template <class R, class Reader, class Writer>
bool linear_sequence(const Problem& p, Index row0, const Reader& reader, const Writer& writer,
                     double& loss) {
  const LinearWork<R> w(p);
  double norm = 0, z0 = 1;  // set by the passes; initialised for -Wmaybe-uninitialized
  long long norm_exponent = 0;
  if (!frames_pass<R>(p, row0, reader, writer, w, norm, norm_exponent) || !beta_pass(w) ||
      !alpha_pass<R>(p, row0, reader, writer, w, z0))
    return false;
  // l = Σ_t log Σ_t − log P̂.
  loss = std::log(norm / z0) +
         static_cast<double>(norm_exponent - static_cast<long long>(w.exponent[0])) *
             0.6931471805599453;  // ln 2
  return std::abs(loss) < std::numeric_limits<double>::infinity();
}

/// log(e^a + e^b), exact for −inf operands.
inline double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == -std::numeric_limits<double>::infinity()) return a;
  return a + std::log1p(std::exp(b - a));
}

/// The recursion of one sequence in log space, in double: no underflow for
/// any logits (the fallback of linear_sequence). Returns −log P.
template <class R, class Reader, class Writer>
double logspace_sequence(const Problem& p, Index row0, const Reader& reader, const Writer& writer) {
  constexpr double minus_inf = -std::numeric_limits<double>::infinity();
  const Index T = p.frames, S = p.count, L = 2 * S + 1, C = p.classes;
  // log α (T·L); per frame: log Σ_c e^x_c; log β′, the next one, log(e·β′)
  // and each state's γ (L each); per frame: softmax.
  double* la = scratch<double, sequence_slot>(static_cast<std::size_t>(T * (L + 1) + 4 * L));
  double* lse = la + T * L;
  double* lb = lse + T;
  double* next = lb + L;
  double* b = next + L;
  double* occupancy = b + L;  // per state
  FrameSoftmax* softmax = scratch<FrameSoftmax, frame_slot>(static_cast<std::size_t>(T));
  R* buffer = scratch<R, row_slot>(static_cast<std::size_t>(2 * C));
  auto klass = [&](Index s) { return s % 2 == 0 ? p.blank : static_cast<Index>(p.labels[s / 2]); };
  auto skips = [&](Index s) {
    return s % 2 == 1 && s >= 3 && p.labels[s / 2] != p.labels[s / 2 - 1];
  };
  auto frame = [&](Index t) {  // the row; its statistics (as FrameSoftmax's) stored
    const R* x = reader.row(row0 + t, buffer);
    double m = minus_inf, rest = 0;
    for (Index c = 0; c < C; ++c) m = std::max(m, static_cast<double>(x[c]));
    Index top = -1;
    for (Index c = 0; c < C; ++c) {
      if (top < 0 && static_cast<double>(x[c]) == m)
        top = c;
      else
        rest += std::exp(static_cast<double>(x[c]) - m);
    }
    lse[t] = m + std::log1p(rest);
    softmax[t] = FrameSoftmax{m, rest, 1.0 / (1.0 + rest), top};
    return x;
  };
  for (Index t = 0; t < T; ++t) {
    const R* x = frame(t);
    double* cur = la + t * L;
    for (Index s = 0; s < L; ++s) {
      double v = minus_inf;
      if (t == 0) {
        if (s < 2) v = 0;
      } else {
        const double* prev = cur - L;
        v = prev[s];
        if (s >= 1) v = log_add(v, prev[s - 1]);
        if (skips(s)) v = log_add(v, prev[s - 2]);
      }
      cur[s] = v + (static_cast<double>(x[klass(s)]) - lse[t]);
    }
  }
  const double* last = la + (T - 1) * L;
  const double log_p = log_add(last[L - 1], L > 1 ? last[L - 2] : minus_inf);
  if constexpr (Writer::active) {
    std::fill(lb, lb + L, minus_inf);
    lb[L - 1] = 0;
    if (L > 1) lb[L - 2] = 0;
    for (Index t = T - 1; t >= 0; --t) {
      const R* x = reader.row(row0 + t, buffer);
      double blank = 0;
      for (Index s = 0; s < L; ++s) {
        occupancy[s] = std::exp(la[t * L + s] + lb[s] - log_p);
        if (s % 2 == 0) blank += occupancy[s];
      }
      R* g = writer.row(row0 + t, buffer + C);
      write_frame<R>(
          p, x, softmax[t], blank, [&](Index i) { return occupancy[2 * i + 1]; }, g);
      writer.commit(row0 + t, g);
      if (t == 0) break;
      for (Index s = 0; s < L; ++s) b[s] = lb[s] + (static_cast<double>(x[klass(s)]) - lse[t]);
      for (Index s = 0; s < L; ++s) {
        double v = b[s];
        if (s + 1 < L) v = log_add(v, b[s + 1]);
        if (s + 2 < L && skips(s + 2)) v = log_add(v, b[s + 2]);
        next[s] = v;
      }
      std::swap(lb, next);
    }
  }
  return -log_p;
}

/// −log P of one sequence, with its gradient rows written (times p.factor)
/// when the writer is active: 0 and no rows for no frames and no labels;
/// +inf (0 under zero_infinity) where no alignment fits, with NaN rows (zero
/// rows under zero_infinity); 0 and zero rows for a sequence of weight 0.
template <class R, class Reader, class Writer>
double sequence_loss(const Problem& p, Index row0, const Reader& reader, const Writer& writer,
                     Index needed, bool zero_infinity) {
  R* buffer = scratch<R, row_slot>(static_cast<std::size_t>(2 * p.classes));
  auto fill_rows = [&](R v) {
    if constexpr (Writer::active)
      for (Index t = 0; t < p.frames; ++t) writer.fill(row0 + t, v, buffer);
  };
  constexpr double inf = std::numeric_limits<double>::infinity();
  if (p.weightless) {
    fill_rows(R(0));
    return 0;
  }
  if (p.frames < needed) {
    fill_rows(zero_infinity ? R(0) : std::numeric_limits<R>::quiet_NaN());
    return zero_infinity ? 0 : inf;
  }
  if (p.frames == 0) return 0;  // (and no labels: one empty alignment)
  double loss = 0;
  if (!linear_sequence<R>(p, row0, reader, writer, loss))
    loss = logspace_sequence<R>(p, row0, reader, writer);
  if (loss == inf && zero_infinity) {
    fill_rows(R(0));
    return 0;
  }
  return loss;
}

/// Every sequence of a batch: losses[n] = l_n (as sequence_loss gives it;
/// factors[n] its reduction's factor, weights[n] its weight), gradient rows
/// written. Sequences are independent, so the results are the
/// same bits on any number of threads; with OpenMP and a large batch the
/// sequences run on all threads.
template <class R, class X, class G>
void run_batch(const Input<X>& logits, const Span* spans, Index N, const std::int64_t* labels,
               Index blank, bool zero_infinity, const double* factors, const double* weights,
               G* gradient, double* losses) {
  const FrameReader<X, R> reader(logits);
  const GradientWriter<G, R> writer(gradient, logits.rows(), logits.cols());
  auto one = [&](Index n) {
    const Span& sp = spans[n];
    Problem p{sp.frames, sp.count, logits.cols(), blank, labels + sp.label, factors[n]};
    p.weightless = weights[n] == 0;
    losses[n] = sequence_loss<R>(p, sp.row, reader, writer, sp.needed(labels), zero_infinity);
  };
#ifdef LOSSFN_OPENMP
  if (N > 1 && use_threads(logits.rows() * logits.cols())) {
#pragma omp parallel for schedule(dynamic, 1)
    for (Index n = 0; n < N; ++n) one(n);
    return;
  }
#endif
  for (Index n = 0; n < N; ++n) one(n);
}

}  // namespace lossfn::detail::ctc

#undef LOSSFN_CTC_INLINE

LOSSFN_WARNINGS_ON
