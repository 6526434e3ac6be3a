// Builds each input of a test in several storage layouts, so that every
// check runs over column-major, row-major, strided Map, transposed and
// expression inputs.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "reference.hpp"

namespace layouts {

template <class S>
using ColMajor = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
template <class S>
using RowMajor = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using StridedMap = Eigen::Map<const ColMajor<S>, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;

template <class S>
ColMajor<S> to_matrix(const reference::Matrix& m) {
  ColMajor<S> out(m.rows, m.cols);
  for (long i = 0; i < m.rows; ++i)
    for (long j = 0; j < m.cols; ++j) out(i, j) = static_cast<S>(m(i, j));
  return out;
}

/// A matrix's values in a buffer with inner stride 2 and a padded outer
/// stride, the gaps holding NaN so that a read of a wrong element shows.
template <class S>
struct Strided {
  std::vector<S> buffer;
  Eigen::Index rows, cols, inner = 2, outer;
  explicit Strided(const ColMajor<S>& m) : rows(m.rows()), cols(m.cols()) {
    outer = 2 * rows + 3;
    S fill = std::numeric_limits<S>::has_quiet_NaN ? std::numeric_limits<S>::quiet_NaN() : S(-7777);
    buffer.assign(static_cast<size_t>(outer * (cols + 1) + 4), fill);
    for (Eigen::Index j = 0; j < cols; ++j)
      for (Eigen::Index i = 0; i < rows; ++i)
        buffer[static_cast<size_t>(j * outer + i * inner)] = m(i, j);
  }
  StridedMap<S> map() const {
    return StridedMap<S>(buffer.data(), rows, cols,
                         Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(outer, inner));
  }
};

inline const std::vector<std::string>& names() {
  static const std::vector<std::string> n = {"column-major", "row-major",
                                             "strided Map",  "transposed column-major",
                                             "expression",   "mixed orders"};
  return n;
}

/// Calls f(pred, target) with both inputs in the named layout. S is pred's
/// scalar, T the target's (an integer type for class indices).
template <class S, class T, class F>
void with_layout(const std::string& layout, const reference::Matrix& pred_ref,
                 const reference::Matrix& target_ref, F&& f) {
  const ColMajor<S> p = to_matrix<S>(pred_ref);
  const ColMajor<T> t = to_matrix<T>(target_ref);
  if (layout == "column-major") {
    f(p, t);
  } else if (layout == "row-major") {
    const RowMajor<S> pr = p;
    // Class indices as 64-bit integers here: any integer type must do.
    using Wide = std::conditional_t<std::is_integral_v<T>, std::int64_t, T>;
    const RowMajor<Wide> tr = t.template cast<Wide>();
    f(pr, tr);
  } else if (layout == "strided Map") {
    const Strided<S> ps(p);
    const Strided<T> ts(t);
    f(ps.map(), ts.map());
  } else if (layout == "transposed column-major") {
    const ColMajor<S> pt = p.transpose();
    const ColMajor<T> tt = t.transpose();
    f(pt.transpose(), tt.transpose());
  } else if (layout == "expression") {
    const ColMajor<S> zero = ColMajor<S>::Zero(p.rows(), p.cols());
    f(p + zero, t);  // evaluated lazily, coefficient by coefficient
  } else if (layout == "mixed orders") {
    const RowMajor<S> pr = p;
    f(pr, t);
  }
}

}  // namespace layouts
