// lossfn — the driver of element-wise losses: one term per coefficient of pred.
//
// A loss supplies `evaluate<Order>(p, t)` returning the term and, for Order
// >= 1, its first derivative in p, for Order >= 2 its second. This driver owns
// everything else: shapes, validation, traversal in pred's storage order,
// weights, the reduction and the outputs.
#pragma once

#include <algorithm>
#include <atomic>
#include <type_traits>

#include "../core.hpp"
#include "access.hpp"
#include "packet.hpp"
#include "reduce.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

template <class S>
struct Derivatives {
  S value = S(0);
  S first = S(0);
  S second = S(0);
};

/// What a call asks for: the sample weights (None: without) and the outputs
/// that are not `None`, which are written. Built by name, from request() or
/// request(weights) (detail/loss.hpp): request(w).with_gradient(g).
template <class W, class G, class H, class U>
struct Request {
  const W* weights;
  G* gradient;
  H* hessian;
  U* terms;  // the unreduced (weighted) terms

  template <class X>
  Request<W, X, H, U> with_gradient(X& g) const {
    return {weights, &g, hessian, terms};
  }
  template <class X>
  Request<W, G, X, U> with_hessian(X& h) const {
    return {weights, gradient, &h, terms};
  }
  template <class X>
  Request<W, G, H, X> with_terms(X& u) const {
    return {weights, gradient, hessian, &u};
  }
};

template <class G>
constexpr bool wanted = !std::is_same_v<G, None>;

/// Checks the shapes of all requested out-arguments before any is resized
/// or written, so that a bad Hessian output leaves the gradient output as
/// it was.
template <class W, class G, class H, class U>
void check_outputs(const Request<W, G, H, U>& request, Index rows, Index cols, const char* name) {
  if constexpr (wanted<G>) check_output(*request.gradient, rows, cols, name, "gradient");
  if constexpr (wanted<H>) check_output(*request.hessian, rows, cols, name, "hessian");
}

/// Outputs are written while the inputs are read (and the gradient row holds
/// a softmax loss's exponentials before it holds the gradient): an output
/// that shares memory with pred, target, the weights or the other output
/// would give wrong numbers, so it is an error, found before anything is
/// written. (Inputs that are expressions are not stored: nothing to compare.)
template <class W, class G, class H, class U, class P, class T>
void check_aliasing(const Request<W, G, H, U>& request, const P& pred, const T& target,
                    const char* name) {
  Span inputs[3] = {span_of(pred), span_of(target), {}};
  const char* input_names[3] = {"pred", "target", "weights"};
  if constexpr (has_weights<W>) inputs[2] = span_of(*request.weights);
  auto check = [&](const Span& out, const char* output) {
    for (int k = 0; k < 3; ++k)
      if (out.overlaps(inputs[k]))
        fail(std::string(name) + ": " + output + " shares memory with " + input_names[k] +
             "; pass an output of its own (outputs are written while inputs are read)");
  };
  Span g, h;
  if constexpr (wanted<G>) check(g = span_of(*request.gradient), "gradient");
  if constexpr (wanted<H>) check(h = span_of(*request.hessian), "hessian");
  if (g.overlaps(h))
    fail(std::string(name) + ": gradient and hessian share memory; pass two outputs");
}

/// Whether a loss's rule for pred (Pred) or target takes SIMD lanes: given a
/// packet of the data's own type S, its predicate returns a Mask.
template <class Loss, class S, bool Pred>
constexpr bool rule_on_packets() {
  if constexpr (!has_packet<S>) {
    return false;
  } else if constexpr (Pred) {
    return std::is_same_v<
        decltype(std::declval<const Loss&>().pred_ok(std::declval<const Vec<S>&>())), Mask<S>>;
  } else {
    return std::is_same_v<
        decltype(std::declval<const Loss&>().target_ok(std::declval<const Vec<S>&>())), Mask<S>>;
  }
}

