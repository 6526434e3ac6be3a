#!/usr/bin/python3
"""Reference cases of the six element-wise objectives: tests/data/cases_objectives.txt.

Run:  /usr/bin/python3 tests/tools/objectives_reference.py > tests/data/cases_objectives.txt
(Debian's python3-sklearn, python3-mpmath, python3-numpy; deterministic.)

Losses and where each number comes from (float64 results, d = pred - target):

  TweedieLoss (power rho), GammaLoss: log link, x = pred the raw score.
    Gradient and Hessian: scikit-learn's sklearn._loss.loss.HalfTweedieLoss(power=rho)
    and HalfGammaLoss, gradient_hessian(y_true=t, raw_prediction=x): the "half
    deviance" has the same derivatives in x as lossfn's terms (no factor 1/2
    to undo). The half deviance (the docstrings' formula, 0 at the optimum
    x = log t) differs from lossfn's terms by per-sample constants:
      half Tweedie deviance = l_Tweedie + t^(2-rho) / ((1-rho)(2-rho))
      half gamma deviance   = l_Gamma   - log(t) - 1
    with l_Tweedie = -t e^{(1-rho)x}/(1-rho) + e^{(2-rho)x}/(2-rho) and
    l_Gamma = t e^{-x} + x. scikit-learn 1.2's loss() leaves those constants
    out: it returns lossfn's terms, and loss() + constant_to_optimal_zero(t)
    is the half deviance. Values: the mpmath closed form (mp.dps = 50); the
    generator asserts that scikit-learn's loss(), its half deviance less the
    constant above, its gradient and its Hessian agree with mpmath's (to
    1e-12 of the magnitudes involved, where a subtraction cancels).
  PseudoHuberLoss (delta), MeanSquaredLogError, MeanAbsolutePercentageError,
  ExpectileLoss (expectile tau): mpmath closed forms (mp.dps = 50) of the
    value, gradient and Hessian:
      pseudo-Huber  delta^2 (sqrt(1 + (d/delta)^2) - 1), d / sqrt(1 + (d/delta)^2),
                    (1 + (d/delta)^2)^(-3/2)
      MSLE          r^2, 2r/(1 + p), 2(1 - r)/(1 + p)^2, r = log(1 + p) - log(1 + t)
      MAPE          100|d|/m, 100 sign(d)/m (0 at d = 0), 0; m = max(|t|, 1e-7)
                    with 1e-7 the float64 number
      Expectile     a u^2, -2 a u, 2 a; u = t - p, a = tau where u >= 0 else 1 - tau
                    (1 - tau exact from the float64 tau)
    The gradient is also checked against a central difference of the mpmath
    value (away from kinks).

Reductions (as tests/data/README.md, "Beyond the first release"): with sample
weights w (1 without), unreduced = w l, sum = sum w l, mean = sum w l / sum w;
gradient and Hessian are w l' and w l'' (sum) or divided by sum w (mean).

Inputs are rounded to float32, so a float run sees the numbers double sees
(to bfloat16 in cases named *bf16*, for the 16-bit runs);
cases named *double_extremes* hold results float cannot: they run in double
only (the runner skips any case whose results exceed float's range anyway).
Every result is finite in float64 (points whose terms overflow are left out).
"""
import sys

import mpmath as mp
import numpy as np
from sklearn._loss.loss import HalfGammaLoss, HalfTweedieLoss

mp.mp.dps = 50
rng = np.random.default_rng(20261208)
out = sys.stdout


def f32(v):
    return float(np.float32(v))


def fmt(v):
    v = float(v)
    if v == 0:
        return "0.0" if np.copysign(1.0, v) > 0 else "-0.0"
    assert np.isfinite(v), v
    assert abs(v) >= 2.2250738585072014e-308, v  # no subnormals in the format
    return repr(v)


def flush(v):
    """mpf -> float64, subnormal results written as 0 (the format has none)."""
    x = float(v)
    return 0.0 if abs(x) < 2.2250738585072014e-308 else x


