// plot_losses — every loss and its first and second derivatives, through the library.
//
// Evaluates each loss over a range of residuals, margins, logits or
// probabilities with the library's own entry points — unreduced() for the
// terms, gradient() and hessian_diagonal() for the derivatives, all with
// Reduction::sum so that each point is one term's derivative and not the
// mean's (which would be divided by the number of points) — and writes
//   <dir>/<figure>.dat   one block per curve: x, value, first, second
//   <dir>/plots.gp       a gnuplot script that draws docs/img/<figure>.svg
// scripts/plots.sh runs this program and gnuplot. Each derivative is checked
// against a central difference of the library's own lower-order output, so a
// plot cannot show a derivative the library does not compute.
//
//   plot_losses [--quick] [output directory]     (default: the current directory)
#include <cstdio>
#include <functional>
#include <lossfn/lossfn.hpp>
#include <map>

#include "example_support.hpp"

using Vector = Eigen::VectorXd;
using Matrix = Eigen::MatrixXd;
using Labels = Eigen::VectorXi;

namespace {

const char* const usage =
    "usage: plot_losses [--quick] [output directory]\n"
    "  Writes <dir>/<figure>.dat (x, loss, first and second derivative per curve, computed by\n"
    "  lossfn) and <dir>/plots.gp; `gnuplot -e \"outdir='docs/img'\" <dir>/plots.gp` draws the\n"
    "  SVG images. scripts/plots.sh does both. --quick: fewer points (used by the tests).\n";

/// One curve: samples of a loss term and its derivatives along x.
struct Curve {
  std::string title;
  Vector x, value, first, second;
  bool derivatives = true;
};

/// A figure: curves sharing an x axis, drawn as three panels (loss, first and
/// second derivative) in one SVG.
struct Figure {
  std::string name, x_label, derivative_label, caption;
  double y_min, y_max, d_min, d_max, h_min, h_max;  // panel ranges
  std::vector<Curve> curves;
};

example::Checks checks;
int derivative_failures = 0;

/// The derivative `library` against a central difference `(up − down)/(2h)` of
/// the library's own lower-order output. Where the derivative or the function
/// itself jumps within h of x (a kink of the loss or of its gradient) a central
/// difference means nothing, so those points are skipped; a curve may have at
/// most three of them.
void check_derivative(const std::string& what, const Vector& library, const Vector& up,
                      const Vector& down, const Vector& library_up, const Vector& library_down,
                      double h) {
  Eigen::Index bad = 0, skipped = 0;
  for (Eigen::Index i = 0; i < library.size(); ++i) {
    const double fd = (up(i) - down(i)) / (2 * h);
    const double tolerance = 1e-5 * (1 + std::abs(library(i)));
    const double scale = std::abs(library(i)) + std::abs(library_up(i)) + std::abs(library_down(i));
    const bool derivative_jumps = std::abs(library_up(i) - library_down(i)) > 100 * h * (1 + scale);
    const bool function_jumps = std::abs(up(i) - down(i)) > 1e-2 + 10 * h * scale;
    if ((derivative_jumps || function_jumps) && std::abs(fd - library(i)) > tolerance) {
      ++skipped;  // a kink within h of x
      continue;
    }
    bad += !(std::abs(fd - library(i)) <= tolerance);
  }
  if (bad > 0 || skipped > 3) {
    std::printf("  %s: %ld points disagree with central differences, %ld kinks\n", what.c_str(),
                long(bad), long(skipped));
    ++derivative_failures;
  }
}

constexpr double h = 1e-5;

/// An element-wise loss along x = pred, against a constant target.
template <class Loss>
Curve elementwise(const std::string& title, Loss loss, const Vector& x, double target) {
  loss.reduction(lossfn::Reduction::sum);  // each gradient entry is its own term's derivative
  const Vector t = Vector::Constant(x.size(), target);
  Curve c{title, x, loss.unreduced(x, t).matrix(), Vector(), Vector()};
  if constexpr (lossfn::traits<Loss>::twice_differentiable) {
    c.first = loss.gradient(x, t);
    c.second = loss.hessian_diagonal(x, t);
    const Vector up = (x.array() + h).matrix(), down = (x.array() - h).matrix();
    check_derivative(title + " gradient", c.first, loss.unreduced(up, t).matrix(),
                     loss.unreduced(down, t).matrix(), loss.gradient(up, t), loss.gradient(down, t),
                     h);
    check_derivative(title + " second derivative", c.second, loss.gradient(up, t),
                     loss.gradient(down, t), loss.hessian_diagonal(up, t),
                     loss.hessian_diagonal(down, t), h);
  } else {
    c.derivatives = false;
  }
  return c;
}

/// A row-wise (multi-class) loss along x: row i of pred is rows(x_i), every
/// label is `label`, and the derivatives plotted are those with respect to
/// column `column` of pred.
template <class Loss>
Curve rowwise(const std::string& title, Loss loss, const Vector& x,
              const std::function<Eigen::RowVectorXd(double)>& rows, int label,
              Eigen::Index column) {
  loss.reduction(lossfn::Reduction::sum);
  const Eigen::Index C = rows(0.0).size();
  Matrix pred(x.size(), C);
  for (Eigen::Index i = 0; i < x.size(); ++i) pred.row(i) = rows(x(i));
  const Labels y = Labels::Constant(x.size(), label);
  Curve c{title, x, loss.unreduced(pred, y).matrix(), Vector(), Vector()};
  if constexpr (lossfn::traits<Loss>::twice_differentiable) {
    c.first = loss.gradient(pred, y).col(column);
    c.second = loss.hessian_diagonal(pred, y).col(column);
    Matrix up = pred, down = pred;  // only the plotted column moves
    up.col(column).array() += h;
    down.col(column).array() -= h;
    check_derivative(title + " gradient", c.first, loss.unreduced(up, y).matrix(),
                     loss.unreduced(down, y).matrix(), loss.gradient(up, y).col(column),
                     loss.gradient(down, y).col(column), h);
    check_derivative(title + " second derivative", c.second, loss.gradient(up, y).col(column),
                     loss.gradient(down, y).col(column), loss.hessian_diagonal(up, y).col(column),
                     loss.hessian_diagonal(down, y).col(column), h);
  } else {
    c.derivatives = false;
  }
  return c;
}

/// n points from a to b, both included.
Vector grid(double a, double b, Eigen::Index n) {
  return Vector::LinSpaced(n, a, b);
}

void write(const Figure& f, const std::string& dir) {
  const std::string path = dir + "/" + f.name + ".dat";
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + path);
  std::fprintf(
      out, "# %s: %s\n# one block per curve (separated by two blank lines): x value first second\n",
      f.name.c_str(), f.caption.c_str());
  for (const Curve& c : f.curves) {
    std::fprintf(out, "# %s\n", c.title.c_str());
    for (Eigen::Index i = 0; i < c.x.size(); ++i) {
      if (c.derivatives)
        std::fprintf(out, "%.10g %.10g %.10g %.10g\n", c.x(i), c.value(i), c.first(i), c.second(i));
      else
        std::fprintf(out, "%.10g %.10g NaN NaN\n", c.x(i), c.value(i));
    }
    std::fprintf(out, "\n\n");
  }
  std::fclose(out);
}

