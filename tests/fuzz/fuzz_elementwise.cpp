// libFuzzer target: the element-wise losses (one term per coefficient of
// pred, the gradient-boosting objectives included), RootMeanSquaredError and
// binary ZeroOneLoss. The bytes choose the
// loss and its options, the scalar type, the shape (0 rows and 1 column
// included), the layout, the reduction, sample weights and every value.
#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

struct Plan {
  Kind pred = Kind::real, target = Kind::real;
  Facts facts;
  Decoded d;  // options of extreme size (1e30, DBL_MAX: inf in float) clear d.moderate
  /// Where a valid input has derivatives beyond S's range (the exact value
  /// overflows): t / p² of BinaryCrossEntropy for p < 1 / sqrt(max) above the
  /// log clamp (a float p of FLT_MIN). Such input is not "moderate".
  bool tiny_pred_overflows = false;
};

/// Whether the loss divides by the total weight (RootMeanSquaredError always does).
template <class Loss>
bool is_mean(const Loss& loss) {
  if constexpr (is_rmse<Loss>)
    return true;
  else
    return loss.reduction() == lossfn::Reduction::mean;
}

template <class S, class Loss>
void run(const Loss& loss, const Plan& plan, Bytes& b) {
  const Index rows = b.byte() % 9;                      // 0..8
  const Index cols = b.byte() % 5 + (b.bit() ? 1 : 0);  // 0..5, mostly >= 1
  const std::uint8_t shape = b.byte();
  const int layout = shape & 3;
  const int weight_mode = (shape >> 2) & 3;  // none, pred's shape, a column of N, a wrong shape
  const bool bad_out = (shape >> 4) & 1;
  const bool bad_target = ((shape >> 5) & 7) == 7;  // one row too many

  Decoded d = plan.d;
  ColMajor<S> pred(rows, cols), target(rows + (bad_target ? 1 : 0), cols);
  for (Index i = 0; i < pred.size(); ++i) pred.data()[i] = number<S>(b, plan.pred, d);
  for (Index i = 0; i < target.size(); ++i) target.data()[i] = number<S>(b, plan.target, d);
  d.nan_pred = pred.hasNaN();
  ColMajor<S> w;
  switch (weight_mode) {
    case 1:
      w.resize(rows, cols);
      break;
    case 2:
      w.resize(rows, 1);
      break;
    case 3:
      w.resize(rows + 1, cols);
      break;
    default:
      break;
  }
  for (Index i = 0; i < w.size(); ++i) w.data()[i] = number<S>(b, Kind::weight, d);
  if (plan.tiny_pred_overflows)
    for (Index i = 0; i < pred.size(); ++i) {
      const double p = std::abs(double(pred.data()[i]));
      if (p > 0 && p < 1 / std::sqrt(double(std::numeric_limits<S>::max()))) d.moderate = false;
    }
  // Known, and left (see the report of the fuzz branch): a mean's derivatives
  // are scaled by S(1 / Σ w), which overflows when the total weight is below
  // 1 / max (subnormal weights): the gradient is then ±inf though each
  // w / Σ w is finite. Such input is not "moderate".
  if (weight_mode == 1 || weight_mode == 2) {
    double total = 0;
    for (Index i = 0; i < w.size(); ++i) total += double(w.data()[i]);
    if (weight_mode == 2) total *= double(cols);
    if (total > 0 && !(1.0 / total <= double(std::numeric_limits<S>::max()))) d.moderate = false;
    // A mean over zero total weight is 0 with a zero gradient,
    // a NaN prediction under those zero weights included.
    if (total == 0 && is_mean(loss)) d.nan_pred = false;
  }

  if (std::getenv("FUZZ_DEBUG")) {  // what an input decodes to, for minimizing
    std::fprintf(stderr,
                 "%s S %s rows %ld cols %ld layout %d weights %d bad_out %d bad_target %d "
                 "reduction %s moderate %d nan_pred %d\npred:",
                 Loss::name, sizeof(S) == 4 ? "float" : "double", long(rows), long(cols), layout,
                 weight_mode, int(bad_out), int(bad_target), is_mean(loss) ? "mean" : "sum",
                 int(d.moderate), int(d.nan_pred));
    for (Index i = 0; i < pred.size(); ++i) std::fprintf(stderr, " %.9g", double(pred.data()[i]));
    std::fprintf(stderr, "\ntarget:");
    for (Index i = 0; i < target.size(); ++i)
      std::fprintf(stderr, " %.9g", double(target.data()[i]));
    std::fprintf(stderr, "\nweights:");
    for (Index i = 0; i < w.size(); ++i) std::fprintf(stderr, " %.9g", double(w.data()[i]));
    std::fprintf(stderr, "\n");
  }
  with_layout(layout, pred, target, [&](const auto& p, const auto& t) {
    if (weight_mode == 0)
      exercise(loss, p, t, d, plan.facts, bad_out);
    else
      exercise(loss, p, t, d, plan.facts, bad_out, lossfn::weights(w));
  });
}

