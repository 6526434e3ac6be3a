// lossfn — categorical cross-entropy on probabilities.
#pragma once

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Cross-entropy of an N x C matrix of probabilities p (a softmax output, say)
/// against targets t, one term per row:
///   l = −Σ_c t_c·max(log p_c, −100)          (class index y: t = one-hot(y))
///   dl/dp_c = −t_c/p_c,   d²l/dp_c² = t_c/p_c²   where log p_c >= −100,
///   and 0 where the clamp holds (p_c = 0 included: the term is then 100·t_c
///   and no gradient flows) — the derivatives of the clamped value.
/// The clamp at −100 is BinaryCrossEntropy's (PyTorch's BCELoss): log 0 would
/// be −inf. p's rows are not renormalised (a row summing to 0.9 is taken as
/// it is) and no ε is added; probabilities outside [0, 1], NaN included, are
/// an error, and so are probability targets outside [0, 1].
/// Targets: N class indices (an integer column), or N x C probabilities.
/// mean divides by N (Σ w_i with sample weights), as for SoftmaxCrossEntropy.
/// Prefer SoftmaxCrossEntropy on logits when you have them: it is exact where
/// softmax rounds a probability to 0. Options: reduction (mean). PyTorch:
/// F.nll_loss(torch.log(p).clamp(min=-100), y) (with index targets);
/// Keras: CategoricalCrossentropy / SparseCategoricalCrossentropy
/// (from_logits=False), which renormalise rows and clip p at 1e-7 instead.
class CategoricalCrossEntropy : public detail::Rowwise<CategoricalCrossEntropy> {
 public:
  static constexpr const char* name = "CategoricalCrossEntropy";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true, accepts_probabilities = true;

  /// Probabilities outside [0, 1] (NaN included) are an error: checked for
  /// every row by the driver before anything is written.
  template <class PIn, class TIn>
  void check_row(const PIn& pred, const TIn& target, Eigen::Index i) const {
    using S = detail::compute_t<typename PIn::Scalar>;
    for (Eigen::Index c = 0; c < pred.cols(); ++c) {
      const S p = static_cast<S>(pred(i, c));
      if (!(p >= S(0) && p <= S(1)))
        detail::fail_value(
            name, detail::position("pred", i, c), p,
            "is outside [0, 1] (probabilities expected; for logits use SoftmaxCrossEntropy)");
    }
    if constexpr (!std::is_integral_v<typename TIn::Scalar>) {
      // In the target's own type, as the caller gave it (BinaryCrossEntropy's
      // rule): a double 1 + 1e-12 is not a probability, although it rounds to
      // 1.0f in a float pred's compute type.
      using T = typename TIn::Scalar;
      for (Eigen::Index c = 0; c < pred.cols(); ++c) {
        const T t = target(i, c);
        if (!(t >= T(0) && t <= T(1)))
          detail::fail_value(name, detail::position("target", i, c), t, "is outside [0, 1]");
      }
    }
  }

  template <class Row>
  typename Row::Scalar row(const Row& r) const {
    using S = typename Row::Scalar;
    const Eigen::Index C = r.cols();
    // One class's term and derivatives, for a target weight t.
    S value(0);
    auto add = [&](Eigen::Index c, S t) {
      const S p = r.x(c);
      const S log_p = detail::log(p);
      const bool unclamped = log_p >= S(-100);
      value -= t * (unclamped ? log_p : S(-100));
      if constexpr (Row::order >= 1) r.gradient(c, unclamped ? S(-t / p) : S(0));
      if constexpr (Row::order >= 2) r.hessian(c, unclamped ? S(t / p / p) : S(0));
    };
    if constexpr (Row::probabilities) {
      for (Eigen::Index c = 0; c < C; ++c) add(c, r.target(c));
    } else {
      for (Eigen::Index c = 0; c < C; ++c) {
        if (c == r.label()) {
          add(c, S(1));
        } else {
          if constexpr (Row::order >= 1) r.gradient(c, S(0));
          if constexpr (Row::order >= 2) r.hessian(c, S(0));
        }
      }
    }
    return value;
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
