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
// class k.
//
// Method. Linear space in double, each frame's α (and β′) rescaled by a power
// of two — exact, so the scalings add no rounding — with the emissions
// exp(x − max) of the frame (the softmax's normaliser Σ_t is added back in
// log space: l = Σ_t log Σ_t − log P̂). Each state's value then carries at most
// 3 roundings per frame (a sum of three positive terms and a product), so
// Z_t = Σ_s α_t(s)·β′_t(s), which equals P at every frame in exact
// arithmetic, agrees with P to (8T + 2(2S + 1) + 8)·ε. Where it does not, an
// entry underflowed that mattered (logit gaps beyond about 700 in double,
// 87 in float, or states that fall 2^−1022 behind the leading ones and later
// lead): the sequence is recomputed in log space (logspace_sequence), which
// never underflows. Linear space costs a multiply-add per state and frame on
// SIMD lanes where log space costs an exp and a log: the recursion is a
// small part of the call next to the frame's softmax (detail in
// docs/sequences.md).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "access.hpp"
#include "reduce.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail::ctc {

using Eigen::Index;
using Doubles = Eigen::Map<Eigen::ArrayXd>;

/// Memory of the calling thread for slot Slot, grown when a call needs more
/// than any before it on this thread and then kept: no allocation per call
/// once warm. Each slot has one user at a time.
template <class T, int Slot>
T* scratch(std::size_t n) {
  thread_local std::vector<T> memory;
  if (memory.size() < n) memory.resize(n);
  return memory.data();
}
enum Slot { sequence_slot, row_slot, slot_slot, call_slot, index_slot };

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
};

/// The label slots of a sequence: slot[i] is the first position holding
/// label i's class, so repeated classes add their occupancy once per frame.
inline void label_slots(const Problem& p, Index* slot) {
  for (Index i = 0; i < p.count; ++i) {
    slot[i] = i;
    for (Index j = 0; j < i; ++j)
      if (p.labels[j] == p.labels[i]) {
        slot[i] = j;
        break;
      }
  }
}

/// softmax_t − γ_t, times the sequence's factor, into g: the exponentials
/// once more over the row, then the classes of the states corrected in double.
template <class R>
void write_frame(const Problem& p, const R* x, R max, double inv_sum, const double* occupancy,
                 double blank_occupancy, const Index* slot, R* g) {
  using Row = Eigen::Array<R, Eigen::Dynamic, 1>;
  const Index C = p.classes;
  Eigen::Map<const Row> xr(x, C);
  Eigen::Map<Row>(g, C) = (xr - max).exp() * static_cast<R>(inv_sum * p.factor);
  auto set = [&](Index k, double occ) {
    using std::exp;
    const double s = static_cast<double>(exp(R(x[k] - max))) * inv_sum;
    g[k] = static_cast<R>((s - occ) * p.factor);
  };
  set(p.blank, blank_occupancy);
  for (Index i = 0; i < p.count; ++i)
    if (slot[i] == i) set(p.labels[i], occupancy[i]);
}