/// 1 if some x[q], q in [first, end), breaks the rule `ok`, else 0; without
/// branches, on SIMD lanes where the rule allows (Packets).
template <bool Packets, class S, class Ok>
LOSSFN_FLATTEN unsigned breaks_rule(const S* x, Index first, Index end, const Ok& ok) {
  unsigned bad = 0;
  Index q = first;
  if constexpr (Packets) {
    using V = Vec<S>;
    Mask<S> any = Mask<S>::none();
    for (; q + V::size <= end; q += V::size) any = any || !ok(V::load(x + q));
    bad = any.any() ? 1u : 0u;
  }
  for (; q < end; ++q) bad |= ok(x[q]) ? 0u : 1u;
  return bad;
}

/// Checks every coefficient against the loss's pred_ok / target_ok hooks,
/// before anything is written: a bad value anywhere leaves every output as
/// it was (the caller's data is never modified). Values are checked as
/// the caller gave them, before conversion to the compute type (1 + 1e-12 in
/// a double target is not a probability, although it rounds to 1.0f). A loss
/// without rules (an empty pred_rule / target_rule) costs no pass.
template <class Loss, class P, class T>
void check_values(const Loss& loss, const Input<P>& pred, const Input<T>& target) {
  constexpr bool check_pred = Loss::pred_rule[0] != '\0';
  constexpr bool check_target = Loss::target_rule[0] != '\0';
  if constexpr (check_pred || check_target) {
    auto visit = [&](Index i, Index j) {
      if constexpr (check_pred) {
        const auto p = pred(i, j);
        if (!loss.pred_ok(p)) fail_value(Loss::name, position("pred", i, j), p, Loss::pred_rule);
      }
      if constexpr (check_target) {
        const auto t = target(i, j);
        if (!loss.target_ok(t))
          fail_value(Loss::name, position("target", i, j), t, Loss::target_rule);
      }
    };
    // Contiguous data first, without branches (a data-dependent branch per
    // coefficient, such as Hinge's y == 1 || y == -1 || y == 0 on random
    // labels, costs more than the loss itself): all good is the common case.
    constexpr bool order = Input<P>::row_major;
    const auto* p = pred.linear(order);
    const auto* t = target.linear(order);
    if ((p || !check_pred) && (t || !check_target)) {
      const Index n = pred.size();
      unsigned bad = 0;
      for (Index k = 0; k < n && bad == 0; k += 256) {
        const Index end = std::min(n, k + 256);
        if constexpr (check_pred)
          bad |= breaks_rule<rule_on_packets<Loss, typename P::Scalar, true>()>(
              p, k, end, [&](const auto& v) { return loss.pred_ok(v); });
        if constexpr (check_target)
          bad |= breaks_rule<rule_on_packets<Loss, typename T::Scalar, false>()>(
              t, k, end, [&](const auto& v) { return loss.target_ok(v); });
      }
      if (bad == 0) return;
    }
    // In pred's storage order, as the computing pass goes: the first bad
    // coefficient it would meet is the one reported.
    if constexpr (Input<P>::row_major) {
      for (Index i = 0; i < pred.rows(); ++i)
        for (Index j = 0; j < pred.cols(); ++j) visit(i, j);
    } else {
      for (Index j = 0; j < pred.cols(); ++j)
        for (Index i = 0; i < pred.rows(); ++i) visit(i, j);
    }
  }
}

/// Whether a loss names the transcendental inputs of its formula: a member
/// `transcendentals(p, t)` (for instance e^{−|x|} of a loss on logits) whose
/// result the driver passes to evaluate as its last argument. The driver
/// computes them, so it may compute a block of them ahead of the rest (one
/// vector-maths pass); evaluate then holds no exp or log of its own for them.
template <class Loss, class X, class = void>
struct has_transcendentals : std::false_type {};
template <class Loss, class X>
struct has_transcendentals<Loss, X,
                           std::void_t<decltype(std::declval<const Loss&>().transcendentals(
                               std::declval<const X&>(), std::declval<const X&>()))>>
    : std::true_type {};

/// The loss's derivatives at (p, t), with its per-column parameter if it has
/// one and its transcendental inputs if it names them.
template <int Order, class Loss, class X>
Derivatives<X> formula_at(const Loss& loss, const X& p, const X& t, const X& parameter) {
  if constexpr (has_transcendentals<Loss, X>::value) {
    const auto inputs = loss.transcendentals(p, t);
    if constexpr (Loss::per_column)
      return loss.template evaluate<Order>(p, t, parameter, inputs);
    else
      return loss.template evaluate<Order>(p, t, inputs);
  } else {
    if constexpr (Loss::per_column)
      return loss.template evaluate<Order>(p, t, parameter);
    else
      return loss.template evaluate<Order>(p, t);
  }
}

