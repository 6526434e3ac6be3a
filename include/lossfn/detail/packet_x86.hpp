// lossfn — the instruction-set-specific pieces of the packets (x86): AVX-512
// masks in k registers, W running sums widened from float to double in
// registers, the W x W transpose of rows to columns, masked stores. Every
// piece has a portable fallback (Eigen's generic packet functions or a
// scalar loop) where its instruction set is absent.
#pragma once

#include <algorithm>

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
  static __m512 blend(__mmask16 m, const __m512& a, const __m512& b) {
    return _mm512_mask_blend_ps(m, a, b);
  }
};
struct KMaskDouble {
  using Packet = __m512d;
  using Bits = __mmask8;
  static constexpr int lanes = 8;
  template <int Predicate>
  static __mmask8 cmp(const __m512d& a, const __m512d& b) {
    return _mm512_cmp_pd_mask(a, b, Predicate);
  }
  static __m512d blend(__mmask8 m, const __m512d& a, const __m512d& b) {
    return _mm512_mask_blend_pd(m, a, b);
  }
};
template <>
struct MaskOps<float> : KMaskOps<KMaskFloat> {};
template <>
struct MaskOps<double> : KMaskOps<KMaskDouble> {};
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
    hi += Vec<double>(
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(p), 1))));
#elif defined(EIGEN_VECTORIZE_AVX)
    lo += Vec<double>(_mm256_cvtps_pd(_mm256_castps256_ps128(p)));
    hi += Vec<double>(_mm256_cvtps_pd(_mm256_extractf128_ps(p, 1)));
#elif defined(EIGEN_VECTORIZE_SSE2)
    lo += Vec<double>(_mm_cvtps_pd(p));
    hi += Vec<double>(_mm_cvtps_pd(_mm_movehl_ps(p, p)));
#endif
  }
};

/// Whether a float packet widens into exactly two double packets (every x86
/// build; not where double has no packets of half float's width).
constexpr bool widens_in_halves =
    has_packet<float> && has_packet<double> && Vec<double>::size * 2 == Vec<float>::size;

/// A float packet as two double packets, lanes [0, W/2) in lo and [W/2, W)
/// in hi (exact: cvtps2pd); through a buffer where no widening is written.
template <class S>
inline void widen(const Vec<S>& v, Vec<double>& lo, Vec<double>& hi) {
  static_assert(std::is_same_v<S, float> && widens_in_halves,
                "widen: float packets are not two double packets here");
#if defined(EIGEN_VECTORIZE_AVX512)
  lo = Vec<double>(_mm512_cvtps_pd(_mm512_castps512_ps256(v.p)));
  hi = Vec<double>(
      _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v.p), 1))));
#elif defined(EIGEN_VECTORIZE_AVX)
  lo = Vec<double>(_mm256_cvtps_pd(_mm256_castps256_ps128(v.p)));
  hi = Vec<double>(_mm256_cvtps_pd(_mm256_extractf128_ps(v.p, 1)));
#elif defined(EIGEN_VECTORIZE_SSE2)
  lo = Vec<double>(_mm_cvtps_pd(v.p));
  hi = Vec<double>(_mm_cvtps_pd(_mm_movehl_ps(v.p, v.p)));
#else
  float f[Vec<float>::size];
  double d[Vec<float>::size];
  v.store(f);
  std::copy(f, f + Vec<float>::size, d);
  lo = Vec<double>::load(d);
  hi = Vec<double>::load(d + Vec<double>::size);
#endif
}

/// Two double packets rounded to float (to nearest: cvtpd2ps) into one
/// packet, lo's lanes first: widen's inverse.
template <class S = float>
inline Vec<S> narrow(const Vec<double>& lo, const Vec<double>& hi) {
  static_assert(std::is_same_v<S, float> && widens_in_halves,
                "narrow: float packets are not two double packets here");
#if defined(EIGEN_VECTORIZE_AVX512)
  const __m256 l = _mm512_cvtpd_ps(lo.p), h = _mm512_cvtpd_ps(hi.p);
  return Vec<float>(_mm512_castpd_ps(
      _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(l)), _mm256_castps_pd(h), 1)));
#elif defined(EIGEN_VECTORIZE_AVX)
  return Vec<float>(_mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo.p)),
                                         _mm256_cvtpd_ps(hi.p), 1));
#elif defined(EIGEN_VECTORIZE_SSE2)
  return Vec<float>(_mm_movelh_ps(_mm_cvtpd_ps(lo.p), _mm_cvtpd_ps(hi.p)));
#else
  double d[Vec<float>::size];
  float f[Vec<float>::size];
  lo.store(d);
  hi.store(d + Vec<double>::size);
  for (int l = 0; l < Vec<float>::size; ++l) f[l] = static_cast<float>(d[l]);
  return Vec<float>::load(f);
#endif
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
