// lossfn — SIMD packets with the operators of a scalar, through Eigen's packet math.
//
// Vec<S> wraps one Eigen packet of S (SSE2's 4 floats, AVX's 8, AVX-512's 16:
// whatever the consumer compiles for) with the arithmetic, comparisons and
// constructors a loss's `evaluate` uses, so that the same templated body runs
// on scalars and on packets: `S(2) * d`, `select(d > S(0), a, b)`,
// `detail::exp(x)` compile for both. Comparisons give a Mask, which select()
// takes; `if (mask)` does not compile, which is the point: a loss whose
// formula branches on a value cannot be vectorized by accident. Wide<S, K> is
// K packets side by side with the same operators (the row-wise panels).
//
// The instruction-set-specific pieces (AVX-512 k-masks, the widening sums, the
// transpose, masked stores) are in packet_x86.hpp, the maths on packets (exp,
// log, log1p, tanh, ...) in vector_math.hpp; both are included at the end.
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
constexpr bool has_packet = (std::is_same_v<S, float> ||
                             std::is_same_v<S, double>)&&pk::packet_traits<S>::Vectorizable
                            && (pk::packet_traits<S>::size > 1);

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
  static Packet select(const Bits& m, const Packet& a, const Packet& b) {
    return pk::pselect(m, a, b);
  }
};

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
  friend Mask<S> operator<=(const Vec& a, const Vec& b) {
    return Mask<S>{MaskOps<S>::le(a.p, b.p)};
  }
  friend Mask<S> operator>(const Vec& a, const Vec& b) { return Mask<S>{MaskOps<S>::lt(b.p, a.p)}; }
  friend Mask<S> operator>=(const Vec& a, const Vec& b) {
    return Mask<S>{MaskOps<S>::le(b.p, a.p)};
  }
  friend Mask<S> operator==(const Vec& a, const Vec& b) {
    return Mask<S>{MaskOps<S>::eq(a.p, b.p)};
  }
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

  friend Wide operator+(const Wide& a, const Wide& b) {
    return each([&](int k) { return a.v[k] + b.v[k]; });
  }
  friend Wide operator-(const Wide& a, const Wide& b) {
    return each([&](int k) { return a.v[k] - b.v[k]; });
  }
  friend Wide operator*(const Wide& a, const Wide& b) {
    return each([&](int k) { return a.v[k] * b.v[k]; });
  }
  friend Wide operator/(const Wide& a, const Wide& b) {
    return each([&](int k) { return a.v[k] / b.v[k]; });
  }
  friend Wide operator-(const Wide& a) {
    return each([&](int k) { return -a.v[k]; });
  }
  Wide& operator+=(const Wide& b) { return *this = *this + b; }
  Wide& operator-=(const Wide& b) { return *this = *this - b; }
  Wide& operator*=(const Wide& b) { return *this = *this * b; }

  template <class F>
  static WideMask<S, K> compare(F f) {
    WideMask<S, K> r;
    for (int k = 0; k < K; ++k) r.m[k] = f(k);
    return r;
  }
  friend WideMask<S, K> operator<(const Wide& a, const Wide& b) {
    return compare([&](int k) { return a.v[k] < b.v[k]; });
  }
  friend WideMask<S, K> operator<=(const Wide& a, const Wide& b) {
    return compare([&](int k) { return a.v[k] <= b.v[k]; });
  }
  friend WideMask<S, K> operator>(const Wide& a, const Wide& b) {
    return compare([&](int k) { return a.v[k] > b.v[k]; });
  }
  friend WideMask<S, K> operator>=(const Wide& a, const Wide& b) {
    return compare([&](int k) { return a.v[k] >= b.v[k]; });
  }
  friend WideMask<S, K> operator==(const Wide& a, const Wide& b) {
    return compare([&](int k) { return a.v[k] == b.v[k]; });
  }
  friend WideMask<S, K> operator!=(const Wide& a, const Wide& b) {
    return compare([&](int k) { return a.v[k] != b.v[k]; });
  }
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
  friend WideMask operator&&(const WideMask& a, const WideMask& b) {
    return each([&](int k) { return a.m[k] && b.m[k]; });
  }
  friend WideMask operator||(const WideMask& a, const WideMask& b) {
    return each([&](int k) { return a.m[k] || b.m[k]; });
  }
  friend WideMask operator!(const WideMask& a) {
    return each([&](int k) { return !a.m[k]; });
  }
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

/// The first lane (for options that the driver broadcast to every lane).
template <class S>
inline S first_lane(const Vec<S>& x) {
  return pk::pfirst(x.p);
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON

#include "packet_x86.hpp"
#include "vector_math.hpp"
