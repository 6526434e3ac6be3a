// lossfn benchmarks — CoxProportionalHazards beside the sort that bounds it
// from below.
//
// Cox needs the subjects in order of time: its floor is sorting N
// (time, row) pairs, which any implementation must do (or an equivalent).
//  * baseline/sort-pairs/<type>/vec/<n>: fill N (time, row) pairs from the
//    times and std::sort them, as lossfn does before its two linear sweeps;
//  * lossfn/CoxProportionalHazards/value_gradient_hessian/<type>/vec/<n>:
//    the whole call (checks, sort, gathers, both sweeps, scattered outputs),
//    Reduction::sum, about 30% of the times tied, 60% events.
// The table's ratio is lossfn's time over the sort's at the same n.
#include <lossfn/cox_proportional_hazards.hpp>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

#include "common.hpp"

namespace lossfn_bench {
namespace {

const std::vector<Index>& survival_sizes() {
  static const std::vector<Index> sizes = {Index(1) << 10, Index(1) << 14, Index(1) << 18,
                                           Index(1) << 20};
  return sizes;
}

/// Scores in [-3, 3]; times on a grid of 0.7·N values (ties), events 60%.
template <class S>
struct SurvivalData {
  Vec<S> x;
  Eigen::Matrix<S, Eigen::Dynamic, 2> target;
  explicit SurvivalData(Index n) : x(n), target(n, 2) {
    std::mt19937 rng(20261208);
    std::uniform_real_distribution<double> score(-3, 3), coin(0, 1);
    std::uniform_int_distribution<Index> time(0, std::max<Index>(1, n * 7 / 10));
    for (Index i = 0; i < n; ++i) {
      x(i) = static_cast<S>(score(rng));
      target(i, 0) = static_cast<S>(0.5 * static_cast<double>(time(rng)));
      target(i, 1) = coin(rng) < 0.6 ? S(1) : S(0);
    }
  }
};

template <class S>
const SurvivalData<S>& survival_data(Index n) {
  static std::vector<std::pair<Index, std::unique_ptr<SurvivalData<S>>>> cache;
  for (const auto& [size, data] : cache)
    if (size == n) return *data;
  cache.emplace_back(n, std::make_unique<SurvivalData<S>>(n));
  return *cache.back().second;
}

template <class S>
void register_survival_for() {
  for (const Index n : survival_sizes()) {
    benchmark::RegisterBenchmark(
        name("baseline", "sort-pairs", "sort", type_name<S>(), "vec", size_name(n)).c_str(),
        [n](benchmark::State& state) {
          const SurvivalData<S>& d = survival_data<S>(n);
          std::vector<std::pair<S, Index>> pairs(static_cast<size_t>(n));
          for (auto _ : state) {
            for (Index i = 0; i < n; ++i) pairs[size_t(i)] = {d.target(i, 0), i};
            std::sort(pairs.begin(), pairs.end());
            benchmark::DoNotOptimize(pairs.data());
            benchmark::ClobberMemory();
          }
          set_rate(state, n, sizeof(S) + sizeof(Index));
        });
    benchmark::RegisterBenchmark(
        name("lossfn", "CoxProportionalHazards", "value_gradient_hessian", type_name<S>(), "vec",
             size_name(n))
            .c_str(),
        [n](benchmark::State& state) {
          const SurvivalData<S>& d = survival_data<S>(n);
          const auto cox = lossfn::CoxProportionalHazards().reduction(lossfn::Reduction::sum);
          Vec<S>& g = output<S>(0, n);
          Vec<S>& h = output<S>(1, n);
          for (auto _ : state) {
            S v = cox.value_gradient_hessian(d.x, d.target, lossfn::out(g), lossfn::out(h));
            benchmark::DoNotOptimize(v);
            benchmark::ClobberMemory();
          }
          set_rate(state, n, 4 * sizeof(S));
        });
  }
}

}  // namespace

void register_survival() {
  register_survival_for<double>();
  register_survival_for<float>();
}

}  // namespace lossfn_bench
