// lossfn — building error messages that name the loss, argument, position and value.
#pragma once

#include <Eigen/Core>
#include <sstream>
#include <string>
#include <type_traits>

#include "config.hpp"

LOSSFN_WARNINGS_OFF

namespace lossfn::detail {

template <class T>
std::string to_text(const T& v) {
  std::ostringstream s;
  if constexpr (std::is_unsigned_v<T>) {
    s << static_cast<unsigned long long>(v);
  } else if constexpr (std::is_integral_v<T>) {
    s << static_cast<long long>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    s.precision(std::is_same_v<T, float> ? 9 : 17);
    s << v;
  } else {
    s.precision(9);
    s << static_cast<float>(v);  // Eigen::half, Eigen::bfloat16
  }
  return s.str();
}

inline std::string shape_text(Eigen::Index rows, Eigen::Index cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}

/// "target(3, 1)" for a matrix argument, "target[3]" for a vector of indices.
inline std::string position(const char* argument, Eigen::Index i, Eigen::Index j) {
  return std::string(argument) + "(" + std::to_string(i) + ", " + std::to_string(j) + ")";
}
inline std::string position(const char* argument, Eigen::Index i) {
  return std::string(argument) + "[" + std::to_string(i) + "]";
}

template <class T>
[[noreturn]] void fail_value(const char* loss, const std::string& where, const T& value,
                             const std::string& requirement) {
  fail(std::string(loss) + ": " + where + " = " + to_text(value) + " " + requirement);
}

[[noreturn]] inline void fail_shape(const char* loss, const char* argument, Eigen::Index rows,
                                    Eigen::Index cols, const std::string& expected) {
  fail(std::string(loss) + ": " + argument + " has shape " + shape_text(rows, cols) +
       ", expected " + expected);
}

[[noreturn]] inline void fail_option(const char* loss, const char* option, double value,
                                     const char* requirement) {
  fail(std::string(loss) + ": option " + option + " = " + to_text(value) + " " + requirement);
}

}  // namespace lossfn::detail

LOSSFN_WARNINGS_ON
