// lossfn — the driver of row-wise losses: one term per row (sample) of an N x C pred.
//
// A loss supplies `row(r)`: given one row's view (its C predictions, its
// label or probability row, and writers for its gradient and Hessian rows),
// it returns the row's term and writes its derivatives. This driver owns the
// rest: shapes, label validation, ignore_index, class and sample weights, the
// reduction's denominator, traversal and the outputs.
#pragma once

#include <algorithm>
#include <limits>
#include <string>

#include "elementwise.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

/// One row of a row-wise loss, as the loss sees it.
template <int Order, class S, class PIn, class TIn, class G, class H>
class RowView {
 public:
  static constexpr int order = Order;
  static constexpr bool probabilities = !std::is_integral_v<typename TIn::Scalar>;
  using Scalar = S;

  RowView(const PIn& pred, const TIn& target, Index i, Index label, S scale, Output<G> g,
          Output<H> h, const S* data, S* gradient_data)
      : pred_(pred),
        target_(target),
        i_(i),
        label_(label),
        scale_(scale),
        g_(g),
        h_(h),
        data_(data),
        gradient_data_(gradient_data) {}

  Index cols() const { return pred_.cols(); }
  /// The row's index in pred (for error messages).
  Index index() const { return i_; }
  /// The prediction of class c.
  S x(Index c) const { return static_cast<S>(pred_(i_, c)); }
  /// The row's C predictions as one contiguous run (x(c) is data()[c]), or
  /// nullptr: for SIMD along the row (detail/softmax.hpp).
  const S* data() const { return data_; }
  /// The class index (class-index targets).
  Index label() const { return label_; }
  /// The target probability of class c (probability targets).
  S target(Index c) const { return static_cast<S>(target_(i_, c)); }
  /// Writes d term / d x_c (scaled by the driver for weights and reduction).
  void gradient(Index c, S v) const {
    if (gradient_data_)
      gradient_data_[c] = scale_ * v;
    else
      g_.set(i_, c, scale_ * v);
  }
  /// The gradient row as one contiguous writable run of C values, or nullptr:
  /// a loss may write it directly (for SIMD), multiplied by scale() itself.
  S* gradient_data() const { return gradient_data_; }
  /// What gradient() multiplies by: the sample's weight over the mean's denominator.
  S scale() const { return scale_; }
  /// Writes d² term / d x_c².
  void hessian(Index c, S v) const { h_.set(i_, c, scale_ * v); }

 private:
  const PIn& pred_;
  const TIn& target_;
  Index i_, label_;
  S scale_;
  Output<G> g_;
  Output<H> h_;
  const S* data_;
  S* gradient_data_;
};

/// W consecutive rows of a row-wise loss at once, one per SIMD lane, as a
/// loss's `lanes(view)` sees them: column c of the W rows is one V, x(c), in
/// pred, in the gradient and in the Hessian. V is one packet (W =
/// Vec<S>::size) or a panel of several (Wide, W = 128 floats or 64 doubles
/// on AVX-512) for wide rows of a column-major pred. The driver fills labels
/// (class indices as S, exact: the driver takes lanes only for C < 2^24 in
/// float), scales and the active lanes (a lane past the last row, or whose
/// row is ignored, is inactive: scale 0, label 0; the driver zeroes its
/// derivatives and term afterwards, whatever the loss wrote there), and reads
/// back term[] — the unweighted terms, as row() returns them. A loss finds
/// its label's column by comparing y() with each column index: selects on
/// the lanes, no gathers or scatters.
template <int Order, class S, class Lanes = Vec<S>>
struct LaneView {
  static constexpr int order = Order;
  static constexpr Index width = Lanes::size;
  static constexpr bool panel = width > Vec<S>::size;
  using Scalar = S;
  using V = Lanes;

  const S* x_data;
  Index x_stride;
  S* g_data;  // order ≥ 1: the gradient columns (or a scratch tile)
  Index g_stride;
  S* h_data;  // order 2
  Index h_stride;
  S* e_data;  // order ≥ 1, one packet of rows: a softmax's exponentials
  Index e_stride;
  Index cols;
  // (Aligned: a packet load of a packet just stored is forwarded from the
  // store only when it does not straddle two cache lines.)
  alignas(64) S label[width];
  alignas(64) S scale[width];
  alignas(64) S term[width];
  bool active[width];
  bool all_active;  // every lane is active

