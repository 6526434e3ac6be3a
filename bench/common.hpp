// lossfn benchmarks — inputs, output buffers, names and counters shared by
// every translation unit of lossfn_bench.
//
// Inputs are generated once per (kind, type, size), deterministically (fixed
// seeds; float inputs are the double inputs rounded), and cached for the whole
// process, so a benchmark's timed loop never generates data and interleaved
// repetitions reuse the same pages. Output buffers are cached and pre-touched
// too: the timed loop of a benchmark that writes into caller storage never
// pays a page fault.
#pragma once

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

namespace lossfn_bench {

using Index = Eigen::Index;
template <class S>
using Vec = Eigen::Array<S, Eigen::Dynamic, 1>;
template <class S, int Options>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Options>;
using Labels = Eigen::VectorXi;

struct Shape {
  Index rows, cols;
  Index size() const { return rows * cols; }
};

/// n = 1K, 64K, 1M, 16M elements (element-wise losses).
const std::vector<Index>& elementwise_sizes();
/// N x C = 1024 x 10, 65536 x 10, 4096 x 1000 (row-wise losses).
const std::vector<Shape>& rowwise_shapes();
/// Every element count a floor is measured at: the element-wise sizes and N·C.
std::vector<Index> floor_sizes();

/// What an element-wise loss is fed.
enum class Kind {
  regression,          // pred ~ N(0, 1), target ~ N(0, 1)
  logit_binary,        // logits ~ N(0, 2²), labels uniform in {0, 1}
  probability_binary,  // σ(logits ~ N(0, 2²)), labels uniform in {0, 1}
  log_probability,     // pred = log u, target = u' (u, u' uniform in (0, 1]) — KL divergence
  counts,              // log-rate ~ N(0, 1), target ~ Poisson(e^log-rate)
  amounts,             // log-mean ~ N(0, 1), target = e^log-mean · Gamma(2, 1/2) + 1e-3 (> 0)
  magnitudes,          // pred and target e^{N(0, 1)} − 1 (> −1: squared log error)
};

template <class S>
struct Pair {
  Vec<S> pred, target;
};
template <class S>
const Pair<S>& elementwise_inputs(Kind kind, Index n);
/// A pre-touched buffer of n coefficients; slot 0 takes gradients, slot 1 Hessians.
template <class S>
Vec<S>& output(int slot, Index n);

/// What a row-wise loss is fed (the same N x C values in either storage order).
enum class RowKind {
  logits,             // ~ N(0, 2²)
  log_probabilities,  // log_softmax of the logits (NegativeLogLikelihood)
  probabilities,      // softmax of the logits (CategoricalCrossEntropy)
};
template <class S, int Options>
const Mat<S, Options>& rowwise_inputs(RowKind kind, Shape shape);
template <class S, int Options>
Mat<S, Options>& rowwise_output(int slot, Shape shape);
/// N class indices, uniform in [0, C).
const Labels& labels(Shape shape);

template <class S>
constexpr const char* type_name() {
  return sizeof(S) == 4 ? "f32" : "f64";
}
template <int Options>
constexpr const char* layout_name() {
  return Options == Eigen::RowMajor ? "row" : "col";
}
/// The name every benchmark follows, which bench/report.py parses:
///   <implementation>/<loss or probe>/<entry>/<type>/<layout>/<size>
/// with layout "vec" for element-wise inputs and size "n" or "NxC".
std::string name(const std::string& implementation, const std::string& loss,
                 const std::string& entry, const char* type, const char* layout,
                 const std::string& size);
std::string size_name(Index n);
std::string size_name(Shape shape);

/// Counters: ns_per_elem (the tables' unit), items/s and bytes/s, for
/// `elements` elements per iteration touching `bytes_per_element` bytes each.
void set_rate(benchmark::State& state, Index elements, double bytes_per_element);

/// Baselines check, outside the timed loop, that they compute the value
/// lossfn computes; a mismatch marks the benchmark as failed and makes the
/// process exit non-zero (so the ctest smoke test catches a wrong baseline).
template <class S>
void check_value(benchmark::State& state, S got, S want);
int mismatches();

// Registration, one function per translation unit (called from main).
void register_floors();
void register_eigen_baselines();
void register_elementwise_float();
void register_elementwise_double();
void register_rowwise_float();
void register_rowwise_double();
void register_survival();
#ifdef LOSSFN_BENCH_TORCH
void torch_init();
void register_torch();
#endif

}  // namespace lossfn_bench