# ---- closed forms (mpmath) ------------------------------------------------------


def tweedie(rho):
    r = mp.mpf(rho)

    def terms(x, t):
        x, t = mp.mpf(x), mp.mpf(t)
        a = mp.exp((2 - r) * x)
        b = t * mp.exp((1 - r) * x) if t != 0 else mp.mpf(0)
        return (b / (r - 1) + a / (2 - r), a - b, (2 - r) * a + (r - 1) * b)

    return terms


def gamma():
    def terms(x, t):
        x, t = mp.mpf(x), mp.mpf(t)
        s = t * mp.exp(-x)
        return (s + x, 1 - s, s)

    return terms


def pseudo_huber(delta):
    dl = mp.mpf(delta)

    def terms(p, t):
        d = mp.mpf(p) - mp.mpf(t)
        h = mp.sqrt(1 + (d / dl) ** 2)
        return (dl**2 * (h - 1), d / h, h**-3)

    return terms


def msle():
    def terms(p, t):
        p, t = mp.mpf(p), mp.mpf(t)
        r = mp.log(1 + p) - mp.log(1 + t)
        return (r * r, 2 * r / (1 + p), 2 * (1 - r) / (1 + p) ** 2)

    return terms


def mape():
    floor = mp.mpf(1e-7)

    def terms(p, t):
        d = mp.mpf(p) - mp.mpf(t)
        m = max(abs(mp.mpf(t)), floor)
        return (100 * abs(d) / m, 100 * mp.sign(d) / m, mp.mpf(0))

    return terms


def expectile(tau):
    under, over = mp.mpf(tau), 1 - mp.mpf(tau)

    def terms(p, t):
        u = mp.mpf(t) - mp.mpf(p)
        a = under if u >= 0 else over
        return (a * u * u, -2 * a * u, 2 * a)

    return terms


# ---- scikit-learn: gradients and Hessians of the log-link losses ---------------


def sklearn_check(loss, option, x, t, terms):
    """scikit-learn's gradient and Hessian (and value, less its constant) at
    the points, asserted equal to mpmath's; returns sklearn's derivatives."""
    xs, ts = np.array(x, dtype=np.float64), np.array(t, dtype=np.float64)
    if loss == "TweedieLoss":
        sk = HalfTweedieLoss(power=option)
        const = [mp.mpf(ti) ** (2 - mp.mpf(option)) / ((1 - mp.mpf(option)) * (2 - mp.mpf(option)))
                 for ti in ts]
    else:
        sk = HalfGammaLoss()
        const = [-mp.log(mp.mpf(ti)) - 1 for ti in ts]
    value = sk.loss(y_true=ts, raw_prediction=xs)
    deviance = value + sk.constant_to_optimal_zero(y_true=ts)
    grad, hess = sk.gradient_hessian(y_true=ts, raw_prediction=xs)
    for k in range(len(xs)):
        l, g, h = terms[k]
        assert abs(mp.mpf(value[k]) - l) <= 1e-12 * (abs(l) + abs(h) + 1), (loss, xs[k], ts[k])
        # Less its constant, the half deviance is lossfn's term; the
        # subtraction cancels, so compare at the scale of the numbers subtracted.
        scale = abs(mp.mpf(deviance[k])) + abs(const[k]) + abs(l)
        assert abs(mp.mpf(deviance[k]) - const[k] - l) <= 1e-12 * scale, (loss, xs[k], ts[k])
        # Gradients cancel near the optimum (e^{(2-rho)x} against t e^{(1-rho)x}):
        # compare at the scale of the two parts.
        parts = abs(h) + abs(g) + 1
        assert abs(mp.mpf(grad[k]) - g) <= 1e-12 * parts + 1e-13 * abs(g), (loss, xs[k], ts[k], grad[k], g)
        assert abs(mp.mpf(hess[k]) - h) <= 1e-12 * abs(h) + 1e-300, (loss, xs[k], ts[k])  # underflow
    return grad, hess