/// The gnuplot script: one SVG per figure, three panels side by side, the
/// legend under the panels. Line styles differ in colour, dash pattern and
/// point marker, so that curves stay apart in grey and where they coincide.
void write_script(const std::vector<Figure>& figures, const std::string& dir) {
  const std::string path = dir + "/plots.gp";
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + path);
  std::fprintf(out,
               "# Written by plot_losses. Usage: gnuplot -e \"outdir='docs/img'\" %s\n"
               "if (!exists(\"outdir\")) outdir = '.'\n"
               "datadir = '%s'\n"
               "set terminal svg size 1260,560 dynamic font 'Helvetica,13' background '#ffffff'\n"
               "set grid lc rgb '#dddddd'\n"
               "set xzeroaxis lc rgb '#999999'\n"
               "set pointsize 0.8\n"
               "set border lc rgb '#444444'\n"
               "set style line 1 lc rgb '#1f77b4' lw 2.2 dt 1\n"
               "set style line 2 lc rgb '#d62728' lw 2.2 dt 2\n"
               "set style line 3 lc rgb '#2ca02c' lw 2.2 dt 4\n"
               "set style line 4 lc rgb '#9467bd' lw 2.2 dt 5\n"
               "set style line 5 lc rgb '#ff7f0e' lw 2.2 dt 3\n"
               "set style line 6 lc rgb '#17becf' lw 2.2 dt 1\n"
               "set style line 7 lc rgb '#7f7f7f' lw 2.2 dt 6\n"
               "set style line 8 lc rgb '#8c564b' lw 2.2 dt 1\n",
               path.c_str(), dir.c_str());
  for (const Figure& f : figures) {
    std::fprintf(out, "\n# ---- %s: %s\n", f.name.c_str(), f.caption.c_str());
    std::fprintf(out, "set output outdir.'/%s.svg'\n", f.name.c_str());
    std::fprintf(out, "set multiplot title '%s' font ',15'\nunset key\nset border\nset tics\n",
                 f.caption.c_str());
    const char* column[3] = {"2", "3", "4"};
    const std::string ylabel[3] = {"loss", "first derivative " + f.derivative_label,
                                   "second derivative " + f.derivative_label};
    const double lo[3] = {f.y_min, f.d_min, f.h_min}, hi[3] = {f.y_max, f.d_max, f.h_max};
    auto curve = [&](size_t k, const char* data) {
      std::fprintf(out, "%s%s with linespoints ls %zu pt %zu pi %ld title '%s'",
                   k ? ", \\\n     " : "", data, k % 8 + 1, k % 8 + 1,
                   long(f.curves[k].x.size() / 12 + 3 * k), f.curves[k].title.c_str());
    };
    // Three panels side by side above a strip that holds the legend.
    for (int panel = 0; panel < 3; ++panel) {
      std::fprintf(out,
                   "set origin %g,0.2\nset size %g,0.74\nset xlabel '%s'\nset ylabel '%s'\n"
                   "set yrange [%g:%g]\nset autoscale x\nplot ",
                   panel / 3.0, 1 / 3.0, f.x_label.c_str(), ylabel[panel].c_str(), lo[panel],
                   hi[panel]);
      for (size_t k = 0; k < f.curves.size(); ++k) {
        const std::string data = "datadir.'/" + f.name + ".dat' index " + std::to_string(k) +
                                 " using 1:" + column[panel];
        curve(k, data.c_str());
      }
      std::fprintf(out, "\n");
    }
    // The legend: the same styles, drawn with no data, in a plot without axes.
    std::fprintf(
        out,
        "set origin 0,0\nset size 1,0.2\nunset border\nunset tics\nunset xlabel\n"
        "unset ylabel\nunset grid\nunset xzeroaxis\nset xrange [0:1]\nset yrange [0:1]\n"
        "set key center center horizontal maxrows 2 samplen 4 width 2 font ',13' box\nplot ");
    for (size_t k = 0; k < f.curves.size(); ++k) curve(k, "NaN");
    std::fprintf(out,
                 "\nunset multiplot\nunset key\nset border\nset tics\nset grid\nset xzeroaxis\n"
                 "set autoscale x\n");
  }
  std::fclose(out);
}

}  // namespace

