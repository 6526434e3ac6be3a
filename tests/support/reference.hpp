// Reads the reference cases of tests/data (copied from shared/reference, made
// with PyTorch 1.13 in float64; see tests/data/README.md for the format).
#pragma once

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef LOSSFN_TEST_DATA_DIR
#error "LOSSFN_TEST_DATA_DIR must name the folder of the reference cases"
#endif

namespace reference {

struct Matrix {
  long rows = 0, cols = 0;
  std::vector<double> values;  // row-major
  bool present = false;
  double operator()(long i, long j) const { return values[static_cast<size_t>(i * cols + j)]; }
};

struct Case {
  std::string name, loss;
  std::map<std::string, std::vector<std::string>> options;
  Matrix pred, target, weights, gradient, unreduced, hessian;
  double value = 0;
  bool target_is_integer = true;  // every target token written without '.', 'e' or "inf"

  bool has(const std::string& option) const { return options.count(option) != 0; }
  double number(const std::string& option, size_t k = 0) const {
    return std::stod(options.at(option).at(k));
  }
  /// "count v1 v2 ..." options (class_weights, pos_weight).
  std::vector<double> list(const std::string& option) const {
    const auto& o = options.at(option);
    std::vector<double> v;
    for (size_t k = 1; k < o.size(); ++k) v.push_back(std::stod(o[k]));
    return v;
  }
  /// Every input exactly a float, so a float run sees the numbers double saw.
  bool float_exact() const {
    for (const Matrix* m : {&pred, &target, &weights})
      for (double v : m->values)
        if (static_cast<double>(static_cast<float>(v)) != v) return false;
    return true;
  }
};

inline Matrix read_matrix(std::istringstream& line, bool* integer = nullptr) {
  Matrix m;
  m.present = true;
  line >> m.rows >> m.cols;
  std::string token;
  while (line >> token) {
    if (integer && token.find_first_of(".eEn") != std::string::npos) *integer = false;
    m.values.push_back(std::stod(token));
  }
  if (static_cast<long>(m.values.size()) != m.rows * m.cols)
    throw std::runtime_error("reference: matrix of the wrong size");
  return m;
}

inline std::vector<Case> load(const std::string& file) {
  std::ifstream in(std::string(LOSSFN_TEST_DATA_DIR) + "/" + file);
  if (!in) throw std::runtime_error("reference: cannot open " + file);
  std::vector<Case> cases;
  Case c;
  std::string text;
  while (std::getline(in, text)) {
    std::istringstream line(text);
    std::string key;
    if (!(line >> key)) continue;
    if (key == "case") {
      c = Case{};
      line >> c.name;
    } else if (key == "loss") {
      line >> c.loss;
    } else if (key == "option") {
      std::string name, v;
      line >> name;
      while (line >> v) c.options[name].push_back(v);
    } else if (key == "pred") {
      c.pred = read_matrix(line);
    } else if (key == "target") {
      c.target = read_matrix(line, &c.target_is_integer);
    } else if (key == "weights") {
      c.weights = read_matrix(line);
    } else if (key == "value") {
      line >> text;
      c.value = std::stod(text);
    } else if (key == "gradient") {
      c.gradient = read_matrix(line);
    } else if (key == "unreduced") {
      c.unreduced = read_matrix(line);
    } else if (key == "hessian") {
      c.hessian = read_matrix(line);
    } else if (key == "end") {
      cases.push_back(c);
    } else {
      throw std::runtime_error("reference: unknown record " + key);
    }
  }
  return cases;
}

/// The cases of one loss, from one file.
inline std::vector<Case> cases_of(const std::string& file, const std::string& loss) {
  static std::map<std::string, std::vector<Case>> files;
  if (!files.count(file)) files[file] = load(file);
  std::vector<Case> out;
  for (const Case& c : files[file])
    if (c.loss == loss) out.push_back(c);
  return out;
}

}  // namespace reference
