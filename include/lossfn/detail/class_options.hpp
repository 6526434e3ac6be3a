// lossfn — the options of losses over class indices: class weights, ignore_index.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loss.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

/// Validated, immutable, shared class weights: copying a loss copies a pointer.
class ClassWeightVector {
 public:
  template <class It>
  void assign(It first, It last, const char* loss) {
    auto w = std::make_shared<std::vector<double>>();
    for (It it = first; it != last; ++it) {
      const double v = static_cast<double>(*it);
      if (!(v >= 0) || !std::isfinite(v))
        fail_value(loss, position("class_weights", static_cast<Index>(w->size())), v,
                   "is not a finite non-negative weight");
      w->push_back(v);
    }
    weights_ = std::move(w);
  }
  bool empty() const { return !weights_ || weights_->empty(); }
  double operator[](long long c) const {
    return empty() ? 1.0 : (*weights_)[static_cast<size_t>(c)];
  }
  const std::vector<double>& values() const {
    static const std::vector<double> none;
    return weights_ ? *weights_ : none;
  }
  void check_count(Index cols, const char* loss) const {
    if (!empty() && static_cast<Index>(weights_->size()) != cols)
      fail(std::string(loss) + ": class_weights has " + std::to_string(weights_->size()) +
           " entries, expected " + std::to_string(cols) + " (one per column of pred)");
  }

 private:
  std::shared_ptr<const std::vector<double>> weights_;
};

/// Base of the row-wise losses over class indices with `class_weights` and,
/// when IgnoreIndex, `ignore_index`.
template <class Derived, bool IgnoreIndex>
class ClassIndexLoss : public Rowwise<Derived> {
 public:
  /// One non-negative weight per class (PyTorch's `weight`); a mean divides
  /// by the total weight of the samples' classes. Empty: no weights.
  template <class V>
  Derived& class_weights(const Eigen::DenseBase<V>& w) & {
    typename V::PlainObject copy = w.derived();
    weights_.assign(copy.data(), copy.data() + copy.size(), Derived::name);
    return static_cast<Derived&>(*this);
  }
  template <class V>
  Derived class_weights(const Eigen::DenseBase<V>& w) && {
    return std::move(this->class_weights(w));
  }
  Derived& class_weights(const std::vector<double>& w) & {
    weights_.assign(w.begin(), w.end(), Derived::name);
    return static_cast<Derived&>(*this);
  }
  Derived class_weights(const std::vector<double>& w) && {
    return std::move(this->class_weights(w));
  }
  Derived& class_weights(std::initializer_list<double> w) & {
    weights_.assign(w.begin(), w.end(), Derived::name);
    return static_cast<Derived&>(*this);
  }
  Derived class_weights(std::initializer_list<double> w) && {
    return std::move(this->class_weights(w));
  }
  const std::vector<double>& class_weights() const { return weights_.values(); }

  /// Samples whose class index equals this value contribute nothing (PyTorch's
  /// `ignore_index`, which has no default here: nothing is ignored unless set).
  /// It may lie outside [0, C), e.g. -1 or -100.
  template <bool B = IgnoreIndex, std::enable_if_t<B, int> = 0>
  Derived& ignore_index(long long index) & {
    ignore_index_ = index;
    return static_cast<Derived&>(*this);
  }
  template <bool B = IgnoreIndex, std::enable_if_t<B, int> = 0>
  Derived ignore_index(long long index) && {
    return std::move(this->ignore_index(index));
  }
  template <bool B = IgnoreIndex, std::enable_if_t<B, int> = 0>
  std::optional<long long> ignore_index() const {
    return ignore_index_;
  }

  // Hooks read by the row-wise driver.
  bool ignored(long long y) const { return ignore_index_ && *ignore_index_ == y; }
  double class_weight_of(long long y) const { return weights_[y]; }
  bool has_ignore_index() const { return ignore_index_.has_value(); }
  bool has_class_weights() const { return !weights_.empty(); }
  void check_shape(Index, Index cols) const { weights_.check_count(cols, Derived::name); }

 protected:
  /// The weight of class c in the compute type (1 without class weights).
  template <class S>
  S class_weight(Index c) const {
    return static_cast<S>(weights_[c]);
  }
  /// The class weights of a LaneView's lanes (1 without class weights).
  template <class L>
  typename L::V lane_class_weights(const L& l) const {
    using S = typename L::Scalar;
    using V = typename L::V;
    if (weights_.empty()) return V(1);
    S w[L::width];
    for (Index k = 0; k < L::width; ++k) w[k] = class_weight<S>(static_cast<Index>(l.label[k]));
    return V::load(w);
  }

 private:
  ClassWeightVector weights_;
  std::optional<long long> ignore_index_;
};

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