/// Whether a loss's formula runs in double for float data: the loss declares
/// `using float_compute = double;` where float arithmetic cannot keep its
/// results within 4 ulp of the float64 value of the same inputs
/// (cancellation, an exponent's rounded argument) at a price below double's.
/// Its float results are then its double results rounded once.
template <class Loss, class = void>
struct computes_in_double : std::false_type {};
template <class Loss>
struct computes_in_double<Loss, std::void_t<typename Loss::float_compute>>
    : std::is_same<typename Loss::float_compute, double> {};

/// formula_at in double on a float packet: widened into two double packets,
/// evaluated, and rounded back. Out of line: the SIMD kernels are flattened,
/// and two double evaluations in each of their sixteen unrolled steps would
/// make them (and their compilation) many times larger.
template <int Order, class Loss>
LOSSFN_NOINLINE Derivatives<Vec<float>> formula_in_double(const Loss& loss, const Vec<float>& p,
                                                          const Vec<float>& t,
                                                          const Vec<float>& parameter) {
  Vec<double> p0, p1, t0, t1, r0, r1;
  widen(p, p0, p1), widen(t, t0, t1), widen(parameter, r0, r1);
  const auto lo = formula_at<Order>(loss, p0, t0, r0), hi = formula_at<Order>(loss, p1, t1, r1);
  Derivatives<Vec<float>> d;
  d.value = narrow(lo.value, hi.value);
  if constexpr (Order >= 1) d.first = narrow(lo.first, hi.first);
  if constexpr (Order >= 2) d.second = narrow(lo.second, hi.second);
  return d;
}

/// formula_at in the loss's compute type: X itself, or for float data
/// (scalars or packets) of a loss that computes in double, double, rounded
/// back to float once.
template <int Order, class Loss, class X>
Derivatives<X> evaluate_at(const Loss& loss, const X& p, const X& t, const X& parameter) {
  constexpr bool widen_scalar = std::is_same_v<X, float>;
  constexpr bool widen_packet = std::is_same_v<X, Vec<float>> && has_packet<float>;
  if constexpr (!computes_in_double<Loss>::value || !(widen_scalar || widen_packet)) {
    return formula_at<Order>(loss, p, t, parameter);
  } else if constexpr (widen_scalar) {
    const auto d = formula_at<Order>(loss, double(p), double(t), double(parameter));
    return {float(d.value), float(d.first), float(d.second)};
  } else if constexpr (widens_in_halves) {
    return formula_in_double<Order>(loss, p, t, parameter);
  } else {  // no double packets of half the width: lane by lane
    constexpr int W = X::size;
    float ps[W], ts[W], rs[W], out[3][W];
    p.store(ps), t.store(ts), parameter.store(rs);
    for (int l = 0; l < W; ++l) {
      const Derivatives<float> d = evaluate_at<Order>(loss, ps[l], ts[l], rs[l]);
      out[0][l] = d.value, out[1][l] = d.first, out[2][l] = d.second;
    }
    return {X::load(out[0]), X::load(out[1]), X::load(out[2])};
  }
}

/// No value rules to test in the SIMD loop (packet_range's default).
struct NoRules {};

/// Each term and derivative times its sample weight: w·l, w·l′, w·l″.
template <int Order, class V>
void weigh(Derivatives<V>& d, const V& weight) {
  d.value = weight * d.value;
  if constexpr (Order >= 1) d.first = weight * d.first;
  if constexpr (Order >= 2) d.second = weight * d.second;
}