/// The linear-space recursion of one sequence (T ≥ 1 frames, enough for its
/// labels). Returns false where a consistency check fails (an underflow that
/// mattered): the caller then runs logspace_sequence. Else `loss` = −log P.
template <class R, class Reader, class Writer>
bool linear_sequence(const Problem& p, Index row0, const Reader& reader, const Writer& writer,
                     double& loss) {
  const Index T = p.frames, S = p.count, L = 2 * S + 1, C = p.classes;
  // Workspace: α (T·L), emissions (T·(S + 1): the labels', then the blank's),
  // per frame max, 1/Σ and the exponent K of α's scale, β′ (2·L), γ (S + 1),
  // skip flags (S), label slots (S).
  double* alpha =
      scratch<double, sequence_slot>(static_cast<std::size_t>(T * (L + S + 4) + 3 * L + 3 * S + 4));
  double* emit = alpha + T * L;
  double* frame_max = emit + T * (S + 1);
  double* inv_sum = frame_max + T;
  double* scale = inv_sum + T;  // K_t: α̃_t = α_t·2^−K_t
  double* beta = scale + T;
  double* next_beta = beta + L;
  double* occupancy = next_beta + L;
  double* skip = occupancy + S + 1;
  Index* slot = scratch<Index, slot_slot>(static_cast<std::size_t>(S));
  R* buffer = scratch<R, row_slot>(static_cast<std::size_t>(2 * C));
  R* e = buffer + C;
  for (Index i = 0; i < S; ++i) skip[i] = i > 0 && p.labels[i] != p.labels[i - 1] ? 1.0 : 0.0;

  // Forward: the frame's softmax statistics, its emissions, α.
  double log_norm_mantissa = 1.0;  // Π_t Σ_t = mantissa·2^exponent
  long long log_norm_exponent = 0;
  long long K = 0;
  for (Index t = 0; t < T; ++t) {
    using Row = Eigen::Array<R, Eigen::Dynamic, 1>;
    Eigen::Map<const Row> x(reader.row(row0 + t, buffer), C);
    const R m = x.maxCoeff();
    Eigen::Map<Row>(e, C) = (x - m).exp();
    const double sum = static_cast<double>(Eigen::Map<Row>(e, C).sum());
    int k;
    log_norm_mantissa = std::frexp(log_norm_mantissa * sum, &k);
    log_norm_exponent += k;
    frame_max[t] = static_cast<double>(m);
    inv_sum[t] = 1.0 / sum;
    double* em = emit + t * (S + 1);
    for (Index i = 0; i < S; ++i) em[i] = static_cast<double>(e[p.labels[i]]);
    em[S] = static_cast<double>(e[p.blank]);
    Doubles A(alpha + t * L, S), B(alpha + t * L + S, S + 1);
    if (t == 0) {
      A.setZero();
      B.setZero();
      B(0) = em[S];
      if (S > 0) A(0) = em[0];
    } else {
      const Doubles a(alpha + (t - 1) * L, S), b(alpha + (t - 1) * L + S, S + 1);
      const Doubles es(em, S);
      const double eb = em[S];
      B(0) = b(0) * eb;
      if (S > 0) {
        B.tail(S) = (b.tail(S) + a) * eb;
        A(0) = (a(0) + b(0)) * es(0);
        const Doubles sk(skip, S);
        A.tail(S - 1) =
            (a.tail(S - 1) + b.segment(1, S - 1) + sk.tail(S - 1) * a.head(S - 1)) * es.tail(S - 1);
      }
    }
    const double total = A.sum() + B.sum();
    if (!(total > 0 && total < std::numeric_limits<double>::infinity())) return false;
    int k_t;
    std::frexp(total, &k_t);
    // Scale α̃ now (exact): the next frame reads it at unit size.
    A *= std::ldexp(1.0, -k_t);
    B *= std::ldexp(1.0, -k_t);
    K += k_t;
    scale[t] = static_cast<double>(K);
  }
  const double* last = alpha + (T - 1) * L;
  const double p_hat = last[S + S] + (S > 0 ? last[S - 1] : 0.0);  // α̃ at B_S, A_{S−1}
  if (!(p_hat > 0)) return false;
  // l = Σ_t log Σ_t − log P̂, P̂ = p_hat·2^K.
  loss = std::log(log_norm_mantissa / p_hat) +
         static_cast<double>(log_norm_exponent - K) * 0.69314718055994530942;  // ln 2
  if (!(loss == loss) || std::isinf(loss)) return false;

  // Backward: β̃′ (scaled by 2^−J), the check, and the gradient row by row.
  if constexpr (Writer::active) label_slots(p, slot);
  const double tolerance =
      static_cast<double>(8 * T + 2 * L + 8) * std::numeric_limits<double>::epsilon();
  std::fill(beta, beta + L, 0.0);
  beta[S + S] = 1.0;             // B_S
  if (S > 0) beta[S - 1] = 1.0;  // A_{S−1}
  long long J = 0;
  for (Index t = T - 1; t >= 0; --t) {
    Doubles bA(beta, S), bB(beta + S, S + 1);
    const Doubles aA(alpha + t * L, S), aB(alpha + t * L + S, S + 1);
    // α̃ was scaled by 2^−K_t after frame t: α̃_t·β̃′_t = P̂·2^−(K_t + J).
    // α̃_t·β̃′_t sums to P̂·2^−(K_t + J_t) = p_hat·2^(K − K_t − J_t) in exact arithmetic.
    const double z = (aA * bA).sum() + (aB * bB).sum();
    const long long shift = static_cast<long long>(scale[t]) + J - K;
    const double ratio =
        std::ldexp(z, static_cast<int>(std::clamp(shift, -4000LL, 4000LL))) / p_hat;
    if (!(std::abs(ratio - 1.0) <= tolerance)) return false;
    if constexpr (Writer::active) {
      const double inv_z = 1.0 / z;
      Doubles occ(occupancy, S + 1);
      occ.setZero();
      for (Index i = 0; i < S; ++i) occupancy[slot[i]] += aA(i) * bA(i) * inv_z;
      const double blank_occ = (aB * bB).sum() * inv_z;
      R* g = writer.row(row0 + t, buffer);
      const R* x = reader.row(row0 + t, e);
      write_frame<R>(p, x, static_cast<R>(frame_max[t]), inv_sum[t], occupancy, blank_occ, slot, g);
      writer.commit(row0 + t, g);
    }
    if (t == 0) break;
    // β̃′_{t−1} from b = e_t·β̃′_t.
    const double* em = emit + t * (S + 1);
    const Doubles es(const_cast<double*>(em), S);
    const double eb = em[S];
    Doubles nA(next_beta, S), nB(next_beta + S, S + 1);
    nB = bB * eb;
    if (S > 0) {
      nB.head(S) += bA * es;
      const Doubles sk(skip, S);
      nA = bA * es;
      nA += bB.tail(S) * eb;
      if (S > 1) nA.head(S - 1) += sk.tail(S - 1) * bA.tail(S - 1) * es.tail(S - 1);
    }
    const double total = nA.sum() + nB.sum();
    if (!(total > 0 && total < std::numeric_limits<double>::infinity())) return false;
    int j;
    std::frexp(total, &j);
    nA *= std::ldexp(1.0, -j);
    nB *= std::ldexp(1.0, -j);
    J += j;
    std::swap(beta, next_beta);
  }
  return true;
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
  double* la =
      scratch<double, sequence_slot>(static_cast<std::size_t>(T * (L + 1) + 3 * L + S + 1));
  double* lse = la + T * L;
  double* lb = lse + T;
  double* next = lb + L;
  double* b = next + L;
  double* occupancy = b + L;
  Index* slot = scratch<Index, slot_slot>(static_cast<std::size_t>(S));
  R* buffer = scratch<R, row_slot>(static_cast<std::size_t>(2 * C));
  auto klass = [&](Index s) { return s % 2 == 0 ? p.blank : static_cast<Index>(p.labels[s / 2]); };
  auto skips = [&](Index s) {
    return s % 2 == 1 && s >= 3 && p.labels[s / 2] != p.labels[s / 2 - 1];
  };
  auto frame = [&](Index t) {  // the row, its log-sum-exp stored in lse[t]
    const R* x = reader.row(row0 + t, buffer);
    double m = minus_inf;
    for (Index c = 0; c < C; ++c) m = std::max(m, static_cast<double>(x[c]));
    double sum = 0;
    for (Index c = 0; c < C; ++c) sum += std::exp(static_cast<double>(x[c]) - m);
    lse[t] = m + std::log(sum);
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
    label_slots(p, slot);
    std::fill(lb, lb + L, minus_inf);
    lb[L - 1] = 0;
    if (L > 1) lb[L - 2] = 0;
    for (Index t = T - 1; t >= 0; --t) {
      const R* x = reader.row(row0 + t, buffer);
      std::fill(occupancy, occupancy + S + 1, 0.0);
      for (Index s = 0; s < L; ++s) {
        const double occ = std::exp(la[t * L + s] + lb[s] - log_p);
        occupancy[s % 2 == 0 ? S : slot[s / 2]] += occ;
      }
      R* g = writer.row(row0 + t, buffer + C);
      for (Index c = 0; c < C; ++c)
        g[c] = static_cast<R>(std::exp(static_cast<double>(x[c]) - lse[t]) * p.factor);
      auto set = [&](Index k, double occ) {
        g[k] = static_cast<R>((std::exp(static_cast<double>(x[k]) - lse[t]) - occ) * p.factor);
      };
      set(p.blank, occupancy[S]);
      for (Index i = 0; i < S; ++i)
        if (slot[i] == i) set(p.labels[i], occupancy[i]);
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
  if (p.factor == 0) {
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

/// Every sequence of a batch: losses[n] = l_n (as sequence_loss gives it),
/// gradient rows written. Sequences are independent, so the results are the
/// same bits on any number of threads; with OpenMP and a large batch the
/// sequences run on all threads.
template <class R, class X, class G>
void run_batch(const Input<X>& logits, const Span* spans, Index N, const std::int64_t* labels,
               Index blank, bool zero_infinity, const double* factors, G* gradient,
               double* losses) {
  const FrameReader<X, R> reader(logits);
  const GradientWriter<G, R> writer(gradient, logits.rows(), logits.cols());
  auto one = [&](Index n) {
    const Span& sp = spans[n];
    const Problem p{sp.frames, sp.count, logits.cols(), blank, labels + sp.label, factors[n]};
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

LOSSFN_WARNINGS_ON