template <class Loss>
void run_both(Loss loss, const Plan& plan, Bytes& b) {
  const bool sum = b.bit();
  if constexpr (!is_rmse<Loss>)
    loss.reduction(sum ? lossfn::Reduction::sum : lossfn::Reduction::mean);
  if (b.bit()) {
    if constexpr (exercised<double>) run<double>(loss, plan, b);
  } else {
    if constexpr (exercised<float>) run<float>(loss, plan, b);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  Plan plan;
  // An invalid option throws lossfn::invalid_argument from its setter; the
  // input is then done.
  const Outcome o = attempt([&] {
    switch (b.byte() % 21) {
      case 0:
        run_both(lossfn::MeanSquaredError(), plan, b);
        break;
      case 1:
        run_both(lossfn::RootMeanSquaredError(), plan, b);
        break;
      case 2:
        run_both(lossfn::MeanAbsoluteError(), plan, b);
        break;
      case 3:
        plan.pred = plan.target = Kind::probability;
        plan.tiny_pred_overflows = true;
        run_both(lossfn::BinaryCrossEntropy(), plan, b);
        break;
      case 4: {
        plan.target = Kind::probability;
        lossfn::BinaryCrossEntropyWithLogits loss;
        const int n = b.byte() % 8;  // 0: default; 1: scalar; else n - 1 per column
        if (n == 1) loss.pos_weight(option(b, 0, 4, plan.d));
        if (n > 1) {
          std::vector<double> pw(static_cast<std::size_t>(n - 2));
          for (double& v : pw) v = option(b, 0, 4, plan.d);
          loss.pos_weight(pw);
        }
        run_both(loss, plan, b);
        break;
      }
      case 5:
        plan.target = Kind::label;
        run_both(lossfn::Hinge().margin(option(b, -2, 3, plan.d)), plan, b);
        break;
      case 6:
        plan.target = Kind::label;
        plan.facts.nan_propagates = false;  // a NaN score predicts -1: documented
        run_both(lossfn::ZeroOneLoss(), plan, b);
        break;
      case 7: {
        plan.target = Kind::probability;
        lossfn::SigmoidFocalLoss loss;
        const double alpha = b.bit() ? -1.0 : option(b, 0, 1, plan.d);
        loss.alpha(alpha).gamma(option(b, 0, 5, plan.d));
        run_both(loss, plan, b);
        break;
      }
      case 8:
        run_both(lossfn::HuberLoss().delta(option(b, 0.01, 5, plan.d)), plan, b);
        break;
      case 9: {
        const double beta = b.bit() ? 0.0 : option(b, 0, 5, plan.d);
        // The Hessian inside the quadratic zone is 1/β: for β = 4.9e-324 it
        // is 2e323, beyond DBL_MAX, so +inf is its correct rounding.
        if (beta > 0 &&
            (!std::isfinite(1.0 / beta) ||
             (static_cast<float>(beta) > 0 && !std::isfinite(1.0f / static_cast<float>(beta)))))
          plan.d.moderate = false;
        run_both(lossfn::SmoothL1Loss().beta(beta), plan, b);
        break;
      }
      case 10:
        run_both(lossfn::LogCoshLoss(), plan, b);
        break;
      case 11:
        run_both(lossfn::QuantileLoss().quantile(option(b, 0, 1, plan.d)), plan, b);
        break;
      case 12:
        plan.target = Kind::label;
        run_both(lossfn::SquaredHinge().margin(option(b, -2, 3, plan.d)), plan, b);
        break;
      case 13: {
        const bool log_target = b.bit();
        plan.target = log_target ? Kind::real : Kind::probability;
        plan.facts.non_negative = false;  // terms t·(log t − x) of any sign
        run_both(lossfn::KLDivergence().log_target(log_target), plan, b);
        break;
      }
      case 15:
        plan.target = Kind::rate;  // >= 0; 0 is a valid Tweedie target
        run_both(lossfn::TweedieLoss().power(option(b, 1, 2, plan.d)), plan, b);
        break;
      case 16:
        plan.target = Kind::rate;         // a target of 0 is an error
        plan.facts.non_negative = false;  // t·e^{−x} + x can be negative
        run_both(lossfn::GammaLoss(), plan, b);
        break;
      case 17:
        run_both(lossfn::PseudoHuberLoss().delta(option(b, 1e-3, 1e3, plan.d)), plan, b);
        break;
      case 18:
        // Predictions > −1 (a rate), or any real (<= −1 is an error).
        plan.pred = b.bit() ? Kind::rate : Kind::real;
        plan.target = Kind::rate;
        run_both(lossfn::MeanSquaredLogError(), plan, b);
        break;
      case 19:
        run_both(lossfn::MeanAbsolutePercentageError(), plan, b);
        break;
      case 20:
        run_both(lossfn::ExpectileLoss().expectile(option(b, 0, 1, plan.d)), plan, b);
        break;
      default: {
        lossfn::PoissonNLLLoss loss;
        loss.log_input(b.bit()).full(b.bit());
        if (b.bit()) loss.eps(option(b, 1e-12, 1, plan.d));
        // t / (x + eps)² beyond S's range: with a tiny eps, a rate of 0 is enough
        if (!loss.log_input() && loss.eps() < 1e-18) plan.d.moderate = false;
        plan.pred = loss.log_input() ? Kind::real : Kind::rate;
        plan.target = Kind::rate;
        plan.facts.non_negative = false;  // exp(x) − t·x can be negative
        run_both(loss, plan, b);
        break;
      }
    }
  });
  (void)o;
  return 0;
}