  /// The lanes' class indices.
  V y() const { return V::load(label); }
  /// Each lane's logit of its label, x_y. On one packet of rows: a select
  /// per column, the matches merged by bitwise or (x | +0 is x, bit for
  /// bit) in four independent chains — not one select after another, whose
  /// blends with a load folded in would cost a load's latency per column.
  /// On a panel (wide rows): a load per lane, not a pass over every column.
  V x_label() const {
    if constexpr (panel) {
      alignas(64) S v[width];
      for (Index k = 0; k < width; ++k) v[k] = x_data[static_cast<Index>(label[k]) * x_stride + k];
      return V::load(v);
    } else {
      const V labels = y(), zero(0);
      auto at = [&](Index c) { return select(labels == V(static_cast<S>(c)), x(c), zero); };
      V p0 = zero, p1 = zero, p2 = zero,
        p3 = zero;  // (named: an array indexed by c & 3 stayed in memory)
      Index c = 0;
      for (; c + 4 <= cols; c += 4) {
        p0 = bit_or(p0, at(c));
        p1 = bit_or(p1, at(c + 1));
        p2 = bit_or(p2, at(c + 2));
        p3 = bit_or(p3, at(c + 3));
      }
      for (; c < cols; ++c) p0 = bit_or(p0, at(c));
      return bit_or(bit_or(p0, p1), bit_or(p2, p3));
    }
  }
  /// Sets (add = false) or adds v to each lane's entry of its label's
  /// column in the gradient (or with hessian = true the Hessian): a pass of
  /// selects over the columns of one packet of rows, a store per lane on a
  /// panel.
  void at_label(const V& v, bool add, bool hessian = false) const {
    S* data = hessian ? h_data : g_data;
    const Index stride = hessian ? h_stride : g_stride;
    if constexpr (panel) {
      alignas(64) S u[width];
      v.store(u);
      for (Index k = 0; k < width; ++k) {
        S& e = data[static_cast<Index>(label[k]) * stride + k];
        e = add ? S(e + u[k]) : u[k];
      }
    } else {
      const V labels = y();
      for (Index c = 0; c < cols; ++c) {
        const V e = V::load(data + c * stride);
        select(labels == V(static_cast<S>(c)), add ? V(e + v) : v, e).store(data + c * stride);
      }
    }
  }
  V x(Index c) const {
    ahead(x_data, x_stride, c);
    return V::load(x_data + c * x_stride);
  }
  S x(Index c, Index lane) const { return x_data[c * x_stride + lane]; }
  V gradient(Index c) const {
    ahead(g_data, g_stride, c);
    return V::load(g_data + c * g_stride);
  }
  void gradient(Index c, const V& v) const {
    ahead(g_data, g_stride, c);
    v.store(g_data + c * g_stride);
  }
  S& gradient(Index c, Index lane) const { return g_data[c * g_stride + lane]; }
  V hessian(Index c) const { return V::load(h_data + c * h_stride); }
  void hessian(Index c, const V& v) const { v.store(h_data + c * h_stride); }
  S& hessian(Index c, Index lane) const { return h_data[c * h_stride + lane]; }
  /// A softmax's exponentials of column c, kept between its two passes.
  V e(Index c) const { return V::load(e_data + c * e_stride); }
  void e(Index c, const V& v) const { v.store(e_data + c * e_stride); }

  /// A panel's pass over its columns asks for the lines of the column
  /// prefetch_columns ahead of the one it reads or writes (the last column's
  /// near the end). Its columns lie N entries apart; at 4 KB-multiple strides
  /// (N = 4096 rows) they fall in a few cache sets, a column's lines are
  /// evicted between passes, and no hardware prefetcher follows a stride of
  /// whole pages: each pass would wait on every line. Four columns ahead
  /// covers a column's latency from memory at a few cycles per logit.
  static constexpr Index prefetch_columns = 4;
  void ahead(const S* data, Index stride, Index c) const {
    if constexpr (panel) {
      const S* p = data + std::min(c + prefetch_columns, cols - 1) * stride;
      for (Index k = 0; k < width; k += 64 / static_cast<Index>(sizeof(S))) pk::prefetch(p + k);
    }
  }
};

template <class T>
long long label_value(const T& v) {
  return static_cast<long long>(v);
}
/// Whether a class index survives label_value (an unsigned 64-bit label above
/// LLONG_MAX would wrap to a negative number, maybe the ignore_index).
template <class T>
bool label_fits(const T& v) {
  if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(long long))
    return v <= static_cast<T>(std::numeric_limits<long long>::max());
  else
    return true;
}