/// The whole packets from k on (k is left at the first coefficient after
/// them), their terms summed into lanes. step(q, acc, first) evaluates the
/// packet at q, stores its derivatives and adds its term to acc (first: the
/// chain's first term, which starts it: 0 + x would cost an addition per
/// chain per step and give the same sum).
/// Sixteen packets a step into four accumulators, each a chain of four
/// terms, joined as (a0 + a1) + (a2 + a3): at most 5 roundings in each
/// lane's float sum of the step's 16 terms, widened to double once per step
/// (widening a float packet, two conversions and an extract, costs as many
/// vector operations as MSE's arithmetic on 3 packets: once per 16 packets
/// it is a small share of the loop); then steps of 8, 4 and 1 packets.
/// Unrolled: the steps written out for speed (outputs stored a packet at a
/// time); the step of 16 is two loops of 8: a single loop of 16 is left
/// rolled by g++ 12 (its accumulators then live on the stack), and sixteen
/// steps written out make very large flattened functions for the losses
/// with long formulas. Not unrolled: each step written once (outputs
/// scattered, where the writes, not the loop, set the pace), the same
/// chains, so the same sums.
template <bool Unrolled, class S, class Step>
void whole_packets(Index& k, Index end, LaneSums<S>& lanes, const Step& step) {
  using V = Vec<S>;
  constexpr Index W = V::size;
  if constexpr (Unrolled) {
    for (; k + 16 * W <= end; k += 16 * W) {
      V a[4];
      for (int j = 0; j < 8; ++j) step(k + j * W, a[j % 4], j < 4);
      for (int j = 0; j < 8; ++j) step(k + (8 + j) * W, a[j % 4], false);
      lanes.add(V(a[0] + a[1]) + V(a[2] + a[3]));
    }
    for (; k + 8 * W <= end; k += 8 * W) {
      V a[4];
      for (int j = 0; j < 8; ++j) step(k + j * W, a[j % 4], j < 4);
      lanes.add(V(a[0] + a[1]) + V(a[2] + a[3]));
    }
    for (; k + 4 * W <= end; k += 4 * W) {
      V a0, a1;
      step(k, a0, true);
      step(k + W, a1, true);
      step(k + 2 * W, a0, false);
      step(k + 3 * W, a1, false);
      lanes.add(a0 + a1);
    }
    for (; k + W <= end; k += W) {
      V a;
      step(k, a, true);
      lanes.add(a);
    }
  } else {
    for (int m = 16; m >= 1; m = m == 4 ? 1 : m / 2) {
      const int chains = m >= 8 ? 4 : m == 4 ? 2 : 1;
      for (; k + m * W <= end; k += m * W) {
        V a[4] = {V(0), V(0), V(0), V(0)};
        for (int j = 0; j < m; ++j) step(k + j * W, a[j % chains], j < chains);
        lanes.add(V(a[0] + a[1]) + V(a[2] + a[3]));
      }
    }
  }
}

/// The last partial packet, coefficients [k, end) with end − k < W: evaluated
/// on a padded copy (zeros: a finite point of every loss's domain, with
/// weight 0), so every coefficient goes through the same packet code
/// wherever it sits. Returns sum plus its terms, added in lane order.
template <int Order, bool Weighted, class Loss, class S, class Store>
double padded_tail(const Loss& loss, const S* p, const S* t, const S* w, Index w_offset, Index k,
                   Index end, const Vec<S>& vparameter, const Store& store, double sum) {
  using V = Vec<S>;
  constexpr Index W = V::size;
  S pb[W] = {}, tb[W] = {}, wb[W] = {}, ub[W];
  std::copy(p + k, p + end, pb);
  std::copy(t + k, t + end, tb);
  if constexpr (Weighted) std::copy(w + (k - w_offset), w + (end - w_offset), wb);
  Derivatives<V> d = evaluate_at<Order>(loss, V::load(pb), V::load(tb), vparameter);
  if constexpr (Weighted) weigh<Order>(d, V::load(wb));
  d.value.store(ub);
  for (Index l = 0; l < end - k; ++l) sum += static_cast<double>(ub[l]);
  store(k, end - k, d);
  return sum;
}

/// The SIMD kernel: the terms of coefficients [begin, end) of contiguous
/// pred and target, one packet at a time through the loss's own
/// evaluate<Order> on Vec<S>; store(k, n, d) writes the derivatives of
/// coefficients k .. k + n. Sample weights, if any (Weighted), are the
/// contiguous run w[k − w_offset]: each term and derivative is multiplied by
/// its weight, as in the scalar loop (Weighted: whether the call has
/// weights, a template argument so that each instantiation compiles one
/// loop nest, not two). Unrolled: whole_packets' two forms, which add the
/// same terms in the same order. Returns the (weighted) terms' sum.
/// Float terms are summed sixteen to a lane in float (whole_packets), then
/// in double per lane; the lanes are then added in a fixed order
/// (LaneSums::total), so the result is a function of the data and the
/// packet width only (never of the outputs' layout). The last partial
/// packet goes through padded_tail. With `breaks` (a value rule's negation,
/// for packets and scalars), every coefficient is also tested, and *broken
/// set if one breaks the rule.
template <int Order, bool Weighted, bool Unrolled, class Loss, class S, class Store,
          class Rules = NoRules>
