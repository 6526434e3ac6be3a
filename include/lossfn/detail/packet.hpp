// lossfn — SIMD lanes for the losses' formulas, through Eigen's packet math.
//
// Vec<S> wraps one Eigen packet of S (SSE2's 4 floats, AVX's 8, AVX-512's 16:
// whatever the consumer compiles for) with the arithmetic, comparisons and
// constructors a loss's `evaluate` uses, so that the same templated body runs
// on scalars and on packets: `S(2) * d`, `select(d > S(0), a, b)`,
// `detail::exp(x)` compile for both. Comparisons give a Mask, which select()
// takes; `if (mask)` does not compile, which is the point: a loss whose
// formula branches on a value cannot be vectorized by accident.
//
// Which of Eigen 3.4's packet functions are really vectorized (x86-64,
// checked in Eigen/src/Core/arch/{SSE,AVX,AVX512}/PacketMath.h):
//   float:  pexp, plog, plog1p, pexpm1 (SSE2, AVX, AVX-512); ptanh only
//           with EIGEN_FAST_MATH.
//   double: pexp, plog (SSE2, AVX, AVX-512); no plog1p, pexpm1, ptanh: the
//           generic versions call std:: on a packet and do not compile.
// So log1p is written here once, for both, from plog (Kahan's trick).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <utility>

#include "math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

namespace pk = Eigen::internal;

/// Whether S has a packet of more than one lane in this build.
template <class S>
constexpr bool has_packet =
    (std::is_same_v<S, float> || std::is_same_v<S, double>)&&pk::packet_traits<S>::Vectorizable &&
    (pk::packet_traits<S>::size > 1);

template <class S>
struct Mask;

/// Comparisons and selects on the packets of S. Generic: Eigen's packet masks.
template <class S>
struct MaskOps {
  using Packet = typename pk::packet_traits<S>::type;
  using Bits = Packet;
  static Bits lt(const Packet& a, const Packet& b) { return pk::pcmp_lt(a, b); }
  static Bits le(const Packet& a, const Packet& b) { return pk::pcmp_le(a, b); }
  static Bits eq(const Packet& a, const Packet& b) { return pk::pcmp_eq(a, b); }
  static Bits none() { return pk::pzero(Packet()); }
  static bool any(const Bits& m) { return pk::predux_any(m); }
  static Bits conjunction(const Bits& a, const Bits& b) { return pk::pand(a, b); }
  static Bits disjunction(const Bits& a, const Bits& b) { return pk::por(a, b); }
  static Bits negation(const Bits& a) { return pk::pandnot(pk::ptrue(a), a); }
  static Packet select(const Bits& m, const Packet& a, const Packet& b) { return pk::pselect(m, a, b); }
};

#if defined(EIGEN_VECTORIZE_AVX512)
/// AVX-512: masks live in k registers, one bit per lane (the same predicates:
/// ordered, so false for NaN lanes).
template <class Ops>
struct KMaskOps {
  using Packet = typename Ops::Packet;
  using Bits = typename Ops::Bits;
  static constexpr Bits all = static_cast<Bits>((1u << Ops::lanes) - 1u);
  static Bits lt(const Packet& a, const Packet& b) { return Ops::template cmp<_CMP_LT_OQ>(a, b); }
  static Bits le(const Packet& a, const Packet& b) { return Ops::template cmp<_CMP_LE_OQ>(a, b); }
  static Bits eq(const Packet& a, const Packet& b) { return Ops::template cmp<_CMP_EQ_OQ>(a, b); }
  static Bits none() { return 0; }
  static bool any(Bits m) { return m != 0; }
  static Bits conjunction(Bits a, Bits b) { return static_cast<Bits>(a & b); }
  static Bits disjunction(Bits a, Bits b) { return static_cast<Bits>(a | b); }
  static Bits negation(Bits a) { return static_cast<Bits>(a ^ all); }
  static Packet select(Bits m, const Packet& a, const Packet& b) { return Ops::blend(m, b, a); }
};
struct KMaskFloat {
  using Packet = __m512;
  using Bits = __mmask16;
  static constexpr int lanes = 16;
  template <int Predicate>
  static __mmask16 cmp(const __m512& a, const __m512& b) {
    return _mm512_cmp_ps_mask(a, b, Predicate);
  }
  static __m512 blend(__mmask16 m, const __m512& a, const __m512& b) { return _mm512_mask_blend_ps(m, a, b); }
};
struct KMaskDouble {
  using Packet = __m512d;
  using Bits = __mmask8;
  static constexpr int lanes = 8;
  template <int Predicate>
  static __mmask8 cmp(const __m512d& a, const __m512d& b) {
    return _mm512_cmp_pd_mask(a, b, Predicate);
  }
  static __m512d blend(__mmask8 m, const __m512d& a, const __m512d& b) { return _mm512_mask_blend_pd(m, a, b); }
};
template <>
struct MaskOps<float> : KMaskOps<KMaskFloat> {};
template <>
struct MaskOps<double> : KMaskOps<KMaskDouble> {};
#endif