/// Copies rows [first, first + n) of x into a row-major tile, reading x in
/// its own storage order.
template <class X, class S>
void copy_rows_in(const Input<X>& x, Index first, Index n, Index cols, S* tile) {
  if constexpr (Input<X>::row_major) {
    for (Index r = 0; r < n; ++r)
      for (Index c = 0; c < cols; ++c) tile[r * cols + c] = static_cast<S>(x(first + r, c));
  } else {
    for (Index c = 0; c < cols; ++c)
      for (Index r = 0; r < n; ++r) tile[r * cols + c] = static_cast<S>(x(first + r, c));
  }
}
/// Writes a row-major tile to rows [first, first + n) of an output, in the
/// output's storage order.
template <class G, class S>
void copy_rows_out(const S* tile, Index first, Index n, Index cols, const Output<G>& out) {
  if constexpr (!wanted<G>) {
    return;
  } else if constexpr ((G::Flags & Eigen::RowMajorBit) != 0) {
    for (Index r = 0; r < n; ++r)
      for (Index c = 0; c < cols; ++c) out.set(first + r, c, tile[r * cols + c]);
  } else {
    for (Index c = 0; c < cols; ++c)
      for (Index r = 0; r < n; ++r) out.set(first + r, c, tile[r * cols + c]);
  }
}

/// The rows of a panel, for rows of more than 64 classes in a column-major
/// pred: at most 8 packets (128 floats or 64 doubles on AVX-512, 32 and 16
/// with SSE2); a loss sets its own number (Loss::panel_packets: 8, 4 or 2),
/// as many as its running values per lane fit in registers.
constexpr int panel_packets = 8;
template <class S>
constexpr Index panel_rows = panel_packets* Vec<S>::size;
/// The rows of a reduction block of rows of more than 64 classes: whole panels.
constexpr Index wide_block_rows = 128;
static_assert(wide_block_rows % panel_rows<float> == 0 && wide_block_rows % panel_rows<double> == 0,
              "lossfn: a block of wide rows must hold whole panels");

/// The running sums of a block of rows, W of them (W = Vec<S>::size, the
/// lanes of a LaneView): the i-th row of the block adds its term to sum
/// i mod W, and the block's value is the W sums added in order. W rows on
/// SIMD lanes add their terms with one packet addition (two for float,
/// widened to double), and rows taken one by one add to the same sums in the
/// same order, so the value depends only on the terms, whichever path each
/// row takes — and a lane's sum is never −0, so adding a +0 term changes no
/// bit.
template <class S>
struct RowSums {
  static constexpr Index width = Vec<S>::size;
  alignas(64) double lane[width] = {};
  Index first;  // the block's first row

  explicit RowSums(Index block_first) : first(block_first) {}
  /// Adds the term of row i.
  void add(Index i, double term) { lane[(i - first) % width] += term; }
  /// Adds the terms of K·W rows, the first at a multiple of W in the block.
  template <int K>
  void add(const Wide<S, K>& terms) {
    for (int k = 0; k < K; ++k) add(terms.v[k]);
  }
  void add(const Vec<S>& terms) {
    LaneSums<S> sums;
    sums.load(lane);
    sums.add(terms);
    sums.store(lane);
  }
  double total() const {
    double sum = 0;
    for (Index k = 0; k < width; ++k) sum += lane[k];
    return sum;
  }
};

/// W = Vec<S>::size rows of `cols` ≤ lane_max_cols entries, rows[k * cols
/// + c], to a column-major tile[c * W + k], W columns at a time: W packet
/// loads (row k's packet reads W entries from column j, on into the next
/// rows past its last column: the caller makes sure they exist), one
/// transpose in registers, a store per column.
template <class S>
LOSSFN_FLATTEN void rows_to_columns(const S* rows, Index cols, S* tile) {
  using P = typename Vec<S>::Packet;
  constexpr int W = Vec<S>::size;
  auto columns = [&](Index j) {
    P r[W];
    for_each_index<W>([&](auto k) { r[k] = pk::ploadu<P>(rows + k * cols + j); });
    transpose<S>(r);
    for_each_index<W>([&](auto c) {
      if (j + c < cols) pk::pstoreu(tile + (j + c) * W, r[c]);
    });
  };
  if (cols <= W)  // (the common case on its own: one group, no loop to run)
    columns(0);
  else
    for (Index j = 0; j < cols; j += W) columns(j);
}
/// The reverse, into the W rows' W·cols entries and nothing beyond them,
/// W columns at a time: a row's W entries are stored whole; of a partial
/// group (the last), each row's first entries alone (store_first) — but for
/// rows of fewer than W entries, a row whose packet fits before the last
/// row's end is stored whole, its last lanes landing on the next rows' first
/// entries, which their own stores then overwrite (in order).
template <class S>
LOSSFN_FLATTEN void columns_to_rows(const S* tile, Index cols, S* rows) {
  using P = typename Vec<S>::Packet;
  constexpr int W = Vec<S>::size;
  auto columns = [&](Index j) {
    P r[W];
    for_each_index<W>([&](auto c) {
      r[c] = j + c < cols ? pk::ploadu<P>(tile + (j + c) * W) : pk::pset1<P>(S(0));
    });
    transpose<S>(r);
    const Index n = std::min<Index>(W, cols - j);
    for_each_index<W>([&](auto k) {
      if (n == W || (j == 0 && k * cols + W <= W * cols))
        pk::pstoreu(rows + k * cols + j, r[k]);
      else
        store_first<S>(rows + k * cols + j, r[k], n);
    });
  };
  if (cols <= W)
    columns(0);
  else
    for (Index j = 0; j < cols; j += W) columns(j);
}

