// Runs the reference cases whose inputs a 16-bit type holds exactly in
// Eigen::bfloat16 and Eigen::half, at Tolerance<bfloat16> / <half> of
// reference_runner.hpp (float's bar plus one rounding to the 16-bit type).
// Shared by half_precision_test.cpp (cases.txt's losses) and
// half_precision_extended_test.cpp (cases_extended.txt's and the objectives').
#pragma once

#include <string>
#include <type_traits>

#include "reference_runner.hpp"

namespace sixteen_bit {

using Eigen::bfloat16;
using Eigen::half;

/// v is a number of type S (so a 16-bit run sees exactly what double saw).
template <class S>
inline bool exact_in(double v) {
  const float f = static_cast<float>(v);
  return static_cast<double>(f) == v && static_cast<float>(static_cast<S>(f)) == f;
}

template <class S>
inline bool inputs_exact(const reference::Case& c) {
  for (const reference::Matrix* m : {&c.pred, &c.target, &c.weights})
    for (double v : m->values)
      if (!exact_in<S>(v)) return false;
  return true;
}

struct Count {
  int run = 0, bf16_named = 0;
};

/// Runs every case of `loss_name` (every file) that S can hold, in S.
template <class Loss, class S>
Count check_16bit_cases(const std::string& loss_name) {
  Count count;
  for (const char* file : {"cases.txt", "cases_extended.txt", "cases_objectives.txt"}) {
    for (const reference::Case& c : reference::cases_of(file, loss_name)) {
      const bool named = c.name.find("bf16") != std::string::npos;
      const bool selected = inputs_exact<S>(c) && reference::results_fit<S>(c) &&
                            c.name.find("double_extremes") == std::string::npos;
      if (named && std::is_same_v<S, bfloat16>) {
        INFO(c.name << " is named bf16 but bfloat16 cannot hold its inputs or results");
        CHECK(selected);
      }
      if (!selected) continue;
      reference::check_case<Loss, S>(c);
      ++count.run;
      count.bf16_named += named;
    }
  }
  return count;
}

/// Both 16-bit types; bfloat16 must have run the loss's "*bf16*" cases.
template <class Loss>
void check_16bit(const std::string& loss_name) {
  const Count b = check_16bit_cases<Loss, bfloat16>(loss_name);
  const Count h = check_16bit_cases<Loss, half>(loss_name);
  INFO(loss_name << ": " << b.run << " cases in bfloat16, " << h.run << " in half");
  CHECK(b.bf16_named >= 2);  // each loss has at least a mean and a weighted sum case
  CHECK(h.run >= 1);
}

}  // namespace sixteen_bit
