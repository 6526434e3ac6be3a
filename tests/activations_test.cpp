// lossfn::softmax, log_softmax and sigmoid against PyTorch's values
// (tests/data/activations.txt, from tests/tools/activations_reference.py):
// every input layout, float, double and half, the returning form, out() of
// every order, in place, and an output of the wrong shape.
#include <lossfn/lossfn.hpp>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "catch.hpp"
#include "support/layouts.hpp"
#include "support/reference.hpp"

namespace {

struct ActivationCase {
  std::string name;
  reference::Matrix x, softmax, log_softmax, sigmoid;
};

const std::vector<ActivationCase>& activation_cases() {
  static const std::vector<ActivationCase> cases = [] {
    std::ifstream in(std::string(LOSSFN_TEST_DATA_DIR) + "/activations.txt");
    if (!in) throw std::runtime_error("cannot open activations.txt");
    std::vector<ActivationCase> all;
    ActivationCase c;
    std::string text;
    while (std::getline(in, text)) {
      std::istringstream line(text);
      std::string key;
      if (!(line >> key)) continue;
      if (key == "case")
        line >> c.name;
      else if (key == "x")
        c.x = reference::read_matrix(line);
      else if (key == "softmax")
        c.softmax = reference::read_matrix(line);
      else if (key == "log_softmax")
        c.log_softmax = reference::read_matrix(line);
      else if (key == "sigmoid")
        c.sigmoid = reference::read_matrix(line);
      else if (key == "end")
        all.push_back(c);
      else
        throw std::runtime_error("activations.txt: unknown record " + key);
    }
    return all;
  }();
  return cases;
}

enum class Which { softmax, log_softmax, sigmoid };
const Which all_functions[] = {Which::softmax, Which::log_softmax, Which::sigmoid};
const char* name_of(Which w) {
  return w == Which::softmax ? "softmax" : w == Which::log_softmax ? "log_softmax" : "sigmoid";
}
const reference::Matrix& expected_of(const ActivationCase& c, Which w) {
  return w == Which::softmax ? c.softmax : w == Which::log_softmax ? c.log_softmax : c.sigmoid;
}

/// The bar of S: relative, with the same number as an absolute floor (for
/// entries near 0, e.g. a log-softmax of −4e-8 or a softmax that underflows).
template <class S>
double tolerance() {
  if constexpr (std::is_same_v<S, double>) return 1e-12;  // Σ of 1000 terms: C·ε
  if constexpr (std::is_same_v<S, float>) return 4e-6;
  if constexpr (std::is_same_v<S, Eigen::half>) return 4e-3;  // one rounding to 11 bits
  return 8e-3;  // Eigen::bfloat16: one rounding to 8 bits
}

/// Every entry of `got` is the reference's within S's bar; NaN where it is
/// NaN, the same infinity where it is infinite.
template <class S, class M>
void check_matrix(const M& got, const reference::Matrix& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.rows() == want.rows);
  REQUIRE(got.cols() == want.cols);
  const double tol = tolerance<S>();
  for (long i = 0; i < want.rows; ++i)
    for (long j = 0; j < want.cols; ++j) {
      const double g = static_cast<double>(got(i, j)), w = want(i, j);
      INFO(std::setprecision(17) << "entry (" << i << ", " << j << "): got " << g << ", want "
                                 << w);
      if (std::isnan(w))
        CHECK(std::isnan(g));
      else if (std::isinf(w))
        CHECK(g == w);
      else
        CHECK(std::abs(g - w) <= tol * (std::abs(w) + 1e-3));
    }
}

template <class X, class Y>
void call_into(Which w, const X& x, Y&& y) {
  if (w == Which::softmax) lossfn::softmax(x, lossfn::out(y));
  if (w == Which::log_softmax) lossfn::log_softmax(x, lossfn::out(y));
  if (w == Which::sigmoid) lossfn::sigmoid(x, lossfn::out(y));
}

