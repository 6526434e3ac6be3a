// lossfn — the instruction-set-specific pieces of the packets (x86): AVX-512
// masks in k registers, W running sums widened from float to double in
// registers, the W x W transpose of rows to columns, masked stores. Every
// piece has a portable fallback (Eigen's generic packet functions or a
// scalar loop) where its instruction set is absent.
#pragma once

#include "packet.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

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

#if defined(EIGEN_VECTORIZE_AVX512)
/// exp on one AVX-512 packet, from a table: x = (16m + j)·ln2/16 + r with
/// n = 16m + j the integer nearest x·16/ln2 (an add of 1.5·2^23, or 2^52,
/// puts n in the low bits, so that the table lookup, a permute reading the
/// low 4 bits of each lane, needs no conversion), r reduced in two steps
/// (Cody–Waite: ln2/16 = hi + lo) to |r| ≤ ln2/32, then
/// exp(x) = 2^m · T[j]·(1 + q(r)) with T[j] = 2^(j/16) and q the Taylor
/// polynomial of e^r − 1 to r³ (float: remainder ≤ 1e-8 relative, 0.15 ulp;
/// 7 FMA-pipe operations against Eigen's pexp's 11) or to r⁷ (double:
/// ≤ 1.2e-18, and T[j] carried as a double and its remainder). 2^m is
/// applied by scalef, which rounds a subnormal result once from the normal
/// T[j]·(1 + q) and gives 0 below the smallest subnormal and +inf above the
/// largest finite number. x is first clamped to [−110, 89] (float) or
/// [−750, 710] (double), beyond which the result is 0 or +inf anyway (so
/// −inf gives 0 and +inf gives +inf, not NaN); max/min return x when it is
/// NaN, so NaN propagates.
/// Error, over every x: float ≤ 1.07 ulp where the result is normal (T[j]'s
/// rounding 0.5, the product's 0.5), double ≤ 0.56; ≤ 1.07 units of the
/// smallest subnormal where the result is subnormal (driver_packet_test,
/// against long double). NonPositive: x ≤ 0 or NaN is promised, the upper
/// clamp skipped.
template <bool NonPositive>
inline __m512 exp_table(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-110.0f), x);
  if constexpr (!NonPositive) x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
  const __m512 table = _mm512_setr_ps(
      1.0f, 1.0442737340927124f, 1.0905077457427979f, 1.1387885808944702f, 1.1892070770263672f,
      1.2418577671051025f, 1.2968395948410034f, 1.3542555570602417f, 1.4142135381698608f,
      1.4768261909484863f, 1.5422108173370361f, 1.610490322113037f, 1.6817928552627563f,
      1.7562521696090698f, 1.8340080976486206f, 1.9152065515518188f);
  const __m512 shifter = _mm512_set1_ps(12582912.0f);                                 // 1.5·2^23
  const __m512 k = _mm512_fmadd_ps(x, _mm512_set1_ps(23.083120654223414f), shifter);  // 16/ln2
  const __m512 n = _mm512_sub_ps(k, shifter);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(4.332169890e-02f), x);  // ln2/16: hi
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-1.190408883e-10f), r);        // and lo
  const __m512 t = _mm512_permutexvar_ps(_mm512_castps_si512(k), table);
  const __m512 c = _mm512_fmadd_ps(r, _mm512_set1_ps(1.0f / 6), _mm512_set1_ps(0.5f));
  const __m512 q = _mm512_fmadd_ps(_mm512_mul_ps(r, r), c, r);  // e^r − 1 to r³
  return _mm512_scalef_ps(_mm512_fmadd_ps(t, q, t), _mm512_mul_ps(n, _mm512_set1_ps(0.0625f)));
}
template <bool NonPositive>
inline __m512d exp_table(__m512d x) {
  x = _mm512_max_pd(_mm512_set1_pd(-750.0), x);
  if constexpr (!NonPositive) x = _mm512_min_pd(_mm512_set1_pd(710.0), x);
  const __m512d low =
      _mm512_setr_pd(1.0, 1.0442737824274138, 1.0905077326652577, 1.1387886347566916,
                     1.189207115002721, 1.241857812073484, 1.2968395546510096, 1.3542555469368927);
  const __m512d high =
      _mm512_setr_pd(1.4142135623730951, 1.4768261459394993, 1.5422108254079407, 1.6104903319492543,
                     1.681792830507429, 1.7562521603732995, 1.8340080864093424, 1.9152065613971474);
  const __m512d shifter = _mm512_set1_pd(6755399441055744.0);  // 1.5·2^52
  const __m512d k = _mm512_fmadd_pd(x, _mm512_set1_pd(23.083120654223414), shifter);
  const __m512d n = _mm512_sub_pd(k, shifter);
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0.04332169878499658), x);
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(1.4494042586539372e-18), r);
  // T[j] − its double, so that T[j]·(1 + q) = t + (t·q + t_lo) carries T[j] to 2^-106.
  const __m512d low_lo = _mm512_setr_pd(
      0.0, 8.551889705537965e-17, -3.046782079812471e-17, 8.912812676025408e-17,
      3.982015231465646e-17, 4.658027591836937e-17, 2.5382502794888315e-17, 7.70094837980299e-17);
  const __m512d high_lo = _mm512_setr_pd(
      -9.667293313452913e-17, -3.483994556892796e-17, 7.949834809697621e-17, 2.4707192569797888e-17,
      8.199010020581497e-17, 2.960140695448873e-17, 3.283107224245627e-17, -1.0619946056195963e-16);
  const __m512i j = _mm512_castpd_si512(k);
  const __m512d t = _mm512_permutex2var_pd(low, j, high);
  const __m512d t_lo = _mm512_permutex2var_pd(low_lo, j, high_lo);
  __m512d c = _mm512_set1_pd(1.0 / 5040);  // Horner: 1/2 + r/6 + … + r⁵/5040
  for (const double a : {1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5})
    c = _mm512_fmadd_pd(c, r, _mm512_set1_pd(a));
  const __m512d q = _mm512_fmadd_pd(_mm512_mul_pd(r, r), c, r);  // e^r − 1 to r⁷
  const __m512d y = _mm512_add_pd(t, _mm512_fmadd_pd(t, q, t_lo));
  return _mm512_scalef_pd(y, _mm512_mul_pd(n, _mm512_set1_pd(0.0625)));
}
#endif
/// Whether exp_table is this build's exp for packets of S.
template <class S>
constexpr bool has_exp_table =
#if defined(EIGEN_VECTORIZE_AVX512)
    (std::is_same_v<S, float> || std::is_same_v<S, double>)&&Vec<S>::size ==
    64 / static_cast<int>(sizeof(S));
#else
    false;
#endif

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

// (Eigen's PacketBlock takes the intrinsic vector type as a template
// argument, whose attributes g++ -Wall reports as ignored: harmless.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
/// W packets of W lanes (W = Vec<S>::size), r[k] holding row k of a W x W
/// block, transposed in registers: r[c] then holds column c. Eigen's
/// ptranspose, except on AVX-512, where Eigen's goes through 256-bit halves
/// (and spills registers): there the four rounds of shuffles below, 64
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

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