/// A type as a value (the view type a lambda is called for).
template <class T>
struct TypeTag {
  using type = T;
};

/// Whether a loss computes W rows at once, one per SIMD lane (`lanes(view)`).
template <class Loss>
constexpr bool lanes_loss = Loss::has_lanes;

/// Whether a loss has the option ignore_index (set or not).
template <class Loss, class = void>
struct has_ignore_index_option : std::false_type {};
template <class Loss>
struct has_ignore_index_option<Loss, std::void_t<decltype(std::declval<Loss&>().ignore_index(0LL))>>
    : std::true_type {};

/// The target's shape: N x 1 class indices (integers) or, for a loss that
/// accepts them, probabilities of pred's shape (floating-point). A target of
/// the other shape than its number type asks for is named by its number type,
/// the usual cause (labels read as floats, or a one-hot matrix of integers).
template <class Loss, class TIn>
void check_target_shape(const TIn& target, Index rows, Index cols) {
  constexpr bool indices = std::is_integral_v<typename TIn::Scalar>;
  const char* name = Loss::name;
  const std::string shape = shape_text(target.rows(), target.cols());
  if constexpr (indices) {
    if (target.rows() == rows && target.cols() == 1) return;
    if (Loss::accepts_probabilities && cols > 1 && target.rows() == rows && target.cols() == cols)
      fail(std::string(name) + ": target is a " + shape +
           " matrix of integers: probabilities must be floating-point (use y.cast<float>()); "
           "class indices are " +
           shape_text(rows, 1));
    fail_shape(name, "target", target.rows(), target.cols(),
               shape_text(rows, 1) + " (one class index per row of pred)");
  } else {
    if (target.rows() == rows && target.cols() == cols) return;
    if (cols > 1 && target.rows() == rows && target.cols() == 1)
      fail(std::string(name) + ": target is a " + shape +
           " column of floating-point values: class indices must be integers (use "
           "y.cast<int>()); probabilities have pred's shape " +
           shape_text(rows, cols));
    fail_shape(name, "target", target.rows(), target.cols(),
               shape_text(rows, cols) + " (probabilities of pred's shape)");
  }
}

/// A class index outside [0, C); a negative one, on a loss whose ignore_index
/// is not set, most often marks padding: the message says how to skip it.
template <class Loss, class L>
[[noreturn]] void fail_label(const Loss& loss, Index i, const L& raw, Index cols) {
  std::string requirement = "is outside [0, " + std::to_string(cols) + ")";
  const long long y = label_value(raw);
  if constexpr (has_ignore_index_option<Loss>::value) {
    if (y < 0 && !loss.has_ignore_index())
      requirement += " (to skip rows labelled " + std::to_string(y) + ", set ignore_index(" +
                     std::to_string(y) + "))";
  }
  fail_value(Loss::name, position("target", i), raw, requirement);
}

