// PyTorch's float32 result as the bar to beat on the
// reference cases. tests/data/torch_float32_errors.txt holds, for each case of
// cases.txt whose inputs are floats, how far PyTorch 1.13 in float32 lands
// from the float64 reference (value, and the gradient relative to its largest
// entry; tests/tools/torch_float32_bar.py, whose --check run reproduces the
// reference in float64 with the same calls). lossfn's float value and
// gradient, on a column-major pred, must be as close: at most PyTorch's error
// plus eight roundings of float (8·2^-24 ≈ 4.8e-7), the slack for two float
// computations whose roundings differ. A WARN line reports how many cases are
// at or below PyTorch's error and the worst excess over it.
#include <fstream>
#include <sstream>

#include "support/reference_runner.hpp"

namespace {

struct Bar {
  double value, gradient;
};

std::map<std::string, Bar> bars() {
  std::ifstream in(std::string(LOSSFN_TEST_DATA_DIR) + "/torch_float32_errors.txt");
  REQUIRE(in);
  std::map<std::string, Bar> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string name;
    Bar b{};
    words >> name >> b.value >> b.gradient;
    REQUIRE(words);
    out[name] = b;
  }
  return out;
}

double relative_error(double actual, double expected) {
  const double d = std::abs(actual - expected);
  return expected != 0 ? d / std::abs(expected) : d;
}

constexpr double slack = 8.0 / 16777216.0;  // eight roundings of float

struct Tally {
  int cases = 0, at_or_below = 0;
  double worst_value = 0, worst_gradient = 0;  // our error minus PyTorch's
};

template <class Loss>
void beat(const std::string& loss_name, const std::map<std::string, Bar>& bar, Tally& tally) {
  using reference::Case;
  for (const Case& c : reference::cases_of("cases.txt", loss_name)) {
    const auto it = bar.find(c.name);
    if (it == bar.end()) continue;
    INFO(c.name);
    const Loss loss = reference::configure<Loss>(c);
    const layouts::ColMajor<float> pred = layouts::to_matrix<float>(c.pred);
    float value = 0;
    layouts::ColMajor<float> g(pred.rows(), pred.cols());
    // (generic, so that it is instantiated only where called)
    auto with_values = [&](const auto& l) {
      const layouts::ColMajor<float> target = layouts::to_matrix<float>(c.target);
      return l.value_and_gradient(pred, target, lossfn::out(g));
    };
    if constexpr (lossfn::traits<Loss>::row_wise) {
      if (reference::index_target(c)) {
        const Eigen::VectorXi target = layouts::to_matrix<int>(c.target).col(0);
        value = loss.value_and_gradient(pred, target, lossfn::out(g));
      } else if constexpr (reference::takes_probabilities<Loss>::value) {
        value = with_values(loss);
      } else {
        FAIL("a class-index loss without class indices");
      }
    } else {
      value = with_values(loss);
    }
    const double value_error = relative_error(value, c.value);
    double scale = 0, diff = 0;
    for (long i = 0; i < c.gradient.rows; ++i)
      for (long j = 0; j < c.gradient.cols; ++j) {
        scale = std::max(scale, std::abs(c.gradient(i, j)));
        diff = std::max(diff, std::abs(double(g(i, j)) - c.gradient(i, j)));
      }
    const double gradient_error = scale > 0 ? diff / scale : diff;
    CAPTURE(value_error, it->second.value, gradient_error, it->second.gradient);
    CHECK(value_error <= it->second.value + slack);
    CHECK(gradient_error <= it->second.gradient + slack);
    ++tally.cases;
    tally.at_or_below += value_error <= it->second.value && gradient_error <= it->second.gradient;
    tally.worst_value = std::max(tally.worst_value, value_error - it->second.value);
    tally.worst_gradient = std::max(tally.worst_gradient, gradient_error - it->second.gradient);
  }
}

}  // namespace

TEST_CASE("float results are as close to the float64 reference as PyTorch float32's",
          "[reference][float32]") {
  const auto bar = bars();
  Tally t;
  beat<lossfn::MeanSquaredError>("MeanSquaredError", bar, t);
  beat<lossfn::RootMeanSquaredError>("RootMeanSquaredError", bar, t);
  beat<lossfn::MeanAbsoluteError>("MeanAbsoluteError", bar, t);
  beat<lossfn::BinaryCrossEntropy>("BinaryCrossEntropy", bar, t);
  beat<lossfn::BinaryCrossEntropyWithLogits>("BinaryCrossEntropyWithLogits", bar, t);
  beat<lossfn::Hinge>("Hinge", bar, t);
  beat<lossfn::SigmoidFocalLoss>("SigmoidFocalLoss", bar, t);
  beat<lossfn::SoftmaxCrossEntropy>("SoftmaxCrossEntropy", bar, t);
  beat<lossfn::NegativeLogLikelihood>("NegativeLogLikelihood", bar, t);
  beat<lossfn::MultiClassHinge>("MultiClassHinge", bar, t);
  beat<lossfn::SoftmaxFocalLoss>("SoftmaxFocalLoss", bar, t);
  // Every case of the bar file was compared (a renamed case would drop out).
  CHECK(t.cases == static_cast<int>(bar.size()));
  WARN("float32 bar: " << t.cases << " cases, at or below PyTorch's error in both value and "
                       << "gradient: " << t.at_or_below << "; worst excess over PyTorch: value "
                       << t.worst_value << ", gradient " << t.worst_gradient);
}