def central_difference_check(terms_of, p, t, g):
    """The closed-form gradient against a central difference of the value
    (at 100 digits, so that a term of 1e30 keeps the step's digits)."""
    with mp.workdps(100):
        step = mp.mpf(10) ** -20 * max(1, abs(mp.mpf(p)))
        fd = (terms_of(mp.mpf(p) + step, t)[0] - terms_of(mp.mpf(p) - step, t)[0]) / (2 * step)
        assert abs(fd - g) <= mp.mpf(10) ** -12 * (abs(g) + 1), (p, t, fd, g)


# ---- cases ---------------------------------------------------------------------------


def write_case(name, loss, options, pred, target, weights, terms_of, sklearn_option=None,
               kink=False):
    rows, cols = pred.shape
    flat_p, flat_t = pred.ravel(), target.ravel()
    terms = [terms_of(p, t) for p, t in zip(flat_p, flat_t)]
    for (l, g, h) in terms:
        for v in (l, g, h):
            assert mp.isfinite(v) and abs(v) < mp.mpf("1e300"), (name, v)
    if not kink:
        for (p, t), (l, g, h) in zip(zip(flat_p, flat_t), terms):
            central_difference_check(terms_of, p, t, g)
    grads = [g for (_, g, _) in terms]
    hessians = [h for (_, _, h) in terms]
    if sklearn_option is not None:
        grads, hessians = sklearn_check(loss, sklearn_option, flat_p, flat_t, terms)
        grads, hessians = [mp.mpf(v) for v in grads], [mp.mpf(v) for v in hessians]
    if weights is None:
        w = [mp.mpf(1)] * len(flat_p)
    elif weights.shape == pred.shape:
        w = [mp.mpf(v) for v in weights.ravel()]
    else:  # one weight per row, broadcast along it
        w = [mp.mpf(weights[i, 0]) for i in range(rows) for _ in range(cols)]
    reduction = options.get("reduction", "mean")
    total = sum(w)
    scale = 1 if reduction == "sum" else (1 / total if total > 0 else 0)
    value = sum(wk * l for wk, (l, _, _) in zip(w, terms)) * scale
    out.write(f"case {name}\nloss {loss}\n")
    for key, v in options.items():
        out.write(f"option {key} {v}\n")
    matrix = lambda key, m: out.write(  # noqa: E731
        f"{key} {m.shape[0]} {m.shape[1]} " + " ".join(fmt(v) for v in m.ravel()) + "\n")
    matrix("pred", pred)
    matrix("target", target)
    if weights is not None:
        matrix("weights", weights)
    out.write(f"value {fmt(flush(value))}\n")
    shape = lambda vs: np.array([flush(v) for v in vs]).reshape(rows, cols)  # noqa: E731
    matrix("gradient", shape([wk * g * scale for wk, g in zip(w, grads)]))
    matrix("unreduced", shape([wk * l for wk, (l, _, _) in zip(w, terms)]))
    matrix("hessian", shape([wk * h * scale for wk, h in zip(w, hessians)]))
    out.write("end\n")


def rounded(a):
    return np.vectorize(f32)(np.asarray(a, dtype=np.float64))


def bf16(a):
    """Rounded to bfloat16 (8 significant bits, nearest even): numbers that
    Eigen::bfloat16 holds exactly, and Eigen::half too in its range."""
    bits = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def bf16_cases(prefix, loss, options, draw, terms_of, sklearn=False):
    """A 3 x 4 case without weights (mean) and one with weights (sum), every
    input exact in bfloat16, for the 16-bit runs (half_precision_extended_test)."""
    option = options.get("power", 1.5) if loss == "TweedieLoss" else 0
    for reduction, weighted in (("mean", False), ("sum", True)):
        pred, target = draw(3, 4)
        weights = bf16(rng.uniform(0, 2, (3, 4))) if weighted else None
        opts = dict(options)
        opts["reduction"] = reduction
        write_case(f"{prefix}_bf16_3x4_{reduction}{'_weighted' if weighted else ''}", loss, opts,
                   bf16(pred), bf16(target), weights, terms_of,
                   sklearn_option=option if sklearn else None)