/// Runs a row-wise loss. Returns the reduction's sum and denominator.
template <int Order, class Loss, class P, class T, class W, class G, class H, class U>
Partial<double> run_rowwise(const Loss& loss, const P& pred_expr, const T& target_expr,
                            const Request<W, G, H, U>& request) {
  using S = compute_t<typename P::Scalar>;
  constexpr bool indices = std::is_integral_v<typename T::Scalar>;
  const char* name = Loss::name;
  Input<P> pred(pred_expr);
  Input<T> target(target_expr);
  const Index rows = pred.rows(), cols = pred.cols();
  static_assert(indices || Loss::accepts_probabilities,
                "lossfn: this loss takes class indices, which must be integers: pass an "
                "integer vector (e.g. Eigen::VectorXi, or y.cast<int>()) with one class per "
                "row of pred.");
  check_target_shape<Loss>(target, rows, cols);
  loss.check_shape(rows, cols);
  const SampleWeights<W> weights(request.weights, rows, cols, true, name);
  check_outputs(request, rows, cols, name);
  check_aliasing(request, pred_expr, target_expr, name);

  // Pass 1: validate every label and total the mean's denominator, so that
  // pass 2 can write each gradient row already scaled, in one pass.
  double denominator = 0;
  // Without sample or class weights and ignore_index, every share is 1: the
  // labels are validated in one loop without branches (SIMD), and the
  // denominator is N; the loop below then runs only to report a bad label.
  bool tallied = false;
  if constexpr (!has_weights<W>) {
    if (!loss.has_ignore_index() && !loss.has_class_weights()) {
      bool valid = true;
      if constexpr (indices) {
        if (rows > 0) {  // the smallest and largest labels (min/max: SIMD)
          using L = std::decay_t<decltype(target(0, 0))>;
          L lo = target(0, 0), hi = lo;
          for (Index i = 1; i < rows; ++i) {
            const L y = target(i, 0);
            lo = y < lo ? y : lo;
            hi = y > hi ? y : hi;
          }
          valid = label_fits(hi) && label_value(lo) >= 0 &&
                  label_value(hi) < static_cast<long long>(cols);
        }
      }
      tallied = valid;
      if (valid) denominator = static_cast<double>(rows);
    }
  }
  for (Index i = 0; i < rows && !tallied; ++i) {
    double share = 1;
    if constexpr (indices) {
      const auto raw = target(i, 0);
      const long long y = label_value(raw);
      if (!label_fits(raw)) {  // beyond long long: never a class, never ignore_index
        fail_value(name, position("target", i), raw,
                   "is outside [0, " + std::to_string(cols) + ")");
      } else if (loss.ignored(y)) {
        share = 0;
      } else if (y < 0 || y >= static_cast<long long>(cols)) {
        fail_label(loss, i, raw, cols);
      } else {
        share = loss.class_weight_of(y);
      }
    }
    denominator += weights.template operator()<double>(i, 0) * share;
  }
  // Values a loss checks itself (CategoricalCrossEntropy's probabilities):
  // all of them before the first write, so that a rejected call leaves every
  // output as it was.
  for (Index i = 0; i < rows; ++i) loss.check_row(pred, target, i);
  const bool mean = loss.reduction() == Reduction::mean;
  const bool empty = mean && denominator == 0;
  const double scale = (mean && !empty) ? 1.0 / denominator : 1.0;

  const Output<G> gradient = output(request.gradient, rows, cols, name, "gradient");
  const Output<H> hessian = output(request.hessian, rows, cols, name, "hessian");
  Output<U> terms{request.terms};
  if constexpr (wanted<U>) request.terms->resize(rows, 1);

  // Rows that are contiguous runs of S (row-major storage) are offered to
  // the loss for SIMD along the row, and so is the gradient's row when it is
  // one. A loss that reads such runs gets them in any layout: a column-major,
  // strided, transposed or 16-bit pred is copied a block of rows at a time
  // into a row-major tile on the stack, and the gradient rows are written to
  // a second tile and copied out in the output's order — no heap, the same
  // arithmetic in every layout. Rows longer than a tile (4096 floats, 2048
  // doubles) are read in place.
  const S* row_data = nullptr;
  if constexpr (std::is_same_v<typename P::Scalar, S>) row_data = pred.linear(true);
  S* gradient_data = nullptr;
  if constexpr (wanted<G>)
    if constexpr (std::is_same_v<typename G::Scalar, S>) gradient_data = gradient.linear(true);
  constexpr Index tile_capacity = 16384 / static_cast<Index>(sizeof(S));
  const bool tile_pred =
      Loss::reads_row_runs && has_packet<S> && !row_data && cols > 1 && cols <= tile_capacity;
  // (Also when only the Hessian is asked for: the loss then takes the same
  // path, so its Hessian has the same bits either way; the tile is dropped.)
  const bool tile_gradient = Order >= 1 && Loss::reads_row_runs && has_packet<S> &&
                             !gradient_data && cols > 1 && cols <= tile_capacity;

  // Pass 2: each row's term and derivatives, in blocks of rows (reduce.hpp:
  // the sum is the same for any thread count).
  // (LOSSFN_FLATTEN here and on the lanes below: the loss's row()/lanes()
  // and all they call are inlined, whatever the compiler's inlining budget.)
  auto visit = [&](Index i, const S* x, S* g) LOSSFN_FLATTEN -> double {
    Index y = 0;
    bool skip = false;
    if constexpr (indices) {
      const long long label = label_value(target(i, 0));
      skip = loss.ignored(label);
      y = static_cast<Index>(label);
    }
    const S w = weights.template operator()<S>(i, 0);
    if (skip || empty) {
      // Ignored rows contribute nothing; a mean over nothing has zero gradient.
      for (Index c = 0; c < cols; ++c) {
        if (g)
          g[c] = S(0);
        else
          gradient.set(i, c, S(0));
        hessian.set(i, c, S(0));
      }
      if (skip) {
        terms.set(i, 0, S(0));
        return 0.0;
      }
    }
    const S row_scale = empty ? S(0) : S(static_cast<S>(scale) * w);
    RowView<Order, S, Input<P>, Input<T>, G, H> view(pred, target, i, y, row_scale, gradient,
                                                     hessian, x, g);
    const S term = loss.row(view);
    const S weighted = has_weights<W> ? S(w * term) : term;
    terms.set(i, 0, weighted);
    return static_cast<double>(weighted);
  };
  // Rows [first, last) one by one, through the row tiles when they apply;
  // their terms are added to s in row order (every path adds each row's term
  // to its block's running sum in row order, so the value depends only on
  // the terms).
  using SP = std::conditional_t<has_packet<S>, S, float>;
  using Sums = RowSums<SP>;
  auto rows_range = [&](Index first, Index last, Sums& s) {
    if (!tile_pred && !tile_gradient) {
      for (Index i = first; i < last; ++i)
        s.add(i, visit(i, row_data ? row_data + i * cols : nullptr,
                       gradient_data ? gradient_data + i * cols : nullptr));
      return;
    }
    alignas(64) S x_tile[tile_capacity];
    alignas(64) S g_tile[tile_capacity];
    // A tile holds whole rows: as many as fit, at most the block's.
    const Index tile_rows = std::max<Index>(1, std::min(last - first, tile_capacity / cols));
    for (Index t = first; t < last; t += tile_rows) {
      const Index n = std::min(tile_rows, last - t);
      if (tile_pred) copy_rows_in(pred, t, n, cols, x_tile);
      for (Index i = t; i < t + n; ++i) {
        const Index k = (i - t) * cols;
        s.add(i, visit(i,
                       tile_pred  ? x_tile + k
                       : row_data ? row_data + i * cols
                                  : nullptr,
                       tile_gradient   ? g_tile + k
                       : gradient_data ? gradient_data + i * cols
                                       : nullptr));
      }
      if (tile_gradient) copy_rows_out(g_tile, t, n, cols, gradient);
    }
  };
  // Rows of at most 64 classes of a loss with lanes(): W rows at a time, one
  // per SIMD lane, read in place from a column-major pred and gradient of
  // the compute type, else through column-major tiles of W rows on the stack
  // (the same arithmetic, so the same bits, in every layout). A group whose
  // lanes() declines (a NaN or +inf logit) takes the rows one by one; so do
  // all rows where the loss's options are not for lanes (lanes_apply()).
  //
  // Wider rows of a column-major pred (and gradient and Hessian, when asked
  // for) of the compute type: panels of up to panel_rows rows (128 floats
  // on AVX-512), read and written in place, column by column. Each column's
  // 128 logits are contiguous, so a pass over the panel streams 512-byte
  // runs (256 or 128 bytes for a loss with 4 or 2 packets per panel, as
  // many as keep its running values in registers); a row at a time (the
  // tiles above) would touch one cache line per logit, 16 KB apart at
  // N = 4096, and reread each line from memory. A reduction block of wide rows
  // holds whole panels (wide_block_rows); the rows after a block's last whole
  // panel go a packet at a time in place, then one by one.
  constexpr Index lane_max_cols = 64;
  using LV = LaneView<Order, SP>;
  static_assert(Loss::panel_packets == 2 || Loss::panel_packets == 4 || Loss::panel_packets == 8,
                "lossfn: a panel is 2, 4 or 8 packets");
  using PV = LaneView<Order, SP, Wide<SP, Loss::panel_packets>>;
  constexpr Index LW = LV::width, lane_tile = LW * lane_max_cols;
  [[maybe_unused]] const S* x_col = nullptr;
  [[maybe_unused]] S* g_col = nullptr;
  [[maybe_unused]] S* h_col = nullptr;
  [[maybe_unused]] S* hessian_rows = nullptr;  // a row-major Hessian of the compute type
  if constexpr (std::is_same_v<typename P::Scalar, S>) x_col = pred.linear(false);
  if constexpr (wanted<G>)
    if constexpr (std::is_same_v<typename G::Scalar, S>) g_col = gradient.linear(false);
  if constexpr (wanted<H>)
    if constexpr (std::is_same_v<typename H::Scalar, S>) {
      h_col = hessian.linear(false);
      hessian_rows = hessian.linear(true);
    }
  bool use_lanes = false, use_panels = false;
  if constexpr (has_packet<S> && lanes_loss<Loss> && indices) {
    // (Class indices are compared as S on the lanes: exact below 2^24 in float.)
    const bool lanes_ok =
        cols > 0 && cols < (Index(1) << std::numeric_limits<SP>::digits) && loss.lanes_apply();
    use_lanes = lanes_ok && cols <= lane_max_cols && (!Loss::lanes_in_place_only || x_col);
    use_panels = lanes_ok && cols > lane_max_cols && rows >= PV::width && x_col &&
                 (Order < 1 || g_col) && (Order < 2 || h_col);
  }
  // Rows [t, t + n) through lanes() on the view type `view`: in place where
  // the layout allows it and n is the view's width (always so for panels),
  // else through the tiles (rows of at most 64 classes).
  auto lanes_group = [&](auto view, Index t, Index n, Sums& s) {
    if constexpr (has_packet<S> && lanes_loss<Loss> && indices) {
      using View = typename decltype(view)::type;
      constexpr Index width = View::width;
      constexpr bool panel = width > LW;
      alignas(64) S x_tile[panel ? 1 : lane_tile];
      alignas(64) S g_tile[Order >= 1 && !panel ? lane_tile : 1];
      alignas(64) S h_tile[Order >= 2 && !panel ? lane_tile : 1];
      View l;
      l.cols = cols;
      if (panel || (x_col && n == width)) {  // (a panel is always in place)
        l.x_data = x_col + t;
        l.x_stride = rows;
      } else if constexpr (!panel) {
        // A row-major pred: W rows as packets of W columns (the last ones
        // reading on into the next rows, never past the data), transposed
        // in registers; else entry by entry.
        const Index last_read = (t + LW - 1) * cols + (cols + LW - 1) / LW * LW;
        if (row_data && n == width && last_read <= rows * cols)
          rows_to_columns(row_data + t * cols, cols, x_tile);
        else
          for (Index c = 0; c < cols; ++c)
            for (Index k = 0; k < LW; ++k)
              x_tile[c * LW + k] = k < n ? static_cast<S>(pred(t + k, c)) : S(0);
        l.x_data = x_tile;
        l.x_stride = LW;
      }
      const bool g_direct = Order >= 1 && g_col && n == width;
      l.g_data = g_direct ? g_col + t : Order >= 1 ? g_tile : nullptr;
      l.g_stride = g_direct ? rows : LW;
      const bool h_direct = Order >= 2 && h_col && n == width;
      l.h_data = h_direct ? h_col + t : Order >= 2 ? h_tile : nullptr;
      l.h_stride = h_direct ? rows : LW;
      // A softmax's exponentials between its two passes: in the gradient's
      // tile, or where the gradient is written in place, in that tile all
      // the same (unused then) — not in the caller's columns, whose lines
      // at 4 KB-multiple strides (N a power of two) share one cache set with
      // pred's and would evict them between the passes. (Rows of more than
      // lane_max_cols classes, a packet at a time after a block's last
      // panel, are in place: they keep them in the gradient.)
      const bool e_tile = Order >= 1 && !panel && cols <= lane_max_cols;
      l.e_data = e_tile ? g_tile : l.g_data;
      l.e_stride = e_tile ? LW : l.g_stride;
      alignas(64) S w[width];
      l.all_active = n == width && !loss.has_ignore_index();
      if (l.all_active) {  // (loops without branches: SIMD conversions)
        for (Index k = 0; k < width; ++k)
          l.label[k] = static_cast<S>(label_value(target(t + k, 0)));
        for (Index k = 0; k < width; ++k) w[k] = weights.template operator()<S>(t + k, 0);
        for (Index k = 0; k < width; ++k)
          l.scale[k] = empty ? S(0) : S(static_cast<S>(scale) * w[k]);
        for (Index k = 0; k < width; ++k) l.active[k] = true;
      } else {
        for (Index k = 0; k < width; ++k) {
          bool skip = k >= n;
          long long y = 0;
          if (!skip) {
            y = label_value(target(t + k, 0));
            skip = loss.ignored(y);
          }
          w[k] = k < n ? weights.template operator()<S>(t + k, 0) : S(0);
          l.label[k] = skip ? S(0) : static_cast<S>(y);
          l.active[k] = !skip;
          l.scale[k] = (skip || empty) ? S(0) : S(static_cast<S>(scale) * w[k]);
        }
      }
      auto run_lanes = [&](View& v) LOSSFN_FLATTEN { return loss.lanes(v); };
      if (!run_lanes(l)) {
        rows_range(t, t + n, s);
        return;
      }
      // An ignored row has zero derivatives whatever its logits (a NaN among
      // them too, which the loss's arithmetic would carry: 0·NaN).
      if (!l.all_active)
        for (Index k = 0; k < n; ++k)
          if (!l.active[k])
            for (Index c = 0; c < cols; ++c) {
              if constexpr (Order >= 1) l.g_data[c * l.g_stride + k] = S(0);
              if constexpr (Order >= 2) l.h_data[c * l.h_stride + k] = S(0);
            }
      if constexpr (Order >= 1 && !panel)
        if (!g_direct && wanted<G>) {
          if (gradient_data && n == width)
            columns_to_rows(g_tile, cols, gradient_data + t * cols);
          else
            for (Index c = 0; c < cols; ++c)
              for (Index k = 0; k < n; ++k) gradient.set(t + k, c, g_tile[c * LW + k]);
        }
      if constexpr (Order >= 2 && !panel)
        if (!h_direct) {
          if (hessian_rows && n == width)
            columns_to_rows(h_tile, cols, hessian_rows + t * cols);
          else
            for (Index c = 0; c < cols; ++c)
              for (Index k = 0; k < n; ++k) hessian.set(t + k, c, h_tile[c * LW + k]);
        }
      // The weighted terms, 0 for an inactive lane (and past the last row).
      using VT = typename View::V;
      VT weighted = VT::load(l.term);
      if constexpr (has_weights<W>) weighted = VT::load(w) * weighted;
      if (!l.all_active) {
        alignas(64) S on[width];
        for (Index k = 0; k < width; ++k) on[k] = l.active[k] ? S(1) : S(0);
        weighted = select(VT::load(on) == VT(0), VT(0), weighted);
      }
      s.add(weighted);
      if constexpr (wanted<U>) {
        alignas(64) S out[width];
        weighted.store(out);
        for (Index k = 0; k < n; ++k) terms.set(t + k, 0, out[k]);
      }
    } else {
      (void)view;
      (void)t;
      (void)n;
      (void)s;
    }
  };
  // Blocks of about block_size coefficients, in whole multiples of
  // wide_block_rows rows (a whole number of panels and of packets of lanes
  // for every packet size: no block ends in a partial group of lanes while
  // rows remain); rows of more than 64 classes in
  // blocks of wide_block_rows rows. The blocks depend on C alone, the same
  // whichever path a layout takes.
  const Index rows_per_block =
      cols > lane_max_cols
          ? wide_block_rows
          : std::max<Index>(1, (block_size / std::max<Index>(cols, 1) + wide_block_rows / 2) /
                                   wide_block_rows) *
                wide_block_rows;
  const Index blocks = (rows + rows_per_block - 1) / rows_per_block;
  const double sum = sum_blocks(blocks, rows * cols, [&](Index b) {
    const Index first = b * rows_per_block, last = std::min(rows, first + rows_per_block);
    Sums s(first);
    if (use_panels) {
      Index t = first;
      for (; t + PV::width <= last; t += PV::width) lanes_group(TypeTag<PV>{}, t, PV::width, s);
      // After the last whole panel: a packet of rows at a time in place,
      // the remaining rows one by one.
      for (; t + LW <= last; t += LW) lanes_group(TypeTag<LV>{}, t, LW, s);
      rows_range(t, last, s);
    } else if (use_lanes) {
      for (Index t = first; t < last; t += LW)
        lanes_group(TypeTag<LV>{}, t, std::min(LW, last - t), s);
    } else {
      rows_range(first, last, s);
    }
    return s.total();
  });
  return Partial<double>{sum, denominator, loss.reduction()};
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
