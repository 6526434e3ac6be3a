// lossfn — softmax cross-entropy on logits.
#pragma once

#include "detail/class_options.hpp"
#include "detail/softmax.hpp"

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
class SoftmaxCrossEntropy : public detail::ClassIndexLoss<SoftmaxCrossEntropy, true> {
 public:
  static constexpr const char* name = "SoftmaxCrossEntropy";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true, accepts_probabilities = true;

  /// ε ∈ [0, 1): the target becomes (1 − ε)·one-hot + ε/C.
  SoftmaxCrossEntropy& label_smoothing(double e) {
    if (!(e >= 0 && e < 1)) detail::fail_option(name, "label_smoothing", e, "is outside [0, 1)");
    smoothing_ = e;
    return *this;
  }
  double label_smoothing() const { return smoothing_; }

  template <class Row>
  typename Row::Scalar row(const Row& r) const {
    using S = typename Row::Scalar;
    const Eigen::Index C = r.cols();
    const detail::LogSumExp<S> lse = detail::log_sum_exp(r);
    const S e = static_cast<S>(smoothing_), spread = e / static_cast<S>(C);
    // The target weight of class c: (1 − ε)·w_y·[c = y] + (ε/C)·w_c for an
    // index, w_c·t′_c for probabilities; M is their total.
    auto target_weight = [&](Eigen::Index c) -> S {
      if constexpr (Row::probabilities) {
        return this->template class_weight<S>(c) * ((S(1) - e) * r.target(c) + spread);
      } else {
        const S onehot = c == r.label() ? (S(1) - e) * this->template class_weight<S>(c) : S(0);
        return onehot + (smoothing_ > 0 ? spread * this->template class_weight<S>(c) : S(0));
      }
    };
    S value(0), total(0);
    bool weighted = false;
    for (Eigen::Index c = 0; c < C; ++c) {
      const S tw = target_weight(c);
      total += tw;
      if (tw != S(0)) {  // 0·log s_c adds nothing, even where log s_c = −inf
        weighted = true;
        value -= tw * lse.log_softmax(r.x(c));
      }
    }
    // A row whose target weights are all 0 (class weight 0 on its label, an
    // all-zero probability row) still propagates a NaN logit (and a row with no
    // softmax limit), as 0·NaN does in PyTorch and in every other loss here;
    // lse.max is NaN exactly then.
    if (!weighted && C > 0) value += detail::nan_of(lse.max);
    if constexpr (Row::order >= 1) {
      detail::for_each_softmax(lse, r, [&](Eigen::Index c, const S& s) {
        r.gradient(c, total * s - target_weight(c));
        if constexpr (Row::order >= 2) r.hessian(c, total * s * lse.complement(c, r.x(c)));
      });
    }
    return value;
  }

 private:
  double smoothing_ = 0.0;
};

}  // namespace lossfn