LOSSFN_FLATTEN double packet_range(const Loss& loss, const S* p, const S* t, const S* w,
                                   Index w_offset, Index begin, Index end, S parameter,
                                   const Store& store, const Rules& breaks = {},
                                   bool* broken = nullptr) {
  using V = Vec<S>;
  constexpr bool checking = !std::is_same_v<Rules, NoRules>;
  const V vparameter(parameter);
  LaneSums<S> lanes;              // a double per lane
  Mask<S> bad = Mask<S>::none();  // lanes that broke a value rule (checking)
  auto step = [&](Index q, V& acc, bool first) {
    const V pv = V::load(p + q), tv = V::load(t + q);
    if constexpr (checking) bad = bad || breaks(pv, tv);
    Derivatives<V> d = evaluate_at<Order>(loss, pv, tv, vparameter);
    if constexpr (Weighted) weigh<Order>(d, V::load(w + (q - w_offset)));
    if (first)
      acc = d.value;
    else
      acc += d.value;
    store(q, V::size, d);
  };
  Index k = begin;
  whole_packets<Unrolled>(k, end, lanes, step);
  double sum = lanes.total();
  if constexpr (checking) {
    bool tail = false;  // the last partial packet's coefficients, one by one
    for (Index q = k; q < end; ++q) tail = tail || breaks(p[q], t[q]);
    if (tail || bad.any()) *broken = true;
  }
  if (k < end)
    sum = padded_tail<Order, Weighted>(loss, p, t, w, w_offset, k, end, vparameter, store, sum);
  return sum;
}

template <class W>
struct weight_scalar {
  using type = typename W::Scalar;
};
template <>
struct weight_scalar<None> {
  using type = None;
};

/// Whether a call may take the SIMD path, as far as types tell: the loss has
/// a packet evaluate (Loss::vectorized), S has packets in this build, and
/// pred, target and the sample weights (if any) hold S. (Outputs of any kind
/// are written from the packets.)
template <class Loss, class S, class P, class T, class W>
constexpr bool packet_types() {
  return Loss::vectorized && has_packet<S> && std::is_same_v<typename P::Scalar, S> &&
         std::is_same_v<typename T::Scalar, S> &&
         (!has_weights<W> || std::is_same_v<typename weight_scalar<W>::type, S>);
}

/// An output's data as S*, if it is one contiguous run of S in that order; else nullptr.
template <class S, class O>
S* direct_data(const O& out, bool row_major) {
  if constexpr (std::is_same_v<decltype(out.linear(row_major)), S*>)
    return out.linear(row_major);
  else
    return nullptr;
}

/// Writes the first n lanes of v to coefficients k .. k + n of an output in
/// the traversal's order (line coefficients to a line): to direct + k when
/// the output is one contiguous run, else one coefficient at a time.
template <class O, class S, class V>
LOSSFN_NOINLINE void write_packet(const O& out, S* direct, Index k, Index n, const V& v, Index line,
                                  bool row_major) {
  S buffer[V::size];
  v.store(buffer);
  if (direct) {
    std::copy(buffer, buffer + n, direct + k);
    return;
  }
  for (Index l = 0; l < n; ++l) {
    const Index outer = (k + l) / line, inner = (k + l) % line;
    if (row_major)
      out.set(outer, inner, buffer[l]);
    else
      out.set(inner, outer, buffer[l]);
  }
}

/// What the SIMD and the scalar loops of one call share: the outputs, the
/// scale that makes the derivatives those of the value the loss's reduction
/// returns (0 for an empty mean), and the traversal in pred's storage order,
/// cut into blocks of block_size coefficients.
template <class S, class G, class H, class U>
struct Pass {
  Output<G> gradient;
  Output<H> hessian;
  Output<U> terms;
  S scale;
  bool empty;
  bool row_major;
  Index rows, cols, size, line, blocks;  // line: coefficients per line of the traversal
};