/// The returning form and out() into an empty column-major and row-major
/// matrix (resized) and into a sized strided Map.
template <class S, class X>
void check_forms(Which w, const X& x, const reference::Matrix& want, const std::string& where) {
  using Plain = typename X::PlainObject;
  Plain returned = w == Which::softmax       ? Plain(lossfn::softmax(x))
                   : w == Which::log_softmax ? Plain(lossfn::log_softmax(x))
                                             : Plain(lossfn::sigmoid(x));
  check_matrix<S>(returned, want, where + ", returned");
  layouts::ColMajor<S> col;
  call_into(w, x, col);
  check_matrix<S>(col, want, where + ", out(column-major)");
  layouts::RowMajor<S> row;
  call_into(w, x, row);
  check_matrix<S>(row, want, where + ", out(row-major)");
  std::vector<S> buffer(static_cast<size_t>(3 * x.rows() * x.cols() + 3), S(-5));
  Eigen::Map<layouts::RowMajor<S>, 0, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>> strided(
      buffer.data(), x.rows(), x.cols(),
      Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(3 * x.cols(), 3));
  call_into(w, x, strided);
  check_matrix<S>(strided, want, where + ", out(strided Map)");
}

/// In place, y = x: column-major, row-major, a block of a larger matrix and
/// the transpose of a column-major matrix.
template <class S>
void check_in_place(Which w, const ActivationCase& c) {
  const layouts::ColMajor<S> x = layouts::to_matrix<S>(c.x);
  const reference::Matrix& want = expected_of(c, w);
  layouts::ColMajor<S> col = x;
  call_into(w, col, col);
  check_matrix<S>(col, want, "in place, column-major");
  layouts::RowMajor<S> row = x;
  call_into(w, row, row);
  check_matrix<S>(row, want, "in place, row-major");
  layouts::ColMajor<S> big = layouts::ColMajor<S>::Constant(x.rows() + 2, x.cols() + 3, S(7));
  big.block(1, 2, x.rows(), x.cols()) = x;
  call_into(w, big.block(1, 2, x.rows(), x.cols()), big.block(1, 2, x.rows(), x.cols()));
  check_matrix<S>(big.block(1, 2, x.rows(), x.cols()), want, "in place, block");
  CHECK(big.col(0).isConstant(S(7)));
  CHECK(big.row(0).isConstant(S(7)));
  layouts::ColMajor<S> t = x.transpose();
  call_into(w, t.transpose(), t.transpose());
  check_matrix<S>(t.transpose(), want, "in place, transposed");
}

template <class S>
bool exact_in(const reference::Matrix& m) {
  for (double v : m.values)
    if (!std::isnan(v) && static_cast<double>(static_cast<S>(v)) != v) return false;
  return true;
}

template <class S>
int run_cases() {
  int checked = 0;
  for (const ActivationCase& c : activation_cases()) {
    if (!exact_in<S>(c.x)) continue;
    for (Which w : all_functions)
      for (const std::string& layout : layouts::names()) {
        const std::string where = c.name + ", " + name_of(w) + ", " + layout;
        layouts::with_layout<S, S>(layout, c.x, c.x, [&](const auto& x, const auto&) {
          check_forms<S>(w, x, expected_of(c, w), where);
        });
        ++checked;
      }
    for (Which w : all_functions) {
      INFO(c.name << ", " << name_of(w));
      check_in_place<S>(w, c);
    }
  }
  return checked;
}

}  // namespace

TEST_CASE("softmax, log_softmax and sigmoid match PyTorch in every layout", "[activations]") {
  SECTION("double") {
    CHECK(run_cases<double>() >= 13 * 3 * 6);
  }
  SECTION("float") {
    CHECK(run_cases<float>() >= 13 * 3 * 6);
  }
  SECTION("half: the cases whose inputs half holds exactly") {
    CHECK(run_cases<Eigen::half>() >= 6 * 3 * 6);
  }
  SECTION("bfloat16: the cases whose inputs bfloat16 holds exactly") {
    CHECK(run_cases<Eigen::bfloat16>() >= 6 * 3 * 6);
  }
}

TEST_CASE("log_softmax keeps the digits of a logit far above the others", "[activations]") {
  // log softmax of the largest is −log1p(8·e^-17) = −3.3e-7: relative accuracy,
  // not the 0 of (x − m) − log(1 + rest) in float.
  Eigen::MatrixXf x = Eigen::MatrixXf::Zero(2, 9);
  x(0, 1) = 17;
  x(1, 8) = 17;
  const double want = -std::log1p(8 * std::exp(-17.0));
  const Eigen::MatrixXf xt = x.transpose();
  for (const auto& y : {Eigen::MatrixXf(lossfn::log_softmax(x)),
                        Eigen::MatrixXf(lossfn::log_softmax(xt.transpose()))}) {
    CHECK(std::abs(y(0, 1) - want) <= 1e-6 * std::abs(want));
    CHECK(std::abs(y(1, 8) - want) <= 1e-6 * std::abs(want));
  }
}

