// lossfn — the types every loss shares: Reduction, sample weights, Partial, traits.
#pragma once

#include <Eigen/Core>
#include <type_traits>

#include "detail/config.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// How the per-term losses become one number.
///  - mean: Σ w·l / Σ w·c over the terms counted (PyTorch's reduction='mean');
///          0, with a zero gradient, when that total weight is 0.
///  - sum:  Σ w·l (PyTorch's reduction='sum').
enum class Reduction { mean, sum };

/// Sample weights, tagged so that they cannot be mistaken for an output
/// argument: `loss(pred, target, lossfn::weights(w))`. `w` has pred's shape or
/// is a column of N (one weight per row, broadcast along it). The object holds
/// a reference to `w`: use it within the call's full expression.
template <class W>
struct Weights {
  const W& values;
};

template <class W>
Weights<W> weights(const Eigen::DenseBase<W>& w) {
  return Weights<W>{w.derived()};
}

/// A caller's storage for a result, tagged as weights are:
/// `loss.value_and_gradient(pred, target, lossfn::out(g))`. `out` takes a
/// non-const lvalue (a Matrix, an Array, a named Map, Block or Ref) or a
/// temporary view (`m.block(...)`, `Eigen::Map<...>(buffer, ...)`, the
/// transpose of a writable m); the object holds a reference to it: use it
/// within the call's full expression.
template <class G>
struct Out {
  G& values;
};

namespace detail {
template <class G>
constexpr bool writable_expression = (int(Eigen::internal::traits<G>::Flags) & Eigen::LvalueBit) !=
                                     0;
template <class G>
constexpr bool plain_object = std::is_base_of_v<Eigen::PlainObjectBase<G>, G>;
/// false, but only once instantiated: for static_asserts in templates that
/// exist to explain why a call is not allowed.
template <class...>
constexpr bool dependent_false = false;
}  // namespace detail

#define LOSSFN_OUT_NOT_WRITABLE                                                       \
  "lossfn::out: an output must be writable storage (a non-const Matrix, Array, Map, " \
  "Block or Ref), not const and not an expression such as g * 2"

// Each overload's return type is deduced, so that its check runs where out()
// is called, before anything the result is passed to is compiled.
template <class G>
auto out(Eigen::DenseBase<G>& g) {
  static_assert(detail::writable_expression<G>, LOSSFN_OUT_NOT_WRITABLE);
  return Out<G>{g.derived()};
}
template <class G>
auto out(Eigen::DenseBase<G>&& g) {
  static_assert(!detail::plain_object<G>,
                "lossfn::out: an output must outlive the call; a temporary Matrix or Array "
                "would be written and thrown away (name it, or pass a view of your storage)");
  static_assert(detail::writable_expression<G>, LOSSFN_OUT_NOT_WRITABLE);
  return Out<G>{g.derived()};
}
template <class G>
auto out(const Eigen::DenseBase<G>&) {
  static_assert(detail::dependent_false<G>, LOSSFN_OUT_NOT_WRITABLE);
}

#undef LOSSFN_OUT_NOT_WRITABLE

namespace detail {
template <class A>
struct is_weights : std::false_type {};
template <class W>
struct is_weights<Weights<W>> : std::true_type {};
template <class A>
struct is_out : std::false_type {};
template <class G>
struct is_out<Out<G>> : std::true_type {};

/// Whether the arguments after pred and target are `[weights(w)]` followed by
/// `fewest` to `most` `out(...)`: the only forms an entry point accepts.
template <int fewest, int most, class... A>
constexpr bool tagged() {
  constexpr bool weights[] = {is_weights<std::decay_t<A>>::value..., false};
  constexpr bool outs[] = {is_out<std::decay_t<A>>::value..., false};
  const int first = weights[0] ? 1 : 0;
  const int outputs = int(sizeof...(A)) - first;
  if (outputs < fewest || outputs > most) return false;
  for (int i = first; i < int(sizeof...(A)); ++i)
    if (!outs[i]) return false;
  return true;
}
/// Enables an entry point's overload that only reports a misplaced or untagged argument.
template <int fewest, int most, class... A>
using untagged_t = std::enable_if_t<!tagged<fewest, most, A...>(), int>;
}  // namespace detail

/// The first line of the compile error for an argument after the target that
/// is neither `lossfn::weights(...)` nor `lossfn::out(...)`: an untagged
/// vector could be either, so none is read or written.
#define LOSSFN_UNTAGGED_ARGUMENT                                                         \
  "lossfn: pass sample weights as lossfn::weights(w) and outputs as lossfn::out(g), in " \
  "that order after the target (outputs: value_and_gradient takes out(g), "              \
  "value_gradient_hessian out(g), out(h)); an untagged argument could be either"

/// The two numbers a reduction needs, for losses computed shard by shard:
/// `sum` (Σ w·l) and `weight` (the mean's denominator, Σ w·c). Partials of
/// the same loss add; value() is what `value` gives on the concatenated batch.
/// `sum` and `weight` are double for every Scalar: a float shard whose terms
/// add up past FLT_MAX (16M terms near 1e32) keeps its finite sum, partials
/// from any number of shards add without overflow, and an all-reduce sends
/// them as two doubles. `value()` returns Scalar, the type `value` returns
/// for the same prediction (float for half and bfloat16).
template <class Scalar>
struct Partial {
  double sum = 0;
  double weight = 0;
  Reduction reduction = Reduction::mean;

  Scalar value() const {
    if (reduction == Reduction::sum) return static_cast<Scalar>(sum);
    return weight == 0 ? Scalar(0) : static_cast<Scalar>(sum / weight);
  }
  Partial& operator+=(const Partial& other) {
    sum += other.sum;
    weight += other.weight;
    return *this;
  }
  friend Partial operator+(Partial a, const Partial& b) { return a += b; }
};

/// What `value_and_gradient(pred, target)` returns; binds with
/// `auto [value, gradient] = ...`.
template <class Scalar, class Gradient>
struct ValueAndGradient {
  Scalar value;
  Gradient gradient;
};

namespace detail {
/// A loss's `decomposable` member, true where it declares none: a loss is a
/// sum of per-sample terms unless it says otherwise.
template <class Loss, class = void>
struct decomposable : std::true_type {};
template <class Loss>
struct decomposable<Loss, std::void_t<decltype(Loss::decomposable)>>
    : std::bool_constant<Loss::decomposable> {};
}  // namespace detail

/// Compile-time facts about a loss, for generic code. Each loss declares them
/// as static constexpr members; this template reads them. `decomposable`
/// (`partial` exists: shards can compute their own sums) is true unless the
/// loss declares it false, as RootMeanSquaredError and CoxProportionalHazards do.
template <class Loss>
struct traits {
  static constexpr bool differentiable = Loss::differentiable;
  static constexpr bool twice_differentiable = Loss::twice_differentiable;
  static constexpr bool smooth = Loss::smooth;
  static constexpr bool convex = Loss::convex;
  static constexpr bool row_wise = Loss::row_wise;
  static constexpr bool decomposable = detail::decomposable<Loss>::value;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
