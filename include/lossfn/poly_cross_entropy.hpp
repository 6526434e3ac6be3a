// lossfn — Poly-1 cross-entropy on logits.
#pragma once

#include <cmath>

#include "detail/softmax_loss.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Poly-1 loss on an N x C matrix of logits: cross-entropy plus ε times the
/// target's share of 1 − softmax. With s = softmax(x), target weights
/// t_c = w_c·t′_c (t′ the smoothed target distribution, one-hot of the label
/// for a class index, w the class weights):
///   l = Σ_c t_c·(−log s_c + ε·(1 − s_c))
///   dl/dx_j = s_j·Σ_c t_c·(1 + ε·s_c) − t_j·(1 + ε·s_j)
///   d²l/dx_j² = s_j(1 − s_j)·Σ_c t_c·(1 + ε·s_c) − ε·s_j²·Σ_c t_c·s_c
///               − ε·t_j·s_j·(1 − 2s_j)
/// 1 − s_c is Σ_{k≠c} s_k where c holds the largest logit, so a confident row
/// keeps its poly term. ε = 0 is SoftmaxCrossEntropy.
/// Options: epsilon (2, finite, ≥ −1), and SoftmaxCrossEntropy's:
/// class_weights (none), ignore_index (none), label_smoothing (0, in [0, 1)),
/// reduction (mean: Σ w_y over the samples not ignored). A pred of one column
/// is an error (the loss of one class is identically 0).
/// optax: poly_loss_cross_entropy (no weights, smoothing or ignore_index).
class PolyCrossEntropy : public detail::SoftmaxLoss<PolyCrossEntropy, true> {
 public:
  static constexpr const char* name = "PolyCrossEntropy";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = false;

  /// ε: finite, ≥ −1 (where the term −log s + ε·(1 − s) still decreases in s).
  PolyCrossEntropy& epsilon(double e) & {
    if (!(e >= -1) || !std::isfinite(e))
      detail::fail_option(name, "epsilon", e, "is not a finite number >= -1");
    epsilon_ = e;
    return *this;
  }
  PolyCrossEntropy epsilon(double e) && { return std::move(this->epsilon(e)); }
  double epsilon() const { return epsilon_; }

  void check_shape(Eigen::Index rows, Eigen::Index cols) const {
    if (cols == 1)
      detail::fail(
          std::string(name) +
          ": pred has 1 column, and the loss of one class is identically 0; for two classes "
          "in one column use BinaryCrossEntropyWithLogits");
    SoftmaxLoss::check_shape(rows, cols);
  }

  /// Class c's term φ = t·(−log s + ε·q) and its derivatives in log s
  /// (detail/softmax_loss.hpp): ψ = −t·(1 + ε·s), χ = −t·ε·s.
  static constexpr bool reads_probability = true;
  template <int Order, class V>
  detail::SoftmaxTerm<V> term(const detail::SoftmaxClass<V>& k) const {
    const V e = detail::constant<V>(epsilon_);
    return {V(-k.t * k.log_s) + V(V(e * k.t) * k.q), -k.t * V(V(1) + e * k.s), -k.t * V(e * k.s)};
  }

 private:
  double epsilon_ = 2.0;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