/// One packet of S, with value semantics and the operators of S.
template <class S>
struct Vec {
  using Packet = typename pk::packet_traits<S>::type;
  using Scalar = S;
  static constexpr int size = pk::unpacket_traits<Packet>::size;
  Packet p;

  Vec() = default;
  explicit Vec(const Packet& packet) : p(packet) {}
  /// Broadcast: `S(2)`, `static_cast<S>(option)`.
  template <class A, class = std::enable_if_t<std::is_arithmetic_v<A>>>
  explicit Vec(A a) : p(pk::pset1<Packet>(static_cast<S>(a))) {}

  static Vec load(const S* from) { return Vec(pk::ploadu<Packet>(from)); }
  void store(S* to) const { pk::pstoreu(to, p); }

  friend Vec operator+(const Vec& a, const Vec& b) { return Vec(pk::padd(a.p, b.p)); }
  friend Vec operator-(const Vec& a, const Vec& b) { return Vec(pk::psub(a.p, b.p)); }
  friend Vec operator*(const Vec& a, const Vec& b) { return Vec(pk::pmul(a.p, b.p)); }
  friend Vec operator/(const Vec& a, const Vec& b) { return Vec(pk::pdiv(a.p, b.p)); }
  friend Vec operator-(const Vec& a) { return Vec(pk::pnegate(a.p)); }
  Vec& operator+=(const Vec& b) { return *this = *this + b; }
  Vec& operator-=(const Vec& b) { return *this = *this - b; }
  Vec& operator*=(const Vec& b) { return *this = *this * b; }

  // IEEE comparisons, lane by lane: false wherever a lane is NaN, except !=.
  friend Mask<S> operator<(const Vec& a, const Vec& b) { return Mask<S>{MaskOps<S>::lt(a.p, b.p)}; }
  friend Mask<S> operator<=(const Vec& a, const Vec& b) { return Mask<S>{MaskOps<S>::le(a.p, b.p)}; }
  friend Mask<S> operator>(const Vec& a, const Vec& b) { return Mask<S>{MaskOps<S>::lt(b.p, a.p)}; }
  friend Mask<S> operator>=(const Vec& a, const Vec& b) { return Mask<S>{MaskOps<S>::le(b.p, a.p)}; }
  friend Mask<S> operator==(const Vec& a, const Vec& b) { return Mask<S>{MaskOps<S>::eq(a.p, b.p)}; }
  friend Mask<S> operator!=(const Vec& a, const Vec& b) { return !(a == b); }
};

/// The lanes where a comparison holds, in MaskOps<S>::Bits: a packet
/// with all bits set in those lanes (Eigen's pcmp_* convention), or with
/// AVX-512 a k-register bit mask, which compares write and blends read
/// directly (Eigen's pcmp_*/pselect convert to a packet and back: two more
/// instructions per comparison and per select).
template <class S>
struct Mask {
  using Ops = MaskOps<S>;
  typename Ops::Bits m;
  /// No lane set.
  static Mask none() { return Mask{Ops::none()}; }
  /// Whether some lane is set.
  bool any() const { return Ops::any(m); }
  friend Mask operator&&(const Mask& a, const Mask& b) { return Mask{Ops::conjunction(a.m, b.m)}; }
  friend Mask operator||(const Mask& a, const Mask& b) { return Mask{Ops::disjunction(a.m, b.m)}; }
  friend Mask operator!(const Mask& a) { return Mask{Ops::negation(a.m)}; }
};

