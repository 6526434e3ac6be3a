// lossfn — binary cross-entropy on probabilities.
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Binary cross-entropy on probabilities p ∈ [0, 1] with targets t ∈ [0, 1]:
///   l = −(t·max(log p, −100) + (1 − t)·max(log(1 − p), −100))
///   dl/dp = (p − t) / max(p(1 − p), ε),  ε = 1e-12f = 9.999999960041972e-13,
///           the *float* constant PyTorch's BCELoss uses, in double too;
///   d²l/dp² = t/p² + (1 − t)/(1 − p)², each part 0 where its log is clamped
///           (the exact second derivative of the clamped value; no ε floor).
/// The log clamp keeps l finite at p = 0 or 1 (log 0 would be −inf).
/// Predictions or targets outside [0, 1], NaN included, are an error.
/// Prefer BinaryCrossEntropyWithLogits when you have logits: it is exact
/// where σ(x) rounds to 0 or 1. PyTorch: torch.nn.BCELoss; Keras:
/// BinaryCrossentropy(from_logits=False) (which clips p at 1e-7 instead).
class BinaryCrossEntropy : public detail::Elementwise<BinaryCrossEntropy> {
 public:
  static constexpr const char* name = "BinaryCrossEntropy";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too
  static constexpr const char* pred_rule =
      "is outside [0, 1] (probabilities expected; for logits use BinaryCrossEntropyWithLogits)";
  static constexpr const char* target_rule = "is outside [0, 1]";

  template <class S>
  static auto pred_ok(const S& p) {
    return detail::is_probability(p);
  }
  template <class S>
  static auto target_ok(const S& t) {
    return detail::is_probability(t);
  }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& p, const S& t) const {
    using std::log;
    const S q = S(1) - p;
    const S log_p = log(p), log_q = log(q);
    const S value =
        -(t * detail::max_nan(log_p, S(-100)) + (S(1) - t) * detail::max_nan(log_q, S(-100)));
    S first(0), second(0);
    if constexpr (Order >= 1) {
      const S eps = static_cast<S>(1e-12f);
      first = (p - t) / detail::max_nan(S(q * p), eps);
    }
    if constexpr (Order >= 2) {
      // 0 where a log is clamped (its derivative is then 0) or its factor is 0.
      const S part_p = detail::select(log_p > S(-100) && t != S(0), S(t / (p * p)), S(0));
      const S part_q = detail::select(log_q > S(-100) && t != S(1), S((S(1) - t) / (q * q)), S(0));
      second = part_p + part_q;
    }
    return {value, first, second};
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
