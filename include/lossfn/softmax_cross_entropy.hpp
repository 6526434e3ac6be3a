// lossfn — softmax cross-entropy on logits.
#pragma once

#include "detail/class_options.hpp"
#include "detail/softmax.hpp"

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
class SoftmaxCrossEntropy : public detail::ClassIndexLoss<SoftmaxCrossEntropy, true> {
 public:
  static constexpr const char* name = "SoftmaxCrossEntropy";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true, accepts_probabilities = true, reads_row_runs = true,
                        has_lanes = true;
  static constexpr int panel_packets = 4;  // (detail/rowwise.hpp: measured at 4096 x 1000)

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
    // f(c, target weight) for the classes of non-zero target weight that can
    // be: y alone for a class index without smoothing.
    auto for_each_target = [&](auto&& f) {
      if constexpr (!Row::probabilities)
        if (smoothing_ == 0) return f(r.label(), target_weight(r.label()));
      for (Eigen::Index c = 0; c < C; ++c) f(c, target_weight(c));
    };
    // With a contiguous gradient row: one exp per logit, e_c = exp(x_c − max)
    // written there, and s_c = e_c / (1 + rest).
    detail::LogSumExp<S> lse;
    S* g = nullptr;
    if constexpr (Row::order >= 1) g = detail::exps_into_gradient(r, lse);
    if (!g) lse = detail::log_sum_exp(r);
    S value(0), total(0);
    bool weighted = false;
    for_each_target([&](Eigen::Index c, S tw) {
      total += tw;
      if (tw != S(0)) {  // 0·log s_c adds nothing, even where log s_c = −inf
        weighted = true;
        value -= tw * lse.log_softmax(r.x(c));
      }
    });
    // A row whose target weights are all 0 (class weight 0 on its label, an
    // all-zero probability row) still propagates a NaN logit (and a row with no
    // softmax limit), as 0·NaN does in PyTorch and in every other loss here;
    // lse.max is NaN exactly then (never on the one-exp path: finite rows only).
    if (!weighted && C > 0) value += detail::nan_of(lse.max);
    if (g) {
      // dl/dx_c = M·s_c − target weight_c, scaled.
      const S inv = S(1) / (S(1) + lse.rest);
      if constexpr (Row::order >= 2)
        for (Eigen::Index c = 0; c < C; ++c) {
          const S s = g[c] * inv;
          r.hessian(c, total * s * (c == lse.argmax ? S(lse.rest * inv) : S(S(1) - s)));
        }
      detail::scale_run(g, C, S(r.scale() * total * inv));
      for_each_target([&](Eigen::Index c, S tw) { g[c] -= r.scale() * tw; });
    } else if constexpr (Row::order >= 1) {
      detail::for_each_softmax(lse, r, [&](Eigen::Index c, const S& s) {
        r.gradient(c, total * s - target_weight(c));
        if constexpr (Row::order >= 2) r.hessian(c, total * s * lse.complement(c, r.x(c)));
      });
    }
    return value;
  }

  /// W rows of class indices at once, one per SIMD lane (rows of ≤ 64
  /// classes, detail/rowwise.hpp), without smoothing (lanes_apply): the
  /// formulas above with M = w_y, s_c = e_c / (1 + rest).
  bool lanes_apply() const { return smoothing_ == 0; }
  template <class Lanes>
  bool lanes(Lanes& l) const {
    using S = typename Lanes::Scalar;
    using V = typename Lanes::V;
    detail::LaneSoftmax<V> sm;
    if (!detail::lanes_softmax<Lanes::order >= 2>(l, sm)) return false;  // (argmax: the Hessian's)
    // A class of weight 0 adds nothing, even where its log s_y is −inf.
    const V w_y = this->lane_class_weights(l);
    const V value = -w_y * V(V(sm.x_y - sm.max) - detail::log(V(V(1) + sm.rest)));
    detail::select(w_y == V(0), V(0), value).store(l.term);
    if constexpr (Lanes::order >= 1) {
      const V inv = V(1) / (V(1) + sm.rest), M = V::load(l.scale) * w_y;
      // As row(): e_c·(M/(1 + rest)), the label's entry less M; the Hessian
      // in the same pass.
      detail::lanes_softmax_gradient(l, sm, V(M * inv), V(-M), true, [&]([[maybe_unused]] Eigen::Index c, [[maybe_unused]] const V& e) {
        if constexpr (Lanes::order >= 2) {
          const V s = e * inv;
          const V complement = detail::select(sm.argmax == V(static_cast<S>(c)), V(sm.rest * inv), V(V(1) - s));
          l.hessian(c, M * s * complement);
        }
      });
    }
    return true;
  }

 private:
  double smoothing_ = 0.0;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