template <class S>
inline Vec<S> select(const Mask<S>& c, const Vec<S>& a, const Vec<S>& b) {
  return Vec<S>(Mask<S>::Ops::select(c.m, a.p, b.p));
}

/// The bitwise or of two packets (a | +0 is a, bit for bit: NaN and −0 too).
template <class S>
inline Vec<S> bit_or(const Vec<S>& a, const Vec<S>& b) {
  return Vec<S>(pk::por(a.p, b.p));
}

template <class S>
inline Vec<S> abs(const Vec<S>& x) {
  return Vec<S>(pk::pabs(x.p));
}

/// v with lane k replaced by s: a store and a load, for a packet touched
/// once per row (the lane of a row's label or largest logit).
template <class S>
inline Vec<S> with_lane(const Vec<S>& v, Eigen::Index k, S s) {
  S lanes[Vec<S>::size];
  v.store(lanes);
  lanes[k] = s;
  return Vec<S>::load(lanes);
}

/// The lanes of v added in lane order, from +0: the additions of a scalar
/// loop over them.
template <class S>
inline S sum_in_lane_order(const Vec<S>& v) {
  S lanes[Vec<S>::size];
  v.store(lanes);
  S sum(0);
  for (int l = 0; l < Vec<S>::size; ++l) sum += lanes[l];
  return sum;
}

/// The width of the float packets that LaneSums widens into two double
/// packets in registers (the x86 instruction sets below); 0 elsewhere.
#if defined(EIGEN_VECTORIZE_AVX512)
constexpr int widened_float_size = 16;
#elif defined(EIGEN_VECTORIZE_AVX)
constexpr int widened_float_size = 8;
#elif defined(EIGEN_VECTORIZE_SSE2)
constexpr int widened_float_size = 4;
#else
constexpr int widened_float_size = 0;
#endif

/// W running sums in double, one per lane of a packet of S: add(v) does
/// sum[l] += double(v[l]) for every lane l, the same additions, in the same
/// order, as a scalar loop would, but in registers: a float packet is widened
/// in two halves (cvtps2pd) into two double packets, a double packet added as
/// it is. Where no widening is written (not x86) it is that scalar loop.
template <class S>
struct LaneSums {
  static constexpr int size = Vec<S>::size;
  static constexpr bool same = std::is_same_v<S, double>;
  static constexpr bool halves = std::is_same_v<S, float> && size == widened_float_size &&
                                 has_packet<double> && Vec<double>::size * 2 == size;
  Vec<double> lo{0.0}, hi{0.0};  // lanes [0, size/2) and [size/2, size) (or lo alone: double)
  double scalar[size] = {};      // otherwise

  void add(const Vec<S>& v) {
    if constexpr (same) {
      lo += v;
    } else if constexpr (halves) {
      widen_add(v.p);
    } else {
      S buffer[size];
      v.store(buffer);
      for (int l = 0; l < size; ++l) scalar[l] += static_cast<double>(buffer[l]);
    }
  }
  /// The lanes' sums from, and to, an array of `size` doubles (to carry
  /// them between calls: the row-wise driver's RowSums).
  void load(const double* lanes) {
    if constexpr (same || halves) {
      lo = Vec<double>::load(lanes);
      if constexpr (halves) hi = Vec<double>::load(lanes + size / 2);
    } else {
      std::copy(lanes, lanes + size, scalar);
    }
  }
  void store(double* lanes) const {
    if constexpr (same || halves) {
      lo.store(lanes);
      if constexpr (halves) hi.store(lanes + size / 2);
    } else {
      std::copy(scalar, scalar + size, lanes);
    }
  }
  /// The sum of the lanes' sums: in registers, lane l of the low half with
  /// lane l of the high one, then Eigen's predux (a fixed tree of halvings:
  /// a function of the lanes alone, as lane order was, without its chain of
  /// `size` dependent additions, a quarter of a 1024-float call's time);
  /// elsewhere in lane order.
  double total() const {
    if constexpr (same) {
      return pk::predux(lo.p);
    } else if constexpr (halves) {
      return pk::predux(Vec<double>(lo + hi).p);
    }
    double lanes[size];
    store(lanes);
    double sum = 0;
    for (int l = 0; l < size; ++l) sum += lanes[l];
    return sum;
  }

