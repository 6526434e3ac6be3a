// lossfn — Kullback–Leibler divergence.
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Kullback–Leibler divergence terms, one per coefficient, of an input of
/// log-probabilities x against target probabilities t (PyTorch's kl_div):
///   l = t·log t − t·x        (0·log 0 = 0: a term with t = 0 is 0)
///   with log_target(true), targets are log-probabilities s:  l = e^s·(s − x)
///   dl/dx = −t  (−e^s),   d²l/dx² = 0 (linear in the input)
/// The sum over a row is KL(t ‖ exp(x)) when x and t are distributions.
/// `mean` divides by the number of terms, N·C (PyTorch's reduction='mean');
/// PyTorch's 'batchmean', the true KL divergence per sample, is `sum` divided
/// by N. A term whose target probability is 0 (e^s = 0) is 0 even where x =
/// −inf (PyTorch: NaN), and a NaN input still gives NaN.
/// Targets: probabilities in [0, 1], or log-probabilities <= 0 with
/// log_target; anything else (NaN included) is an error.
/// Options: log_target (false), reduction (mean). PyTorch: torch.nn.KLDivLoss /
/// F.kl_div; Keras: KLDivergence (takes probabilities, not log-probabilities).
class KLDivergence : public detail::Elementwise<KLDivergence> {
 public:
  static constexpr const char* name = "KLDivergence";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too
  static constexpr const char* target_rule =
      "is not a probability in [0, 1] (or, with log_target, a log-probability <= 0)";

  template <class S>
  auto target_ok(const S& t) const {
    return log_target_ ? t <= S(0) : detail::is_probability(t);
  }

  /// Targets are log-probabilities (PyTorch's log_target).
  KLDivergence& log_target(bool v) & {
    log_target_ = v;
    return *this;
  }
  KLDivergence log_target(bool v) && { return std::move(this->log_target(v)); }
  bool log_target() const { return log_target_; }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& x, const S& t) const {
    using detail::select;
    detail::Derivatives<S> r;
    if (log_target_) {  // an option, not a value: the same branch for every lane
      const S e = detail::exp(t);
      r.value = select(e == S(0), S(0), S(e * (t - x))) + detail::nan_of(x);
      if constexpr (Order >= 1) r.first = -e + detail::nan_of(x);
    } else {
      // t·log t − t·x in PyTorch's order (xlogy(t, t) − t·x), so that the
      // rounding where log t ≈ x (a small divergence) is PyTorch's.
      const S t_log_t = select(t == S(0), S(0), S(t * detail::log(t)));
      r.value = select(t == S(0), S(0), S(t_log_t - t * x)) + detail::nan_of(x);
      if constexpr (Order >= 1) r.first = -t + detail::nan_of(x);
    }
    return r;
  }

 private:
  bool log_target_ = false;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