/// The writer of a SIMD call's derivatives (store(k, n, d): coefficients
/// k .. k + n). Outputs in the traversal's contiguous order take whole
/// packets; any other output (a Block, a strided Map, the other storage
/// order) is written coefficient by coefficient from the same packets
/// (write_packet, out of line, so that the loop's copies of its step stay
/// small), so that the value and the derivatives never depend on where they
/// are written.
template <int Order, class S, class G, class H, class U>
struct PacketStore {
  using V = Vec<S>;
  const Pass<S, G, H, U>& pass;
  S* g = direct_data<S>(pass.gradient, pass.row_major);
  S* h = direct_data<S>(pass.hessian, pass.row_major);
  S* u = direct_data<S>(pass.terms, pass.row_major);
  V scale = V(pass.scale);

  template <class O>
  void put(const O& out, S* direct, Index k, Index n, const V& v) const {
    if (direct && n == V::size)
      v.store(direct + k);
    else
      write_packet(out, direct, k, n, v, pass.line, pass.row_major);
  }
  void operator()(Index k, Index n, const Derivatives<V>& d) const {
    if constexpr (wanted<U>) put(pass.terms, u, k, n, d.value);
    if constexpr (Order >= 1) put(pass.gradient, g, k, n, V(scale * d.first));
    if constexpr (Order >= 2) put(pass.hessian, h, k, n, V(scale * d.second));
  }
  /// Every output one contiguous run in this order: then whole packets are
  /// stored without a test (direct(), the common case, decided once per
  /// call; a test and a call site per output in each unrolled step cost
  /// MSE's fused call at 1K floats a third of its time).
  bool all_direct() const {
    return (!wanted<U> || u) && (Order < 1 || !wanted<G> || g) && (Order < 2 || !wanted<H> || h);
  }
  void direct(Index k, Index n, const Derivatives<V>& d) const {
    if (n != V::size) return (*this)(k, n, d);
    if constexpr (wanted<U>) d.value.store(u + k);
    if constexpr (Order >= 1 && wanted<G>) V(scale * d.first).store(g + k);
    if constexpr (Order >= 2 && wanted<H>) V(scale * d.second).store(h + k);
  }
};

/// Runs the blocks of a SIMD call through packet_range: range(w_offset,
/// from, to, parameter, &broken) for each contiguous run — the block, or
/// (by_column) its part in each column, with that column's parameter and,
/// for one weight per row (per_row_runs), the column's weight offset.
/// Returns the sum (reduce.hpp: the same for any thread count); *broken is
/// set if a block's values broke a rule.
template <class Loss, class S, class G, class H, class U, class Range>
double packet_blocks(const Loss& loss, const Pass<S, G, H, U>& pass, S parameter, bool by_column,
                     bool per_row_runs, const Range& range, std::atomic<bool>& broken) {
  const Index rows = pass.rows, size = pass.size;
  return sum_blocks(pass.blocks, size, [&](Index b) {
    const Index begin = b * block_size, end = std::min(size, begin + block_size);
    bool block_broken = false;
    double s = 0;
    if (by_column) {  // a run per column: its own parameter and weight offset
      for (Index k = begin; k < end;) {
        const Index j = k / rows, stop = std::min(end, (j + 1) * rows);
        S pj = parameter;
        if constexpr (Loss::per_column) pj = loss.template column_parameter<S>(j);
        s += range(per_row_runs ? j * rows : 0, k, stop, pj, &block_broken);
        k = stop;
      }
    } else {
      s = range(0, begin, end, parameter, &block_broken);
    }
    if (block_broken) broken.store(true, std::memory_order_relaxed);
    return s;
  });
}

/// The SIMD path of run_elementwise, when pred, target and the weights are
/// each one contiguous run in the traversal's order (or the weights one per
/// row, down a column-major pred's columns) and a per-column parameter is
/// uniform or runs down columns: writes the outputs, sets *sum and returns
/// true; else returns false, having written nothing. With RulesInLoop the
/// value rules are tested in the loop, and a broken one reported after it.
template <int Order, bool RulesInLoop, class Loss, class P, class T, class W, class S, class G,
          class H, class U>
