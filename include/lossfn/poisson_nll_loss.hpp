// lossfn — Poisson negative log-likelihood.
#pragma once

#include <cmath>

#include "detail/loss.hpp"
#include "detail/math.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

/// Negative log-likelihood of counts t under a Poisson distribution of rate λ,
/// one term per coefficient, without the constant log(t!) (PyTorch's
/// poisson_nll_loss):
///   log_input (default): the input is x = log λ
///     l = e^x − t·x,                 dl/dx = e^x − t,           d²l/dx² = e^x
///   log_input(false): the input is the rate x = λ >= 0
///     l = x − t·log(x + eps),        dl/dx = 1 − t/(x + eps),   d²l/dx² = t/(x + eps)²
///   full(true) adds Stirling's approximation of log(t!) where t > 1 (0 for
///   t <= 1, as PyTorch): t·log t − t + log(2πt)/2, which does not depend on x.
/// A term whose count t is 0 is e^x (x) even where x = −inf (PyTorch: NaN);
/// with log_input, x = +inf gives +inf, the limit (PyTorch: NaN).
/// Targets are counts >= 0, not necessarily integers: a negative or NaN count
/// is an error, and so is a negative rate with log_input(false) (a NaN input
/// propagates).
/// Options: log_input (true), full (false), eps (1e-8, > 0, used only without
/// log_input), reduction (mean). PyTorch: torch.nn.PoissonNLLLoss /
/// F.poisson_nll_loss; Keras: Poisson (takes the rate: log_input false,
/// eps 1e-7).
class PoissonNLLLoss : public detail::Elementwise<PoissonNLLLoss> {
 public:
  static constexpr const char* name = "PoissonNLLLoss";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = true,
                        convex = true;
  static constexpr bool vectorized = true;  // evaluate serves SIMD lanes too
  static constexpr const char* pred_rule = "is negative (a rate, since log_input is false)";
  static constexpr const char* target_rule = "is not a count >= 0";

  template <class S>
  bool pred_ok(const S& x) const {
    return log_input_ || !(x < S(0));  // a NaN rate is not an error: it propagates
  }
  template <class S>
  static auto target_ok(const S& t) {
    return t >= S(0);
  }

  /// The input is the log of the rate (true) or the rate itself (false).
  PoissonNLLLoss& log_input(bool v) & {
    log_input_ = v;
    return *this;
  }
  PoissonNLLLoss log_input(bool v) && { return std::move(this->log_input(v)); }
  bool log_input() const { return log_input_; }
  /// Adds Stirling's approximation of log(t!) (for t > 1): the full negative log-likelihood.
  PoissonNLLLoss& full(bool v) & {
    full_ = v;
    return *this;
  }
  PoissonNLLLoss full(bool v) && { return std::move(this->full(v)); }
  bool full() const { return full_; }
  /// Added to the rate inside log(x + eps) when log_input is false, so that a rate of 0 is finite.
  PoissonNLLLoss& eps(double e) & {
    if (!(e > 0) || !std::isfinite(e))
      detail::fail_option(name, "eps", e, "is not a finite number > 0");
    eps_ = e;
    return *this;
  }
  PoissonNLLLoss eps(double e) && { return std::move(this->eps(e)); }
  double eps() const { return eps_; }

  template <int Order, class S>
  detail::Derivatives<S> evaluate(const S& x, const S& t) const {
    using detail::select;
    detail::Derivatives<S> r;
    // Options, not values, choose the branches: the same for every lane.
    if (log_input_) {
      const S e = detail::exp(x);
      // At x = +inf, e^x − t·x is inf − inf in floating point; its limit is
      // +inf (PyTorch: NaN). x itself is that +inf.
      r.value = select(x == e, x, S(e - select(t == S(0), S(0), S(t * x))));
      if constexpr (Order >= 1) r.first = e - t;
      if constexpr (Order >= 2) r.second = e;
    } else {
      const S rate = x + static_cast<S>(eps_);
      r.value = x - t * detail::log(rate);
      if constexpr (Order >= 1) r.first = S(1) - t / rate;
      if constexpr (Order >= 2) r.second = t / (rate * rate);
    }
    if (full_) {
      // PyTorch's expression, term by term: t·log t − t + 0.5·log(2π·t).
      const S stirling =
          t * detail::log(t) - t + S(0.5) * detail::log(S(static_cast<S>(6.283185307179586) * t));
      r.value = r.value + select(t > S(1), stirling, S(0));
    }
    return r;
  }

 private:
  bool log_input_ = true;
  bool full_ = false;
  double eps_ = 1e-8;
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