TEST_CASE("softmax of many rows takes every path: lanes, packets, leftover rows", "[activations]") {
  // 37 rows: whole blocks of lanes in column-major, then leftover rows; a
  // row with +inf and one with NaN inside a block: that block row by row.
  const ActivationCase& c = activation_cases().at(8);
  REQUIRE(c.name == "random_37x10");
  layouts::ColMajor<double> x = layouts::to_matrix<double>(c.x);
  x(3, 4) = std::numeric_limits<double>::infinity();
  x(5, 2) = std::numeric_limits<double>::quiet_NaN();
  for (const auto& y : {Eigen::MatrixXd(lossfn::softmax(x)),
                        Eigen::MatrixXd(lossfn::softmax(layouts::RowMajor<double>(x)))}) {
    for (long i = 0; i < x.rows(); ++i)
      for (long j = 0; j < x.cols(); ++j) {
        if (i == 3)
          CHECK(y(i, j) == (j == 4 ? 1.0 : 0.0));
        else if (i == 5)
          CHECK(std::isnan(y(i, j)));
        else
          CHECK(std::abs(y(i, j) - c.softmax(i, j)) <= 1e-13 * (c.softmax(i, j) + 1e-3));
      }
  }
}

TEST_CASE("an activation's output of another shape is an error, and untouched", "[activations]") {
  const Eigen::MatrixXf x = Eigen::MatrixXf::Random(3, 4);
  Eigen::MatrixXf y = Eigen::MatrixXf::Constant(2, 2, 5.0f);
  CHECK_THROWS_WITH(lossfn::softmax(x, lossfn::out(y)),
                    "softmax: output has shape 2x2, expected 3x4 (x's shape)");
  CHECK_THROWS_WITH(lossfn::log_softmax(x, lossfn::out(y)),
                    "log_softmax: output has shape 2x2, expected 3x4 (x's shape)");
  CHECK_THROWS_WITH(lossfn::sigmoid(x, lossfn::out(y)),
                    "sigmoid: output has shape 2x2, expected 3x4 (x's shape)");
  CHECK(y == Eigen::MatrixXf::Constant(2, 2, 5.0f));
  Eigen::Matrix<float, 3, 3> fixed = Eigen::Matrix<float, 3, 3>::Zero();
  CHECK_THROWS_WITH(lossfn::softmax(x, lossfn::out(fixed)),
                    "softmax: output has shape 3x3, expected 3x4 (x's shape)");
  std::vector<float> buffer(12, 1.0f);
  Eigen::Map<Eigen::MatrixXf> map(buffer.data(), 4, 3);
  CHECK_THROWS_WITH(lossfn::sigmoid(x, lossfn::out(map)),
                    "sigmoid: output has shape 4x3, expected 3x4 (x's shape)");
  Eigen::MatrixXf empty;
  lossfn::softmax(x, lossfn::out(empty));
  CHECK(empty.rows() == 3);
  CHECK(empty.cols() == 4);
}

TEST_CASE("an output overlapping x otherwise than in place is read from a copy", "[activations]") {
  // y is x shifted by one row in the same buffer: written row by row it would
  // read rows it has already overwritten.
  std::vector<double> buffer(5 * 8);
  for (size_t k = 0; k < buffer.size(); ++k) buffer[k] = std::sin(double(k));
  using RowMajorMap = Eigen::Map<layouts::RowMajor<double>>;
  const layouts::RowMajor<double> x = RowMajorMap(buffer.data(), 4, 8);
  const layouts::RowMajor<double> want = lossfn::softmax(x);
  lossfn::softmax(RowMajorMap(buffer.data(), 4, 8),
                  lossfn::out(RowMajorMap(buffer.data() + 8, 4, 8)));
  CHECK(RowMajorMap(buffer.data() + 8, 4, 8).isApprox(want, 1e-14));
}