SHAPES = [(1, 1), (1, 7), (6, 1), (3, 4)]


def random_cases(prefix, loss, options_list, draw, terms_for, sklearn=False):
    """Every shape, mean and sum, without weights, with pred-shaped weights and
    with one weight per row."""
    for options in options_list:
        tag = "_".join(f"{k}{v}" for k, v in options.items())
        terms_of = terms_for(options)
        for rows, cols in SHAPES:
            for reduction in ("mean", "sum"):
                for weighting in ("none", "full", "rows"):
                    if weighting == "rows" and cols == 1:
                        continue
                    pred, target = draw(rows, cols)
                    weights = None
                    if weighting == "full":
                        weights = rounded(rng.uniform(0, 2, (rows, cols)))
                    elif weighting == "rows":
                        weights = rounded(rng.uniform(0, 2, (rows, 1)))
                    opts = dict(options)
                    opts["reduction"] = reduction
                    name = f"{prefix}{'_' + tag if tag else ''}_{rows}x{cols}_{reduction}_w{weighting}"
                    option = options.get("power", 1.5) if loss == "TweedieLoss" else 0
                    write_case(name, loss, opts, pred, target, weights, terms_of,
                               sklearn_option=option if sklearn else None)


def grid(xs, ts):
    """Every (x, t) pair of the two lists, as one row each of a N x 1 case."""
    pairs = [(f32(x), f32(t)) for x in xs for t in ts]
    return (np.array([[p] for p, _ in pairs]), np.array([[t] for _, t in pairs]))


def extreme_cases(prefix, loss, options_list, xs, ts, terms_for, sklearn=False, keep=None,
                  kink=False, double_only=None):
    """The grid xs x ts (points whose float64 terms overflow left out), mean and
    sum; points that float cannot compute go to a *double_extremes* case."""
    for options in options_list:
        tag = "_".join(f"{k}{v}" for k, v in options.items())
        terms_of = terms_for(options)
        pred, target = grid(xs, ts)
        good, hard = [], []
        for i in range(pred.shape[0]):
            p, t = pred[i, 0], target[i, 0]
            if keep is not None and not keep(p, t):
                continue
            l, g, h = terms_of(p, t)
            if not all(mp.isfinite(v) and abs(v) < mp.mpf("1e300") for v in (l, g, h)):
                continue
            (hard if double_only is not None and double_only(p, t, options) else good).append(i)
        for kind, part in (("extremes", good), ("double_extremes", hard)):
            if not part:
                continue
            for reduction in ("sum", "mean"):
                opts = dict(options)
                opts["reduction"] = reduction
                option = options.get("power", 1.5) if loss == "TweedieLoss" else 0
                write_case(f"{prefix}_{kind}{'_' + tag if tag else ''}_{reduction}", loss,
                           opts, pred[part], target[part], None, terms_of,
                           sklearn_option=option if sklearn else None, kink=kink)


