// lossfn — binary cross-entropy on logits.
#pragma once

#include <initializer_list>
#include <memory>
#include <vector>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Binary cross-entropy of σ(x) against t ∈ [0, 1], computed from the logit x
/// without ever forming σ(x) − 1:
///   l = pw·t·softplus(−x) + (1 − t)·softplus(x)          (= BCE(σ(x), t) for pw = 1)
///   dl/dx = (1 − t)·σ(x) − pw·t·σ(−x)
///   d²l/dx² = (pw·t + 1 − t)·σ(x)·σ(−x)
/// softplus(x) = max(x, 0) + log1p(exp(−|x|)) never overflows, so every finite
/// logit gives a finite loss; x = ±inf gives the limit (0 when t is the
/// matching label). `pos_weight` (1): the weight of positive examples, a
/// scalar or one per column (PyTorch's broadcast over the last dimension).
/// Targets outside [0, 1] are an error. PyTorch: torch.nn.BCEWithLogitsLoss;
/// Keras: BinaryCrossentropy(from_logits=True).
class BinaryCrossEntropyWithLogits : public detail::Elementwise<BinaryCrossEntropyWithLogits> {
 public:
  static constexpr const char* name = "BinaryCrossEntropyWithLogits";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true, per_column = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too
  static constexpr const char* target_rule = "is outside [0, 1]";

  template <class S>
  static auto target_ok(const S& t) {
    return detail::is_probability(t);
  }

  /// One weight for every column.
  BinaryCrossEntropyWithLogits& pos_weight(double w) & { return pos_weight({w}); }
  BinaryCrossEntropyWithLogits pos_weight(double w) && { return std::move(this->pos_weight(w)); }
  /// One weight per column of pred (a single entry applies to every column).
  BinaryCrossEntropyWithLogits& pos_weight(std::initializer_list<double> w) & {
    return pos_weight(std::vector<double>(w));
  }
  BinaryCrossEntropyWithLogits pos_weight(std::initializer_list<double> w) && {
    return std::move(this->pos_weight(w));
  }
  BinaryCrossEntropyWithLogits& pos_weight(const std::vector<double>& w) & {
    for (size_t c = 0; c < w.size(); ++c)
      if (!(w[c] >= 0) || !std::isfinite(w[c]))
        detail::fail_value(name, detail::position("pos_weight", static_cast<Eigen::Index>(c)), w[c],
                           "is not a finite non-negative weight");
    pos_weight_ = std::make_shared<const std::vector<double>>(w);
    return *this;
  }
  BinaryCrossEntropyWithLogits pos_weight(const std::vector<double>& w) && {
    return std::move(this->pos_weight(w));
  }
  template <class V>
  BinaryCrossEntropyWithLogits& pos_weight(const Eigen::DenseBase<V>& w) & {
    typename V::PlainObject copy = w.derived();
    return pos_weight(std::vector<double>(copy.data(), copy.data() + copy.size()));
  }
  template <class V>
  BinaryCrossEntropyWithLogits pos_weight(const Eigen::DenseBase<V>& w) && {
    return std::move(this->pos_weight(w));
  }
  /// The positive weights: one entry (a scalar) or one per column.
  std::vector<double> pos_weight() const {
    return pos_weight_ ? *pos_weight_ : std::vector<double>{1.0};
  }

  void check_shape(Eigen::Index, Eigen::Index cols) const {
    if (pos_weight_ && pos_weight_->size() != 1 &&
        static_cast<Eigen::Index>(pos_weight_->size()) != cols)
      detail::fail(std::string(name) + ": pos_weight has " + std::to_string(pos_weight_->size()) +
                   " entries, expected 1 or " + std::to_string(cols) + " (one per column of pred)");
  }
  template <class S>
  S column_parameter(Eigen::Index j) const {
    if (!pos_weight_) return S(1);
    return static_cast<S>(pos_weight_->size() == 1 ? (*pos_weight_)[0]
                                                   : (*pos_weight_)[static_cast<size_t>(j)]);
  }

  /// The formula's transcendental input, e^{−|x|} (detail/elementwise.hpp).
  template <class S>
  S transcendentals(const S& x, const S&) const {
    return detail::exp_minus_abs(x);
  }
  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& x, const S& t, const S& pw, const S& e) const {
    using detail::select;
    const detail::Logistic<S> f = detail::logistic(x, e);  // softplus(±x), σ(±x)
    // Each product is 0 where its weight is 0, even against an infinite
    // softplus; a NaN x still propagates when both weights are 0 (pos_weight 0, t = 1).
    const S positive = pw * t, negative = S(1) - t;
    const S value = select(positive == S(0), S(0), S(positive * f.softplus_neg)) +
                    select(negative == S(0), S(0), S(negative * f.softplus)) +
                    select(x != x, x, S(0));
    S first(0), second(0);
    if constexpr (Order >= 1) {
      first = negative * f.sigmoid - positive * f.sigmoid_neg;
      if constexpr (Order >= 2) second = (positive + negative) * f.sigmoid * f.sigmoid_neg;
    }
    return {value, first, second};
  }

 private:
  std::shared_ptr<const std::vector<double>> pos_weight_;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