 private:
  // (Called where `halves`: the packet is this build's widened_float_size floats.)
  template <class P>
  void widen_add([[maybe_unused]] const P& p) {
#if defined(EIGEN_VECTORIZE_AVX512)
    lo += Vec<double>(_mm512_cvtps_pd(_mm512_castps512_ps256(p)));
    hi += Vec<double>(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(p), 1))));
#elif defined(EIGEN_VECTORIZE_AVX)
    lo += Vec<double>(_mm256_cvtps_pd(_mm256_castps256_ps128(p)));
    hi += Vec<double>(_mm256_cvtps_pd(_mm256_extractf128_ps(p, 1)));
#elif defined(EIGEN_VECTORIZE_SSE2)
    lo += Vec<double>(_mm_cvtps_pd(p));
    hi += Vec<double>(_mm_cvtps_pd(_mm_movehl_ps(p, p)));
#endif
  }
};

/// Calls f(std::integral_constant<int, k>) for k = 0, 1, …, N − 1: loops over
/// an array of packets with constant indices, so that it stays in registers.
template <int N, class F, int... K>
inline void for_each_index(F&& f, std::integer_sequence<int, K...>) {
  (f(std::integral_constant<int, K>{}), ...);
}
template <int N, class F>
inline void for_each_index(F&& f) {
  for_each_index<N>(f, std::make_integer_sequence<int, N>{});
}

// (Eigen's PacketBlock takes the intrinsic vector type as a template
// argument, whose attributes g++ -Wall reports as ignored: harmless.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// W packets of W lanes (W = Vec<S>::size), r[k] holding row k of a W x W
/// block, transposed in registers: r[c] then holds column c. Eigen's
/// ptranspose, except on AVX-512, where Eigen's goes through 256-bit halves
/// (and, measured, spills): there the four rounds of shuffles below, 64
/// for floats and 24 for doubles, in registers.
template <class S>
inline void transpose(typename Vec<S>::Packet (&r)[Vec<S>::size]) {
  using P = typename Vec<S>::Packet;
  constexpr int W = Vec<S>::size;
#if defined(EIGEN_VECTORIZE_AVX512)
  if constexpr (W == 64 / static_cast<int>(sizeof(S))) {
    constexpr bool f = std::is_same_v<S, float>;
    // Rounds 1–2 (within each 128-bit lane): t[g·E + j], lane L, holds
    // column E·L + j of rows [g·E, g·E + E), E = 4 floats or 2 doubles.
    constexpr int E = f ? 4 : 2, G = W / E;
    P t[W];
    if constexpr (f) {
      for_each_index<G>([&](auto g) {
        constexpr int b = decltype(g)::value * 4;
        const __m512 a0 = _mm512_unpacklo_ps(r[b], r[b + 1]);
        const __m512 a1 = _mm512_unpackhi_ps(r[b], r[b + 1]);
        const __m512 a2 = _mm512_unpacklo_ps(r[b + 2], r[b + 3]);
        const __m512 a3 = _mm512_unpackhi_ps(r[b + 2], r[b + 3]);
        t[b] = _mm512_shuffle_ps(a0, a2, _MM_SHUFFLE(1, 0, 1, 0));
        t[b + 1] = _mm512_shuffle_ps(a0, a2, _MM_SHUFFLE(3, 2, 3, 2));
        t[b + 2] = _mm512_shuffle_ps(a1, a3, _MM_SHUFFLE(1, 0, 1, 0));
        t[b + 3] = _mm512_shuffle_ps(a1, a3, _MM_SHUFFLE(3, 2, 3, 2));
      });
    } else {
      for_each_index<G>([&](auto g) {
        constexpr int b = decltype(g)::value * 2;
        t[b] = _mm512_unpacklo_pd(r[b], r[b + 1]);
        t[b + 1] = _mm512_unpackhi_pd(r[b], r[b + 1]);
      });
    }
    // Rounds 3–4 (128-bit lanes across packets): column E·L + j is lane L of
    // t[j], t[E + j], t[2E + j] and t[3E + j], in that order.
    // (even: lanes 0 and 2 of a, then of b; odd: lanes 1 and 3.)
    auto lanes = [](const P& a, const P& b, bool even) {
      if constexpr (f)
        return even ? _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0))
                    : _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1));
      else
        return even ? _mm512_shuffle_f64x2(a, b, _MM_SHUFFLE(2, 0, 2, 0))
                    : _mm512_shuffle_f64x2(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    };
    for_each_index<E>([&](auto jc) {
      constexpr int j = decltype(jc)::value;
      const P p = lanes(t[j], t[E + j], true), q = lanes(t[j], t[E + j], false);
      const P u = lanes(t[2 * E + j], t[3 * E + j], true);
      const P v = lanes(t[2 * E + j], t[3 * E + j], false);
      r[j] = lanes(p, u, true);           // lane 0
      r[2 * E + j] = lanes(p, u, false);  // lane 2
      r[E + j] = lanes(q, v, true);       // lane 1
      r[3 * E + j] = lanes(q, v, false);  // lane 3
    });
  } else