def main():
    normal = lambda r, c: (rounded(rng.normal(0, 1, (r, c))), rounded(rng.normal(0, 1, (r, c))))  # noqa: E731
    big = [0.0, 1e-7, -0.3, 0.7, 2.5, -2.5, 30.0, -30.0, 700.0, -700.0]

    # Tweedie: log-scores, targets >= 0 (zeros included).
    def tweedie_draw(r, c):
        x = rounded(rng.normal(0, 1, (r, c)))
        t = rounded(np.where(rng.uniform(size=(r, c)) < 0.3, 0.0, rng.gamma(1.5, 1.0, (r, c))))
        return x, t

    tweedie_for = lambda o: tweedie(o.get("power", 1.5))  # noqa: E731
    bf16_cases("tweedie", "TweedieLoss", {}, tweedie_draw, tweedie(1.5), sklearn=True)
    random_cases("tweedie", "TweedieLoss", [{}, {"power": 1.2}, {"power": 1.9}], tweedie_draw,
                 tweedie_for, sklearn=True)
    # Float computes t e^{(1-rho)x} as a product: where e^{(1-rho)x} alone
    # overflows float (x < -88.7/(rho - 1)) the case is double only.
    tweedie_hard = lambda x, t, o: (1 - o.get("power", 1.5)) * x > 88  # noqa: E731
    extreme_cases("tweedie", "TweedieLoss",
                  [{}, {"power": 1.000001}, {"power": 1.999999}, {"power": 1.3}],
                  big, [0.0, 1e-30, 1e-3, 1.0, 3.5, 1e30], tweedie_for, sklearn=True,
                  double_only=tweedie_hard)

    def gamma_draw(r, c):
        return rounded(rng.normal(0, 1, (r, c))), rounded(rng.gamma(2.0, 1.0, (r, c)) + 1e-3)

    random_cases("gamma", "GammaLoss", [{}], gamma_draw, lambda o: gamma(), sklearn=True)
    bf16_cases("gamma", "GammaLoss", {}, gamma_draw, gamma(), sklearn=True)
    extreme_cases("gamma", "GammaLoss", [{}], big, [1e-30, 1e-3, 0.367879441, 1.0, 3.5, 1e30],
                  lambda o: gamma(), sklearn=True, double_only=lambda x, t, o: -x > 88)

    ph_for = lambda o: pseudo_huber(o.get("delta", 1.0))  # noqa: E731
    random_cases("pseudo_huber", "PseudoHuberLoss", [{}, {"delta": 0.5}, {"delta": 3.0}], normal,
                 ph_for)
    bf16_cases("pseudo_huber", "PseudoHuberLoss", {"delta": 0.5}, normal, pseudo_huber(0.5))
    wide = [0.0, 1e-30, -1e-3, 0.5, -2.0, 30.0, -30.0, 700.0, -700.0, 1e30, -1e30]
    extreme_cases("pseudo_huber", "PseudoHuberLoss",
                  [{}, {"delta": 0.001}, {"delta": 1000.0}], wide, [0.0, 1.5, -1e30, 1e-30],
                  ph_for)

    def msle_draw(r, c):
        return (rounded(np.expm1(rng.normal(0, 1, (r, c)))),
                rounded(np.expm1(rng.normal(0, 1, (r, c)))))

    random_cases("msle", "MeanSquaredLogError", [{}], msle_draw, lambda o: msle())
    bf16_cases("msle", "MeanSquaredLogError", {}, msle_draw, msle())
    near = [-0.999, f32(-1 + 2**-20), -0.5, 0.0, 1e-30, 1e-7, 1.0, 30.0, 700.0, 1e30]
    extreme_cases("msle", "MeanSquaredLogError", [{}], near, near, lambda o: msle())

    random_cases("mape", "MeanAbsolutePercentageError", [{}], normal, lambda o: mape())
    bf16_cases("mape", "MeanAbsolutePercentageError", {}, normal, mape())
    extreme_cases("mape", "MeanAbsolutePercentageError", [{}],
                  [0.0, 1e-30, -3.0, 30.0, -700.0, 1e30], [0.0, 1e-30, 5e-8, 1e-7, -2.0, 1e30],
                  lambda o: mape(), kink=True)

    ex_for = lambda o: expectile(o.get("expectile", 0.5))  # noqa: E731
    random_cases("expectile", "ExpectileLoss", [{}, {"expectile": 0.9}, {"expectile": 0.1}],
                 normal, ex_for)
    bf16_cases("expectile", "ExpectileLoss", {"expectile": 0.9}, normal, expectile(0.9))
    extreme_cases("expectile", "ExpectileLoss",
                  [{}, {"expectile": 1e-06}, {"expectile": 0.999999}],
                  [0.0, -3.0, 30.0, -30.0, 700.0, -700.0, 1e30], [0.0, 30.0, -1e30, 1e-30],
                  ex_for, kink=True)


if __name__ == "__main__":
    main()
