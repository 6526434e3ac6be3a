// lossfn examples — what every example shares and none of them is about:
// command-line arguments, a reproducible random generator, a CSV reader,
// train/test splits, standardisation and a plain-text table.
//
// Not part of the library. Each examples/*.cpp is a program of its own; this
// header keeps them short enough to read for the part that matters (the loss).
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace example {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

// ---- command line ----------------------------------------------------------

/// `program [--quick] [data.csv]`: every example takes the same arguments.
struct Arguments {
  bool quick = false;    // a short run (the test suite uses it)
  std::string csv_path;  // empty: generated data
};

inline Arguments parse_arguments(int argc, char** argv, const char* usage) {
  Arguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    if (s == "--quick") {
      a.quick = true;
    } else if (s == "-h" || s == "--help") {
      std::cout << usage;
      std::exit(0);
    } else if (!s.empty() && s[0] == '-') {
      std::cerr << "unknown option " << s << "\n\n" << usage;
      std::exit(2);
    } else if (a.csv_path.empty()) {
      a.csv_path = s;
    } else {
      std::cerr << "more than one data file given\n\n" << usage;
      std::exit(2);
    }
  }
  return a;
}

// ---- random numbers ----------------------------------------------------------

/// A small generator whose output is the same on every platform and standard
/// library (std::normal_distribution is not), so the tables in the docs are
/// the tables the reader gets. splitmix64 + Box–Muller.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t bits() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(bits() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = 0;
    while (u == 0) u = uniform();
    const double v = uniform();
    const double r = std::sqrt(-2.0 * std::log(u)), a = 2.0 * 3.14159265358979323846 * v;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
  /// A random permutation of 0 .. n−1.
  std::vector<Eigen::Index> permutation(Eigen::Index n) {
    std::vector<Eigen::Index> p(static_cast<size_t>(n));
    std::iota(p.begin(), p.end(), Eigen::Index(0));
    for (Eigen::Index i = n - 1; i > 0; --i)
      std::swap(p[static_cast<size_t>(i)],
                p[static_cast<size_t>(bits() % static_cast<std::uint64_t>(i + 1))]);
    return p;
  }

 private:
  std::uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

// ---- data --------------------------------------------------------------------

/// Features (one sample per row) and a target column.
struct Dataset {
  Matrix x;
  Vector y;
  Eigen::Index size() const { return x.rows(); }
};

/// Reads a CSV file of numbers: one sample per line, the last column is the
/// target, the others are features. A first line that is not numeric is taken
/// as a header; empty lines and lines starting with '#' are skipped.
inline Dataset read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<std::vector<double>> rows;
  std::string line;
  size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;
    std::vector<double> values;
    std::stringstream cells(line);
    std::string cell;
    bool numeric = true;
    while (std::getline(cells, cell, ',')) {
      const auto first = cell.find_first_not_of(" \t\"");
      const auto last = cell.find_last_not_of(" \t\"");
      cell = first == std::string::npos ? "" : cell.substr(first, last - first + 1);
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (cell.empty() || *end != '\0') {
        numeric = false;
        break;
      }
      values.push_back(v);
    }
    if (!numeric) {
      if (rows.empty()) continue;  // a header row
      throw std::runtime_error(path + ":" + std::to_string(line_number) +
                               ": not a row of numbers: " + line);
    }
    if (!rows.empty() && values.size() != rows.front().size())
      throw std::runtime_error(path + ":" + std::to_string(line_number) + ": " +
                               std::to_string(values.size()) + " columns, expected " +
                               std::to_string(rows.front().size()));
    rows.push_back(std::move(values));
  }
  if (rows.empty()) throw std::runtime_error(path + ": no data rows");
  if (rows.front().size() < 2)
    throw std::runtime_error(path + ": need at least one feature column and the target column");
  const Eigen::Index n = static_cast<Eigen::Index>(rows.size());
  const Eigen::Index d = static_cast<Eigen::Index>(rows.front().size()) - 1;
  Dataset data{Matrix(n, d), Vector(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) data.x(i, j) = rows[size_t(i)][size_t(j)];
    data.y(i) = rows[size_t(i)][size_t(d)];
  }
  return data;
}

