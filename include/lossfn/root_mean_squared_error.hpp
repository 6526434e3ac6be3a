// lossfn — root mean squared error.
#pragma once

#include <cmath>

#include "mean_squared_error.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn {

namespace detail {
/// The output X is absent or stores S, the compute type.
template <class X, class S>
struct holds : std::is_same<typename X::Scalar, S> {};
template <class S>
struct holds<None, S> : std::true_type {};
template <class X, class S>
constexpr bool holds_v = holds<X, S>::value;
}  // namespace detail

/// Root mean squared error over the whole batch:  RMSE = √(Σ w d² / Σ w).
///   dRMSE/dp = w d / (W · RMSE),  0 where RMSE = 0 (the cone's tip);
///   Hessian diagonal  w/(W r) − w² d²/(W² r³)  (the diagonal of the full Hessian).
/// A square root of a mean is not a sum of per-sample terms, so RMSE has no
/// unreduced(), partial() or reduction option. PyTorch: sqrt(F.mse_loss(...));
/// Keras: RootMeanSquaredError (a metric).
class RootMeanSquaredError : public detail::LossApi<RootMeanSquaredError> {
 public:
  static constexpr const char* name = "RootMeanSquaredError";
  static constexpr bool differentiable = true, twice_differentiable = true, smooth = false,
                        convex = true, row_wise = false, decomposable = false;

  template <class... A>
  auto unreduced(const A&...) const {
    static_assert(detail::dependent_false<A...>,
                  "RootMeanSquaredError has no unreduced(): the square root of a mean does not "
                  "split into per-sample terms. Use MeanSquaredError().unreduced for the "
                  "squared errors.");
  }
  template <class... A>
  auto partial(const A&...) const {
    static_assert(detail::dependent_false<A...>,
                  "RootMeanSquaredError has no partial(): combine MeanSquaredError partials "
                  "across shards and take the square root of their value().");
  }
  template <class... A>
  auto reduction(const A&...) const {
    static_assert(detail::dependent_false<A...>,
                  "RootMeanSquaredError is always over the whole batch: it has no reduction "
                  "option.");
  }

  template <int Order, class P, class T, class W, class G, class H, class U>
  Partial<double> compute(const P& pred, const T& target,
                          const detail::Request<W, G, H, U>& request) const {
    using S = detail::compute_t<typename P::Scalar>;
    using Work = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
    if constexpr (Order >= 2 && !detail::wanted<G>) {
      // The Hessian needs the gradient: compute it into a temporary.
      Work g;
      const detail::Request<W, Work, H, U> with_gradient{request.weights, &g, request.hessian,
                                                         request.terms};
      return compute<Order>(pred, target, with_gradient);
    } else if constexpr (Order >= 1 && !(detail::holds_v<G, S> && detail::holds_v<H, S>)) {
      // A 16-bit output: the chain rule below reads the MSE derivatives back,
      // so they stay in the compute type and are rounded once, at the end.
      Work g, h;
      using HWork = std::conditional_t<detail::wanted<H>, Work, detail::None>;
      HWork* h_work = nullptr;
      if constexpr (detail::wanted<H>) h_work = &h;
      const detail::Request<W, Work, HWork, U> in_compute_type{request.weights, &g, h_work,
                                                               request.terms};
      const Partial<double> result = compute<Order>(pred, target, in_compute_type);
      const auto g_out = detail::output(request.gradient, g.rows(), g.cols(), name, "gradient");
      const auto h_out = detail::output(request.hessian, g.rows(), g.cols(), name, "hessian");
      for (Eigen::Index j = 0; j < g.cols(); ++j)
        for (Eigen::Index i = 0; i < g.rows(); ++i) {
          g_out.set(i, j, g(i, j));
          if constexpr (detail::wanted<H>) h_out.set(i, j, h(i, j));
        }
      return result;
    } else {
      // The mean of squares and its derivatives first, then the chain rule
      // through the square root:  g = g_mse / (2r),  h = h_mse / (2r) − g² / r.
      const Partial<double> mse = detail::run_elementwise<Order>(Squares{}, pred, target, request);
      const double r = std::sqrt(mse.value());
      if constexpr (Order >= 1) {
        G& g = *request.gradient;
        for (Eigen::Index j = 0; j < g.cols(); ++j)
          for (Eigen::Index i = 0; i < g.rows(); ++i) {
            // 0 at the cone's tip r = 0; a NaN r (NaN in pred) propagates.
            const S gr = r == 0 ? S(0) : static_cast<S>(static_cast<S>(g.coeff(i, j)) / S(2 * r));
            g.coeffRef(i, j) = static_cast<typename G::Scalar>(gr);
            if constexpr (Order >= 2 && detail::wanted<H>) {
              H& h = *request.hessian;
              const S hm = static_cast<S>(h.coeff(i, j));
              const S hr = r == 0 ? S(0) : static_cast<S>(hm / S(2 * r) - gr * gr / S(r));
              h.coeffRef(i, j) = static_cast<typename H::Scalar>(hr);
            }
          }
      }
      return Partial<double>{r, 1.0, Reduction::sum};
    }
  }

 private:
  struct Squares : detail::Elementwise<Squares> {
    static constexpr const char* name = "RootMeanSquaredError";
    static constexpr bool vectorized = true;
    template <int Order, class S>
    detail::Derivatives<S> evaluate(const S& p, const S& t) const {
      return MeanSquaredError().evaluate<Order>(p, t);
    }
  };
};

}  // namespace lossfn

LOSSFN_WARNINGS_ON
