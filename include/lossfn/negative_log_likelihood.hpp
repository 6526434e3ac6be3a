// lossfn — negative log-likelihood of log-probabilities.
#pragma once

#include <algorithm>

#include "detail/class_options.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Negative log-likelihood for an N x C matrix of log-probabilities (e.g. a
/// log-softmax output) and N class indices, one term per row:
///   l = −w_y·logp_y,   dl/dlogp_c = −w_y·[c = y],   d²l/dlogp_c² = 0.
/// mean divides by Σ w_y over the samples not ignored (PyTorch's nll_loss).
/// Options: class_weights (none), ignore_index (none), reduction (mean).
/// PyTorch: torch.nn.NLLLoss.
class NegativeLogLikelihood : public detail::ClassIndexLoss<NegativeLogLikelihood, true> {
 public:
  static constexpr const char* name = "NegativeLogLikelihood";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true, has_lanes = true, lanes_in_place_only = true;

  template <class Row>
  typename Row::Scalar row(const Row& r) const {
    using S = typename Row::Scalar;
    const S w = this->template class_weight<S>(r.label());
    if constexpr (Row::order == 1) {
      if (S* g = r.gradient_data()) {  // a contiguous row: 0 but on the label, as below
        std::fill(g, g + r.cols(), S(r.scale() * S(0)));
        g[r.label()] = r.scale() * S(-w);
        return -w * r.x(r.label());
      }
    }
    if constexpr (Row::order >= 1) {
      for (Eigen::Index c = 0; c < r.cols(); ++c) {
        r.gradient(c, c == r.label() ? S(-w) : S(0));
        if constexpr (Row::order >= 2) r.hessian(c, S(0));
      }
    }
    return -w * r.x(r.label());
  }

  /// W rows at once, one per SIMD lane (detail/rowwise.hpp): row()'s
  /// arithmetic; the label's logit found by a select per column, and the
  /// gradient's columns written whole (0 but on the label).
  template <class Lanes>
  bool lanes(Lanes& l) const {
    using V = typename Lanes::V;
    const V w = this->lane_class_weights(l);
    V(-w * l.x_label()).store(l.term);
    if constexpr (Lanes::order >= 1) {
      for (Eigen::Index c = 0; c < l.cols; ++c) {
        l.gradient(c, V(0));
        if constexpr (Lanes::order >= 2) l.hessian(c, V(0));
      }
      l.at_label(V::load(l.scale) * V(-w), false);
    }
    return true;
  }
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