int main(int argc, char** argv) {
  const example::Arguments args = example::parse_arguments(argc, argv, usage);
  const std::string dir = args.csv_path.empty() ? "." : args.csv_path;  // the positional argument
  const Eigen::Index n = args.quick ? 121 : 301;  // both include the kinks at 0 and ±1 exactly

  std::vector<Figure> figures;

  // Regression: one term l(d) against the residual d = pred − target (target 0).
  {
    Figure f{"regression",
             "residual d = pred - target",
             "(d/d pred)",
             "Regression losses against the residual",
             -0.2,
             4.5,
             -4.2,
             4.2,
             -0.2,
             2.4,
             {}};
    const Vector d = grid(-3, 3, n);
    f.curves.push_back(elementwise("MSE: d^2", lossfn::MeanSquaredError(), d, 0));
    f.curves.push_back(elementwise("MAE: |d|", lossfn::MeanAbsoluteError(), d, 0));
    f.curves.push_back(elementwise("Huber, delta 1", lossfn::HuberLoss(), d, 0));
    f.curves.push_back(elementwise("SmoothL1, beta 2", lossfn::SmoothL1Loss().beta(2), d, 0));
    f.curves.push_back(elementwise("log-cosh", lossfn::LogCoshLoss(), d, 0));
    f.curves.push_back(elementwise("Quantile, q 0.9", lossfn::QuantileLoss().quantile(0.9), d, 0));
    f.curves.push_back(elementwise("PseudoHuber, delta 1", lossfn::PseudoHuberLoss(), d, 0));
    f.curves.push_back(
        elementwise("Expectile, tau 0.9", lossfn::ExpectileLoss().expectile(0.9), d, 0));
    figures.push_back(f);
  }

  // Binary classification on scores: the margin m = y·f, label +1, so m = f.
  {
    Figure f{"binary", "margin y*f (label +1)",
             "(d/df)", "Binary classification losses against the margin",
             -0.2,     4.5,
             -4.2,     1.2,
             -0.2,     2.4,
             {}};
    const Vector m = grid(-3, 3, n);
    f.curves.push_back(
        elementwise("logistic (BCEWithLogits)", lossfn::BinaryCrossEntropyWithLogits(), m, 1));
    f.curves.push_back(elementwise("Hinge", lossfn::Hinge(), m, 1));
    f.curves.push_back(elementwise("SquaredHinge", lossfn::SquaredHinge(), m, 1));
    f.curves.push_back(
        elementwise("SigmoidFocal, gamma 2, no alpha", lossfn::SigmoidFocalLoss().alpha(-1), m, 1));
    f.curves.push_back(
        elementwise("SigmoidFocal, gamma 2, alpha .25", lossfn::SigmoidFocalLoss(), m, 1));
    f.curves.push_back(elementwise("ZeroOne (no derivatives)", lossfn::ZeroOneLoss(), m, 1));
    figures.push_back(f);
  }

  // Multi-class on logits: C = 3, row (z, 0, 0), true class 0; derivatives
  // with respect to the true class's logit z.
  {
    Figure f{"multiclass",
             "logit of the true class z (the other two logits 0)",
             "(d/dz)",
             "Multi-class losses on logits, 3 classes",
             -0.2,
             4.5,
             -2.2,
             0.6,
             -0.1,
             1.5,
             {}};
    const Vector z = grid(-3, 3, n);
    auto row = [](double v) { return Eigen::RowVector3d(v, 0, 0); };
    f.curves.push_back(rowwise("SoftmaxCE", lossfn::SoftmaxCrossEntropy(), z, row, 0, 0));
    f.curves.push_back(rowwise("SoftmaxCE, smoothing 0.1",
                               lossfn::SoftmaxCrossEntropy().label_smoothing(0.1), z, row, 0, 0));
    f.curves.push_back(rowwise("MultiClassHinge (WW)", lossfn::MultiClassHinge(), z, row, 0, 0));
    f.curves.push_back(rowwise("MultiClassHinge (CS)",
                               lossfn::MultiClassHinge().crammer_singer(true), z, row, 0, 0));
    f.curves.push_back(
        rowwise("MultiClassHinge, squared", lossfn::MultiClassHinge().squared(true), z, row, 0, 0));
    f.curves.push_back(rowwise("SoftmaxFocal, gamma 2", lossfn::SoftmaxFocalLoss(), z, row, 0, 0));
    f.curves.push_back(rowwise("ZeroOne (no derivatives)", lossfn::ZeroOneLoss(), z, row, 0, 0));
    figures.push_back(f);
  }

  // Losses on probabilities: x = p, the probability given to the true class.
  {
    Figure f{"probabilities",
             "probability p of the true class (or of class 1)",
             "(d/dp; NLL: d/dlog p)",
             "Losses on probabilities and log-probabilities",
             -0.2,
             5.0,
             -12,
             4,
             -2,
             40,
             {}};
    const Vector p = grid(0.01, 0.99, n);
    f.curves.push_back(elementwise("BCE, target 1", lossfn::BinaryCrossEntropy(), p, 1.0));
    f.curves.push_back(elementwise("BCE, target 0.25", lossfn::BinaryCrossEntropy(), p, 0.25));
    f.curves.push_back(elementwise("BCE, target 0", lossfn::BinaryCrossEntropy(), p, 0.0));
    // Three classes, (p, (1-p)/2, (1-p)/2), true class 0: −log p, as BCE with target 1,
    // but its derivative is the partial in p_0 alone (no renormalisation).
    auto probabilities = [](double v) { return Eigen::RowVector3d(v, (1 - v) / 2, (1 - v) / 2); };
    f.curves.push_back(rowwise("CategoricalCE (3 classes)", lossfn::CategoricalCrossEntropy(), p,
                               probabilities, 0, 0));
    auto log_probabilities = [](double v) {
      return Eigen::RowVector3d(std::log(v), std::log((1 - v) / 2), std::log((1 - v) / 2));
    };
    f.curves.push_back(rowwise("NLL on log p (d/dlog p)", lossfn::NegativeLogLikelihood(), p,
                               log_probabilities, 0, 0));
    figures.push_back(f);
  }

  // Distribution losses on their log-space input x.
  {
    Figure f{"distributions",
             "input x (log-probability, or log-rate)",
             "(d/dx)",
             "KL divergence, Poisson, Tweedie and gamma NLL against their log-space input",
             -3,
             8,
             -4,
             8,
             -0.5,
             8,
             {}};
    const Vector x = grid(-3, 2, n);
    f.curves.push_back(elementwise("KLDivergence, target 0.5", lossfn::KLDivergence(), x, 0.5));
    f.curves.push_back(elementwise("PoissonNLL, target 1", lossfn::PoissonNLLLoss(), x, 1.0));
    f.curves.push_back(elementwise("PoissonNLL, target 3", lossfn::PoissonNLLLoss(), x, 3.0));
    f.curves.push_back(
        elementwise("PoissonNLL, target 3, full", lossfn::PoissonNLLLoss().full(true), x, 3.0));
    f.curves.push_back(elementwise("Tweedie, power 1.5, target 3", lossfn::TweedieLoss(), x, 3.0));
    f.curves.push_back(elementwise("Gamma, target 3", lossfn::GammaLoss(), x, 3.0));
    figures.push_back(f);
  }

  // MSLE against the prediction itself (pred > −1): its Hessian turns
  // negative where log((1 + p)/(1 + t)) > 1.
  {
    Figure f{"msle",   "prediction p",
             "(d/dp)", "Squared log error against the prediction, targets 0 and 1",
             -0.2,     4.5,
             -4.2,     2.5,
             -2.5,     8,
             {}};
    const Vector p = grid(-0.8, 4, n);
    f.curves.push_back(elementwise("MSLE, target 0", lossfn::MeanSquaredLogError(), p, 0.0));
    f.curves.push_back(elementwise("MSLE, target 1", lossfn::MeanSquaredLogError(), p, 1.0));
    figures.push_back(f);
  }

  size_t curves = 0;
  try {
    for (const Figure& f : figures) write(f, dir), curves += f.curves.size();
    write_script(figures, dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  std::printf("wrote %zu curves in %zu figures (%ld points each) to %s/*.dat and %s/plots.gp\n",
              curves, figures.size(), long(n), dir.c_str(), dir.c_str());
  std::printf(
      "draw them: gnuplot -e \"outdir='docs/img'\" %s/plots.gp   (or: bash scripts/plots.sh)\n",
      dir.c_str());
  checks.expect(
      derivative_failures == 0,
      "every first and second derivative agrees with central differences of the library's "
      "own values and gradients (away from kinks)");
  return checks.exit_code();
}
