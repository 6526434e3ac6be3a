// lossfn — the reduction: fixed-size blocks, combined in a fixed order, on
// one thread or many.
//
// Every driver cuts its work into blocks that depend only on the input's
// shape (block_size coefficients of an element-wise loss; a fixed number of
// rows of a row-wise one). Each block's terms are summed in double; the block
// sums are combined pairwise, in block order, by PairwiseSum. Which thread
// computed a block changes nothing: the same input gives the same bits on 1,
// 2 or 3 threads, run after run.
//
// Accuracy: a block sums at most 2048 terms in double (the SIMD kernel first
// adds float terms sixteen to a lane in float, four chains of four joined by
// a tree of depth 2: a relative error of at most 5 ulp of float on those
// partial sums of non-negative terms, random in sign), and pairwise
// combination adds O(log2(blocks)) roundings in double: a float value over
// 16M terms stays within 1e-7 relative of the long-double sum of its terms
// (driver_reduction_test checks it), where a naive float accumulator is off
// by about 1e-2.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>

#include "config.hpp"

#if defined(_OPENMP) && !defined(LOSSFN_NO_OPENMP) && !defined(LOSSFN_OPENMP)
#define LOSSFN_OPENMP
#endif
#ifdef LOSSFN_OPENMP
#include <omp.h>

#include <exception>
#endif

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

/// Coefficients per block of an element-wise loss (and the target size of a
/// row-wise loss's blocks of rows). Part of the result's definition: changing
/// it changes the last bits of large sums.
constexpr Eigen::Index block_size = 2048;

/// Inputs with fewer coefficients never start threads: below this, starting
/// them costs more than they save.
constexpr Eigen::Index parallel_threshold = Eigen::Index(1) << 20;

/// Sums a sequence of numbers pairwise, as a binary counter: the k-th number
/// joins a perfect binary tree over the sequence. No allocation; the result
/// depends only on the sequence.
class PairwiseSum {
  double stack_[64];  // partial sums of 2^k numbers, larger k deeper
  int depth_ = 0;
  std::uint64_t count_ = 0;

 public:
  void add(double v) {
    stack_[depth_++] = v;
    for (std::uint64_t c = ++count_; (c & 1) == 0; c >>= 1) {
      stack_[depth_ - 2] += stack_[depth_ - 1];
      --depth_;
    }
  }
  double sum() const {
    double total = 0;
    for (int i = depth_ - 1; i >= 0; --i) total += stack_[i];
    return total;
  }
};

/// Whether work over this many coefficients runs on several threads.
inline bool use_threads([[maybe_unused]] Eigen::Index coefficients) {
#ifdef LOSSFN_OPENMP
  return coefficients >= parallel_threshold && omp_get_max_threads() > 1 && !omp_in_parallel();
#else
  return false;
#endif
}

/// Σ block(b) for b in [0, blocks), each block's sum a double, combined by
/// PairwiseSum in block order. Blocks run in rounds; with OpenMP and at least
/// parallel_threshold coefficients, a round's blocks run on all threads.
/// block(b) must write only its own outputs.
template <class Block>
double sum_blocks(Eigen::Index blocks, Eigen::Index coefficients, const Block& block) {
  // One block (every input of at most block_size coefficients): its sum as
  // PairwiseSum would give it (0 + sum), without the rounds' array and the
  // counter — a fifth of a 16-float call's instructions.
  if (blocks == 1) return 0.0 + block(0);
  constexpr Eigen::Index round = 256;
  double sums[round];
  PairwiseSum total;
  [[maybe_unused]] const bool threads = use_threads(coefficients);
  for (Eigen::Index first = 0; first < blocks; first += round) {
    const Eigen::Index n = std::min(round, blocks - first);
#ifdef LOSSFN_OPENMP
    if (threads) {
#ifndef LOSSFN_NO_EXCEPTIONS
      // An exception may not leave a parallel region: the one of the first
      // failing block (a loss that validates as it goes, such as
      // CategoricalCrossEntropy's probabilities) is rethrown after it.
      std::exception_ptr error;
      Eigen::Index error_block = n;
#pragma omp parallel for schedule(static)
      for (Eigen::Index b = 0; b < n; ++b) {
        try {
          sums[b] = block(first + b);
        } catch (...) {
#pragma omp critical(lossfn_sum_blocks)
          if (b < error_block) {
            error_block = b;
            error = std::current_exception();
          }
        }
      }
      if (error) std::rethrow_exception(error);
#else
#pragma omp parallel for schedule(static)
      for (Eigen::Index b = 0; b < n; ++b) sums[b] = block(first + b);
#endif
    } else {
      for (Eigen::Index b = 0; b < n; ++b) sums[b] = block(first + b);
    }
#else
    for (Eigen::Index b = 0; b < n; ++b) sums[b] = block(first + b);
#endif
    for (Eigen::Index b = 0; b < n; ++b) total.add(sums[b]);
  }
  return total.sum();
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