#endif
  {
    pk::PacketBlock<P, W> b;
    for (int k = 0; k < W; ++k) b.packet[k] = r[k];
    pk::ptranspose(b);
    for (int k = 0; k < W; ++k) r[k] = b.packet[k];
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// Stores the first n ≤ W lanes of a packet to `to` and nothing beyond:
/// one masked store on AVX-512, else through a buffer.
template <class S>
inline void store_first(S* to, const typename Vec<S>::Packet& p, Eigen::Index n) {
#if defined(EIGEN_VECTORIZE_AVX512)
  if constexpr (std::is_same_v<S, float> && Vec<S>::size == 16) {
    _mm512_mask_storeu_ps(to, static_cast<__mmask16>((1u << n) - 1u), p);
    return;
  } else if constexpr (std::is_same_v<S, double> && Vec<S>::size == 8) {
    _mm512_mask_storeu_pd(to, static_cast<__mmask8>((1u << n) - 1u), p);
    return;
  }
#endif
  alignas(64) S buffer[Vec<S>::size];
  pk::pstore(buffer, p);
  for (Eigen::Index l = 0; l < n; ++l) to[l] = buffer[l];
}

/// sqrt, Eigen's psqrt: the instruction, correctly rounded.
template <class S>
inline Vec<S> sqrt(const Vec<S>& x) {
  return Vec<S>(pk::psqrt(x.p));
}

/// exp(x) for x ≤ 0 (or NaN) — a logit less its row's maximum, −|x|: from
/// Eigen's pexp (Cephes: range reduction x = m·ln2 + r, a degree-5
/// polynomial in r for float, a Padé approximant for double): ≤ 2 ulp with
/// SSE2, ≤ 4 ulp in float with AVX-512 and FMA (driver_packet_test, against
/// std::exp over [−87, 0] in float and [−707, 0] in double). pexp's results
/// below the smallest normal number are wrong: SSE2 and AVX return the
/// clamp's 2.9e-39 for any x < −88.38, AVX-512 flushes them to 0 from x ≈
/// −87.4 on (its scaling by 2^m does not make subnormals). Where a lane is
/// below −87 (float) / −708 (double), exp(x) = exp(x/2)² there: x/2 is
/// exact, exp(x/2) is normal, and the square rounds to the subnormal (or to
/// 0 below the smallest one) — within a few ulp of std::exp's. It costs a
/// second pexp only for packets that hold such a lane. NaN propagates.
template <class S>
inline Vec<S> exp_nonpositive(const Vec<S>& x) {
  constexpr bool single = std::is_same_v<S, float>;
  const Mask<S> tiny = x < Vec<S>(single ? -87.0 : -708.0);
  Vec<S> e(pk::pexp(x.p));
  if (tiny.any()) {
    const Vec<S> half(pk::pexp((x * Vec<S>(0.5)).p));
    e = select(tiny, half * half, e);
  }
  return e;
}

/// exp for any x: exp_nonpositive, whose accuracy holds up to 88 (float) /
/// 709 (double), and +inf above log(max) — pexp clamps its argument to
/// ±88.38 / ±709.78 and would return a finite number there. The select is
/// what exp_nonpositive saves (two vector instructions of about 35 per
/// softmax logit).
template <class S>
inline Vec<S> exp(const Vec<S>& x) {
  constexpr bool single = std::is_same_v<S, float>;
  const Vec<S> hi(single ? 88.7228394 : 709.782712893384);
  return select(x > hi, Vec<S>(std::numeric_limits<S>::infinity()), exp_nonpositive(x));
}

/// log, from Eigen's plog (Cephes): ≤ 2 ulp (driver_packet_test); log(0) =
/// −inf, log(x < 0) and log(NaN) = NaN, log(+inf) = +inf. plog takes a
/// subnormal for 0's neighbourhood; such lanes are scaled into the normal
/// range first (x·2^24 or x·2^54) and the scale's log subtracted after.
template <class S>
inline Vec<S> log(const Vec<S>& x) {
  constexpr bool single = std::is_same_v<S, float>;
  const Vec<S> scale(single ? 16777216.0 : 18014398509481984.0);  // 2^24, 2^54
  const Vec<S> log_scale(single ? 16.635532333438687 : 37.429947750237046);
  const Mask<S> subnormal = x < Vec<S>(std::numeric_limits<S>::min()) && x > Vec<S>(0);
  const Vec<S> r(pk::plog(select(subnormal, x * scale, x).p));
  return select(subnormal, r - log_scale, r);
}

/// log1p(x) = log(u)·x/(u − 1) with u = 1 + x rounded (Kahan): the division
/// cancels u's rounding error, so the result is within a few ulp of log(1 + x)
/// (≤ 4 ulp measured over [−0.999, 1e6] and x ∈ [1e-30, 1e-3]; exact x where
/// u rounds to 1). Eigen's plog1p does this for float only; written once here
/// for both. log1p(+inf) = +inf, log1p(−1) = −inf.
template <class S>
inline Vec<S> log1p(const Vec<S>& x) {
  const Vec<S> one(1);
  const Vec<S> u = one + x;
  const Vec<S> log_u = log(u);
  const Vec<S> large = x * (log_u / (u - one));
  return select(u == one || log_u == u, select(u == one, x, log_u), large);
}

/// log1p(e) for e ∈ [0, 1] (softplus's tail log(1 + exp(−|x|))), without a
/// log: with u = e/(2 + e) ∈ [0, 1/3], log1p(e) = 2·atanh(u) = 2u·Σ u^2k/(2k+1),
/// summed to u^13 in float, u^31 in double, where the next term is below
/// half an ulp (u² ≤ 1/9). Within 2 ulp of std::log1p (driver_packet_test);
/// log1p_unit(0) = 0 exactly, NaN propagates. About 4× cheaper than log1p.
template <class S>
inline Vec<S> log1p_unit(const Vec<S>& e) {
  using V = Vec<S>;
  const V u = e / (V(2) + e), u2 = u * u;
  constexpr int terms = std::is_same_v<S, float> ? 6 : 15;  // the series' terms after u
  V sum(1.0 / (2 * terms + 1));
  for (int k = terms - 1; k >= 1; --k) sum = Vec<S>(pk::pmadd(sum.p, u2.p, V(1.0 / (2 * k + 1)).p));
  const V two_u = u + u;
  return two_u + two_u * (u2 * sum);
}

/// sinh: for |x| < 1 its Taylor series x·Σ x^2k/(2k+1)! to x^13 (float) or
/// x^19 (double), where the next term is below half an ulp, so that sinh of
/// a small x keeps its digits; beyond, F − 1/(4F) with F = e^|x|/2 formed as
/// (e^{|x|/2}/2)·e^{|x|/2} (no cancellation once |x| ≥ 1; finite up to where
/// sinh itself overflows). Within 8 ulp of std::sinh (twice exp's error:
/// 5 measured with SSE2, 6 with AVX-512; driver_packet_test).
/// NaN propagates.
template <class S>
inline Vec<S> sinh(const Vec<S>& x) {
  using V = Vec<S>;
  const V a = abs(x), a2 = a * a;
  constexpr int terms = std::is_same_v<S, float> ? 6 : 9;  // the series' terms after x
  // Horner in x²: 1 + x²/3!·(1 + x²/(4·5)·(1 + ...)).
  V sum(1);
  for (int k = terms; k >= 1; --k)
    sum = V(pk::pmadd(sum.p, (a2 * V(1.0 / ((2.0 * k) * (2.0 * k + 1)))).p, V(1).p));
  const V series = a * sum;
  const V E = exp(V(V(0.5) * a)), F = V(0.5) * E * E;  // e^|x| / 2, finite as long as sinh is
  const V large = F - V(0.25) / F;
  const V r = select(a < V(1), series, large);
  return select(x < V(0), V(-r), r);
}

/// tanh: for |x| < 0.55, s/√(1 + s²) with s = sinh(x) (its series: no
/// cancellation near 0); beyond, (1 − e)/(1 + e) with e = e^{−2|x|} ≤ 0.33,
/// which cancels nothing. ±1 at ±inf; within 4 ulp of std::tanh
/// (driver_packet_test). (Eigen's ptanh exists for float only, and only with
/// EIGEN_FAST_MATH.)
template <class S>
inline Vec<S> tanh(const Vec<S>& x) {
  using V = Vec<S>;
  const V a = abs(x);
  const V s = sinh(select(a < V(0.55), a, V(0)));
  const V small = s / sqrt(V(V(1) + s * s));
  const V e = exp_nonpositive(V(V(-2) * a));
  const V large = (V(1) - e) / (V(1) + e);
  const V r = select(a < V(0.55), small, large);
  return select(x < V(0), V(-r), r);
}

/// base^exponent for base ≥ 0 and a scalar exponent ≥ 0 (an option such as
/// the focal γ): exp(exponent·log(base)), so 0^γ = 0 for γ > 0; relative
/// error about |exponent·log(base)| ulp. The scalar version is detail::pow_option.
template <class S>
inline Vec<S> pow_option(const Vec<S>& base, double exponent) {
  if (exponent == 0) return Vec<S>(1);
  if (exponent == 1) return base;
  if (exponent == 2) return base * base;
  return exp(Vec<S>(Vec<S>(exponent) * log(base)));
}

/// K packets side by side, K·W lanes, with Vec's operations applied packet
/// by packet, so that every lane gets the bits a Vec would give it. The
/// row-wise driver's panels (detail/rowwise.hpp): a loss's lanes() code,
/// written once against its view's V, runs on one packet of rows or on a
/// panel of K packets.
template <class S, int K>
struct WideMask;

template <class S, int K>
struct Wide {
  using Scalar = S;
  static constexpr int size = K * Vec<S>::size;
  Vec<S> v[static_cast<std::size_t>(K)];

  Wide() = default;
  template <class A, class = std::enable_if_t<std::is_arithmetic_v<A>>>
  explicit Wide(A a) {
    for (int k = 0; k < K; ++k) v[k] = Vec<S>(a);
  }
  template <class F>
  static Wide each(F f) {
    Wide r;
    for (int k = 0; k < K; ++k) r.v[k] = f(k);
    return r;
  }

  static Wide load(const S* from) {
    return each([&](int k) { return Vec<S>::load(from + k * Vec<S>::size); });
  }
  void store(S* to) const {
    for (int k = 0; k < K; ++k) v[k].store(to + k * Vec<S>::size);
  }

  friend Wide operator+(const Wide& a, const Wide& b) { return each([&](int k) { return a.v[k] + b.v[k]; }); }
  friend Wide operator-(const Wide& a, const Wide& b) { return each([&](int k) { return a.v[k] - b.v[k]; }); }
  friend Wide operator*(const Wide& a, const Wide& b) { return each([&](int k) { return a.v[k] * b.v[k]; }); }
  friend Wide operator/(const Wide& a, const Wide& b) { return each([&](int k) { return a.v[k] / b.v[k]; }); }
  friend Wide operator-(const Wide& a) { return each([&](int k) { return -a.v[k]; }); }
  Wide& operator+=(const Wide& b) { return *this = *this + b; }
  Wide& operator-=(const Wide& b) { return *this = *this - b; }
  Wide& operator*=(const Wide& b) { return *this = *this * b; }

  template <class F>
  static WideMask<S, K> compare(F f) {
    WideMask<S, K> r;
    for (int k = 0; k < K; ++k) r.m[k] = f(k);
    return r;
  }
  friend WideMask<S, K> operator<(const Wide& a, const Wide& b) { return compare([&](int k) { return a.v[k] < b.v[k]; }); }
  friend WideMask<S, K> operator<=(const Wide& a, const Wide& b) { return compare([&](int k) { return a.v[k] <= b.v[k]; }); }
  friend WideMask<S, K> operator>(const Wide& a, const Wide& b) { return compare([&](int k) { return a.v[k] > b.v[k]; }); }
  friend WideMask<S, K> operator>=(const Wide& a, const Wide& b) { return compare([&](int k) { return a.v[k] >= b.v[k]; }); }
  friend WideMask<S, K> operator==(const Wide& a, const Wide& b) { return compare([&](int k) { return a.v[k] == b.v[k]; }); }
  friend WideMask<S, K> operator!=(const Wide& a, const Wide& b) { return compare([&](int k) { return a.v[k] != b.v[k]; }); }
};

template <class S, int K>
struct WideMask {
  Mask<S> m[static_cast<std::size_t>(K)];
  template <class F>
  static WideMask each(F f) {
    WideMask r;
    for (int k = 0; k < K; ++k) r.m[k] = f(k);
    return r;
  }
  friend WideMask operator&&(const WideMask& a, const WideMask& b) { return each([&](int k) { return a.m[k] && b.m[k]; }); }
  friend WideMask operator||(const WideMask& a, const WideMask& b) { return each([&](int k) { return a.m[k] || b.m[k]; }); }
  friend WideMask operator!(const WideMask& a) { return each([&](int k) { return !a.m[k]; }); }
  bool any() const {
    bool r = false;
    for (int k = 0; k < K; ++k) r = r || m[k].any();
    return r;
  }
};

template <class S, int K>
inline Wide<S, K> select(const WideMask<S, K>& c, const Wide<S, K>& a, const Wide<S, K>& b) {
  return Wide<S, K>::each([&](int k) { return select(c.m[k], a.v[k], b.v[k]); });
}
template <class S, int K>
inline Wide<S, K> bit_or(const Wide<S, K>& a, const Wide<S, K>& b) {
  return Wide<S, K>::each([&](int k) { return bit_or(a.v[k], b.v[k]); });
}
template <class S, int K>
inline Wide<S, K> abs(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return abs(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> exp(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return exp(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> exp_nonpositive(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return exp_nonpositive(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> log(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return log(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> log1p(const Wide<S, K>& x) {
  return Wide<S, K>::each([&](int k) { return log1p(x.v[k]); });
}
template <class S, int K>
inline Wide<S, K> pow_option(const Wide<S, K>& base, double exponent) {
  return Wide<S, K>::each([&](int k) { return pow_option(base.v[k], exponent); });
}

/// The first lane (for options that the driver broadcast to every lane).
template <class S>
inline S first_lane(const Vec<S>& x) {
  return pk::pfirst(x.p);
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