bool packet_call(const Loss& loss, const Input<P>& pred, const Input<T>& target,
                 const SampleWeights<W>& weights, const Pass<S, G, H, U>& pass, double* sum) {
  const S* p = pred.linear(pass.row_major);
  const S* t = target.linear(pass.row_major);
  const PacketStore<Order, S, G, H, U> store{pass};
  // A per-column parameter is one packet broadcast along a run: the same
  // for all columns, or, in column-major order, one per column.
  bool uniform = true;
  S parameter = S(0);
  if constexpr (Loss::per_column) {
    parameter = pass.cols > 0 ? loss.template column_parameter<S>(0) : S(0);
    for (Index j = 1; j < pass.cols && uniform; ++j)
      uniform = loss.template column_parameter<S>(j) == parameter;
  }
  // Sample weights are a contiguous run beside pred's: of pred's shape in
  // its order, or one per row, which is a run down each column of a
  // column-major pred (or of a one-column pred in either order). One weight
  // per row of a row-major pred with several columns takes the scalar loop.
  const S* w = nullptr;
  bool weights_ok = true, per_row_runs = false;
  if constexpr (has_weights<W>) {
    per_row_runs = weights.per_row() && pass.cols > 1;
    w = weights.template linear<S>(per_row_runs ? false : pass.row_major);
    weights_ok = w != nullptr && !(per_row_runs && pass.row_major);
  }
  if (!(p && t && !pass.empty && weights_ok && (uniform || !pass.row_major))) return false;
  // The negation of the value rules, for packets (a Mask) and scalars (a bool).
  [[maybe_unused]] auto breaks = [&](const auto& pv, const auto& tv) {
    constexpr bool check_pred = Loss::pred_rule[0] != '\0';
    constexpr bool check_target = Loss::target_rule[0] != '\0';
    if constexpr (check_pred && check_target)
      return !loss.pred_ok(pv) || !loss.target_ok(tv);
    else if constexpr (check_pred)
      return !loss.pred_ok(pv);
    else
      return !loss.target_ok(tv);
  };
  const auto rules = [&] {
    if constexpr (RulesInLoop)
      return breaks;
    else
      return NoRules{};
  }();
  // The kernel for [from, to): whole-packet stores or written out one by
  // one, decided once per call (all_direct).
  const bool all_direct = store.all_direct();
  auto direct = [&](Index k, Index n, const Derivatives<Vec<S>>& d) { store.direct(k, n, d); };
  auto range = [&](Index w_offset, Index from, Index to, S param, bool* block_broken) {
    constexpr bool weighted = has_weights<W>;
    return all_direct ? packet_range<Order, weighted, true>(loss, p, t, w, w_offset, from, to,
                                                            param, direct, rules, block_broken)
                      : packet_range<Order, weighted, false>(loss, p, t, w, w_offset, from, to,
                                                             param, store, rules, block_broken);
  };
  std::atomic<bool> broken{false};
  const bool by_column = !uniform || per_row_runs;  // column-major here
  *sum = packet_blocks(loss, pass, parameter, by_column, per_row_runs, range, broken);
  if constexpr (RulesInLoop)
    if (broken.load()) check_values(loss, pred, target);  // reports the first bad value
  return true;
}

/// The scalar loop of run_elementwise, the reference: every coefficient in
/// pred's storage order, block by block. Returns the sum.
template <int Order, class Loss, class P, class T, class W, class S, class G, class H, class U>
double scalar_call(const Loss& loss, const Input<P>& pred, const Input<T>& target,
                   const SampleWeights<W>& weights, const Pass<S, G, H, U>& pass) {
  auto visit = [&](Index i, Index j) {
    const S p = static_cast<S>(pred(i, j));
    const S t = static_cast<S>(target(i, j));
    S parameter(0);
    if constexpr (Loss::per_column) parameter = loss.template column_parameter<S>(j);
    const Derivatives<S> d = evaluate_at<Order>(loss, p, t, parameter);
    const S w = weights.template operator()<S>(i, j);
    const S term = has_weights<W> ? S(w * d.value) : d.value;
    pass.terms.set(i, j, term);
    if constexpr (Order >= 1) {
      const S g = pass.empty ? S(0) : S(pass.scale * w * d.first);
      pass.gradient.set(i, j, g);
    }
    if constexpr (Order >= 2) {
      const S h = pass.empty ? S(0) : S(pass.scale * w * d.second);
      pass.hessian.set(i, j, h);
    }
    return static_cast<double>(term);
  };
  const Index line = pass.line;
  return sum_blocks(pass.blocks, pass.size, [&](Index b) {
    Index k = b * block_size;
    const Index end = std::min(pass.size, k + block_size);
    Index outer = k / line, inner = k % line;
    double s = 0;
    for (; k < end; ++k) {
      s += pass.row_major ? visit(outer, inner) : visit(inner, outer);
      if (++inner == line) {
        inner = 0;
        ++outer;
      }
    }
    return s;
  });
}