inline Dataset take_rows(const Dataset& data, const std::vector<Eigen::Index>& index, size_t begin,
                         size_t end) {
  Dataset out{Matrix(Eigen::Index(end - begin), data.x.cols()), Vector(Eigen::Index(end - begin))};
  for (size_t k = begin; k < end; ++k) {
    out.x.row(Eigen::Index(k - begin)) = data.x.row(index[k]);
    out.y(Eigen::Index(k - begin)) = data.y(index[k]);
  }
  return out;
}

/// A shuffled split: the first `train_fraction` of the samples train, the rest test.
inline std::pair<Dataset, Dataset> split(const Dataset& data, double train_fraction,
                                         Random& random) {
  const auto order = random.permutation(data.size());
  const size_t n_train = static_cast<size_t>(std::lround(train_fraction * double(data.size())));
  return {take_rows(data, order, 0, n_train), take_rows(data, order, n_train, order.size())};
}

/// Column means and standard deviations of the training features, applied to
/// any split, so that one learning rate suits every data set.
struct Standardizer {
  Eigen::RowVectorXd mean, scale;
  explicit Standardizer(const Matrix& x) {
    mean = x.colwise().mean();
    scale = ((x.rowwise() - mean).array().square().colwise().mean()).sqrt().matrix();
    for (Eigen::Index j = 0; j < scale.size(); ++j)
      if (!(scale(j) > 0)) scale(j) = 1;  // a constant column stays constant
  }
  Matrix operator()(const Matrix& x) const {
    return ((x.rowwise() - mean).array().rowwise() / scale.array()).matrix();
  }
};

/// Binary labels of a CSV target: 1 for the positive class, 0 for the other.
/// Accepts {0, 1} and {−1, +1}; anything else is an error.
inline Vector binary_labels(const Vector& y, const std::string& source) {
  Vector t(y.size());
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (y(i) == 1)
      t(i) = 1;
    else if (y(i) == 0 || y(i) == -1)
      t(i) = 0;
    else
      throw std::runtime_error(source + ": target of row " + std::to_string(i) + " is " +
                               std::to_string(y(i)) +
                               "; a binary label (0/1 or -1/+1) is expected");
  }
  return t;
}

// ---- output --------------------------------------------------------------------

/// A plain-text table: a header, rows of cells, columns aligned; numbers
/// right-aligned, text left-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out = std::cout) const {
    std::vector<size_t> width(header_.size(), 0);
    for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
    for (const auto& r : rows_)
      for (size_t c = 0; c < r.size() && c < width.size(); ++c)
        width[c] = std::max(width[c], length(r[c]));
    auto line = [&](const std::vector<std::string>& r) {
      out << " ";
      for (size_t c = 0; c < width.size(); ++c) {
        const std::string cell = c < r.size() ? r[c] : "";
        const size_t pad = width[c] - length(cell);
        const bool left = c == 0;
        out << " " << (left ? cell + std::string(pad, ' ') : std::string(pad, ' ') + cell) << " ";
      }
      out << "\n";
    };
    line(header_);
    size_t total = 1;
    for (size_t w : width) total += w + 2;
    out << " " << std::string(total - 1, '-') << "\n";
    for (const auto& r : rows_) line(r);
  }

 private:
  // Display width of UTF-8 text: count code points, not bytes.
  static size_t length(const std::string& s) {
    size_t n = 0;
    for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
    return n;
  }
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// A number with `digits` decimals.
inline std::string fixed(double v, int digits = 3) {
  if (std::isnan(v)) return "—";
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}
inline std::string percent(double v, int digits = 1) {
  if (std::isnan(v)) return "—";
  return fixed(100.0 * v, digits) + "%";
}

/// Seconds since construction, for progress lines.
class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// Prints "check: <what> ... ok/FAILED" and remembers failures, so that a
/// program run on its generated data exits non-zero when its point is not
/// made (the test suite runs every example).
class Checks {
 public:
  void expect(bool ok, const std::string& what) {
    std::cout << "  check: " << what << " ... " << (ok ? "ok" : "FAILED") << "\n";
    failed_ += !ok;
  }
  int exit_code() const { return failed_ == 0 ? 0 : 1; }

 private:
  int failed_ = 0;
};

}  // namespace example
