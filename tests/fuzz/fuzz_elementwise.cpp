// libFuzzer target: the element-wise losses (one term per coefficient of
// pred), RootMeanSquaredError and binary ZeroOneLoss. The bytes choose the
// loss and its options, the scalar type, the shape (0 rows and 1 column
// included), the layout, the reduction, sample weights and every value.
#include "fuzz_support.hpp"

namespace {

using namespace fuzz;

struct Plan {
  Kind pred = Kind::real, target = Kind::real;
  Facts facts;
};

template <class S, class Loss>
void run(const Loss& loss, const Plan& plan, Bytes& b) {
  const Index rows = b.byte() % 9;      // 0..8
  const Index cols = b.byte() % 5 + (b.bit() ? 1 : 0);  // 0..5, mostly >= 1
  const std::uint8_t shape = b.byte();
  const int layout = shape & 3;
  const int weight_mode = (shape >> 2) & 3;  // none, pred's shape, a column of N, a wrong shape
  const bool bad_out = (shape >> 4) & 1;
  const bool bad_target = ((shape >> 5) & 7) == 7;  // one row too many

  Decoded d;
  ColMajor<S> pred(rows, cols), target(rows + (bad_target ? 1 : 0), cols);
  for (Index i = 0; i < pred.size(); ++i) pred.data()[i] = number<S>(b, plan.pred, d);
  for (Index i = 0; i < target.size(); ++i) target.data()[i] = number<S>(b, plan.target, d);
  d.nan_pred = pred.hasNaN();
  ColMajor<S> w;
  switch (weight_mode) {
    case 1: w.resize(rows, cols); break;
    case 2: w.resize(rows, 1); break;
    case 3: w.resize(rows + 1, cols); break;
    default: break;
  }
  for (Index i = 0; i < w.size(); ++i) w.data()[i] = number<S>(b, Kind::weight, d);

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
  if constexpr (!is_rmse<Loss>) loss.reduction(sum ? lossfn::Reduction::sum : lossfn::Reduction::mean);
  if (b.bit())
    run<double>(loss, plan, b);
  else
    run<float>(loss, plan, b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  Plan plan;
  // An invalid option throws lossfn::invalid_argument from its setter; the
  // input is then done.
  const Outcome o = attempt([&] {
    switch (b.byte() % 15) {
      case 0: run_both(lossfn::MeanSquaredError(), plan, b); break;
      case 1: run_both(lossfn::RootMeanSquaredError(), plan, b); break;
      case 2: run_both(lossfn::MeanAbsoluteError(), plan, b); break;
      case 3:
        plan.pred = plan.target = Kind::probability;
        run_both(lossfn::BinaryCrossEntropy(), plan, b);
        break;
      case 4: {
        plan.target = Kind::probability;
        lossfn::BinaryCrossEntropyWithLogits loss;
        const int n = b.byte() % 8;  // 0: default; 1: scalar; else n - 1 per column
        if (n == 1) loss.pos_weight(option(b, 0, 4));
        if (n > 1) {
          std::vector<double> pw(static_cast<std::size_t>(n - 2));
          for (double& v : pw) v = option(b, 0, 4);
          loss.pos_weight(pw);
        }
        run_both(loss, plan, b);
        break;
      }
      case 5:
        plan.target = Kind::label;
        run_both(lossfn::Hinge().margin(option(b, -2, 3)), plan, b);
        break;
      case 6:
        plan.target = Kind::label;
        plan.facts.nan_propagates = false;  // a NaN score predicts -1: documented
        run_both(lossfn::ZeroOneLoss(), plan, b);
        break;
      case 7: {
        plan.target = Kind::probability;
        lossfn::SigmoidFocalLoss loss;
        loss.alpha(b.bit() ? -1.0 : option(b, 0, 1)).gamma(option(b, 0, 5));
        run_both(loss, plan, b);
        break;
      }
      case 8: run_both(lossfn::HuberLoss().delta(option(b, 0.01, 5)), plan, b); break;
      case 9: run_both(lossfn::SmoothL1Loss().beta(b.bit() ? 0.0 : option(b, 0, 5)), plan, b); break;
      case 10: run_both(lossfn::LogCoshLoss(), plan, b); break;
      case 11: run_both(lossfn::QuantileLoss().quantile(option(b, 0, 1)), plan, b); break;
      case 12:
        plan.target = Kind::label;
        run_both(lossfn::SquaredHinge().margin(option(b, -2, 3)), plan, b);
        break;
      case 13: {
        const bool log_target = b.bit();
        plan.target = log_target ? Kind::real : Kind::probability;
        plan.facts.non_negative = false;  // terms t·(log t − x) of any sign
        run_both(lossfn::KLDivergence().log_target(log_target), plan, b);
        break;
      }
      default: {
        lossfn::PoissonNLLLoss loss;
        loss.log_input(b.bit()).full(b.bit());
        if (b.bit()) loss.eps(option(b, 1e-12, 1));
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
