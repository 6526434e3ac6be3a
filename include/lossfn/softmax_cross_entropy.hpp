// lossfn — softmax cross-entropy on logits.
#pragma once

#include "detail/softmax_loss.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Cross-entropy of softmax(x) for an N x C matrix of logits, one term per row.
/// With a class index y, label smoothing ε and class weights w (1 without):
///   l = (1 − ε)·w_y·(−log s_y) + (ε/C)·Σ_c w_c·(−log s_c),   s = softmax(x)
///   dl/dx_c = M·s_c − ((1 − ε)·w_y·[c = y] + (ε/C)·w_c),    M = (1 − ε)·w_y + (ε/C)·Σ_c w_c
///   d²l/dx_c² = M·s_c·(1 − s_c)   (the diagonal of the row's Hessian block)
/// With N x C probability targets t:  l = −Σ_c w_c·t′_c·log s_c,  t′ = (1 − ε)·t + ε/C,
///   dl/dx_c = M·s_c − w_c·t′_c with M = Σ_c w_c·t′_c.
/// mean divides by Σ w_y over the samples not ignored (N for probability
/// targets), as PyTorch's cross_entropy does. log s is x − logsumexp(x), with
/// the maximum subtracted first: no overflow for any finite logit.
/// Options: class_weights (none), ignore_index (none), label_smoothing (0, in
/// [0, 1)), reduction (mean). PyTorch: torch.nn.CrossEntropyLoss;
/// Keras: SparseCategoricalCrossentropy(from_logits=True) /
/// CategoricalCrossentropy(from_logits=True).
class SoftmaxCrossEntropy : public detail::SoftmaxLoss<SoftmaxCrossEntropy, true> {
 public:
  static constexpr const char* name = "SoftmaxCrossEntropy";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;

  /// Class c's term, φ = −t·log s (detail/softmax_loss.hpp).
  static constexpr bool reads_probability = false;
  template <int Order, class V>
  detail::SoftmaxTerm<V> term(const detail::SoftmaxClass<V>& k) const {
    return {-k.t * k.log_s, -k.t, V(0)};
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