/// Whether a call tests the value rules inside the SIMD loop: value alone
/// (nothing is written) of a loss whose value rules take SIMD lanes, on the
/// SIMD path. One pass over the data instead of two; if a value breaks a
/// rule, check_values reports the first such value after the loop.
template <int Order, class Loss, class S, class P, class T, class W, class U>
constexpr bool rules_in_loop() {
  constexpr bool check_pred = Loss::pred_rule[0] != '\0';
  constexpr bool check_target = Loss::target_rule[0] != '\0';
  if constexpr (Order == 0 && !wanted<U> && (check_pred || check_target) &&
                packet_types<Loss, S, P, T, W>())
    return (!check_pred || rule_on_packets<Loss, S, true>()) &&
           (!check_target || rule_on_packets<Loss, S, false>());
  else
    return false;
}

/// Runs an element-wise loss over pred and target. Returns the reduction's
/// sum and denominator; writes the requested outputs, already scaled so that
/// they are derivatives of the value the loss's reduction returns.
///
/// Checks everything before anything is written (shapes, weights, values
/// unless the SIMD loop tests them, outputs, aliasing), then takes the SIMD
/// path where packet_call can, else the scalar loop, which stays the
/// reference.
template <int Order, class Loss, class P, class T, class W, class G, class H, class U>
Partial<double> run_elementwise(const Loss& loss, const P& pred_expr, const T& target_expr,
                                const Request<W, G, H, U>& request) {
  using S = compute_t<typename P::Scalar>;
  const char* name = Loss::name;
  Input<P> pred(pred_expr);
  Input<T> target(target_expr);
  const Index rows = pred.rows(), cols = pred.cols();
  if (target.rows() != rows || target.cols() != cols)
    fail_shape(name, "target", target.rows(), target.cols(),
               shape_text(rows, cols) + " (pred's shape)");
  loss.check_shape(rows, cols);

  const SampleWeights<W> weights(request.weights, rows, cols, false, name);
  constexpr bool in_loop = rules_in_loop<Order, Loss, S, P, T, W, U>();
  if constexpr (!in_loop) check_values(loss, pred, target);
  check_outputs(request, rows, cols, name);
  check_aliasing(request, pred_expr, target_expr, name);
  const double denominator =
      has_weights<W> ? weights.total(cols) : static_cast<double>(rows) * static_cast<double>(cols);
  const bool mean = loss.reduction() == Reduction::mean;
  const bool empty = mean && denominator == 0;
  const S scale = (mean && !empty) ? S(1.0 / denominator) : S(1);

  constexpr bool row_major = Input<P>::row_major;
  const Index size = rows * cols;
  const Pass<S, G, H, U> pass{output(request.gradient, rows, cols, name, "gradient"),
                              output(request.hessian, rows, cols, name, "hessian"),
                              Output<U>{request.terms},
                              scale,
                              empty,
                              row_major,
                              rows,
                              cols,
                              size,
                              row_major ? cols : rows,
                              (size + block_size - 1) / block_size};
  if constexpr (wanted<U>) request.terms->resize(rows, cols);

  if constexpr (packet_types<Loss, S, P, T, W>()) {
    double sum = 0;
    if (packet_call<Order, in_loop>(loss, pred, target, weights, pass, &sum))
      return Partial<double>{sum, denominator, loss.reduction()};
  }
  if constexpr (in_loop) check_values(loss, pred, target);  // the scalar loop: first
  const double sum = scalar_call<Order>(loss, pred, target, weights, pass);
  return Partial<double>{sum, denominator, loss.reduction()};
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
