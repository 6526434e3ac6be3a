#!/usr/bin/python3
"""Reference cases of CoxProportionalHazards: tests/data/cases_cox.txt.

Run:  /usr/bin/python3 tests/tools/cox_reference.py > tests/data/cases_cox.txt

Three implementations this project did not write, which must agree before a
case is written (the script stops otherwise):
  - mpmath at 60 digits: the Breslow partial likelihood in closed form,
    l = -sum_i w_i d_i (x_i - log R_i), R_i = sum_{t_j >= t_i} w_j e^{x_j};
    its gradient and Hessian diagonal by mpmath's numerical differentiation
    of that closed form (mp.diff, at 60 digits) where N <= 12, and by the
    closed forms w_k e^{x_k} A_k - w_k d_k and w_k e^{x_k} A_k -
    w_k^2 e^{2x_k} B_k everywhere (both when N <= 12, and they must agree);
  - PyTorch (python3-torch) autograd in float64 of the same likelihood
    written with logsumexp over each risk set: value, gradient and
    torch.autograd.functional.hessian's diagonal;
  - XGBoost's survival:cox gradient and Hessian, as its source
    (src/objective/regression_obj.cu, CoxRegression::GetGradient, 1.7)
    computes them, transcribed here in float64: with unit weights and
    distinct times they are this loss's sum-reduction derivatives (checked
    where scores are moderate: XGBoost's risk sums are a running total minus
    the exponentials of earlier times, which cancels for scores of +-30).
Written numbers are mpmath's, rounded to float64. Inputs are floats (so a
float run sees the same numbers) except where a case's name says
double_extremes.
"""
import math
import random
import sys

import mpmath as mp
import torch

mp.mp.dps = 60


def log_risk_minus(x, t, w, i):
    """log R_i - x_i = log sum_{t_j >= t_i} w_j e^{x_j - x_i}: exactly 0 where
    subject i is alone in its risk set (log(e^x) - x would leave 1e-60)."""
    return mp.log(mp.fsum(mp.mpf(w[j]) * mp.exp(mp.mpf(x[j]) - x[i])
                          for j in range(len(x)) if t[j] >= t[i]))


def breslow_value(x, t, e, w):
    """-sum_i w_i d_i (x_i - log R_i), in mpmath."""
    return mp.fsum(mp.mpf(w[i]) * log_risk_minus(x, t, w, i)
                   for i in range(len(x)) if e[i] and w[i] > 0)


def closed_forms(x, t, e, w):
    """Terms, gradient and Hessian diagonal (sum reduction), in mpmath, with
    the share of subject k in the risk set of event i, p_ki = w_k e^{x_k}/R_i:
    g_k = sum_i w_i p_ki - w_k d_k,  h_k = sum_i w_i p_ki (1 - p_ki),
    the sums over events i with t_i <= t_k (w e^x A and w^2 e^{2x} B)."""
    n = len(x)
    xs = [mp.mpf(v) for v in x]
    terms = [mp.mpf(w[i]) * log_risk_minus(xs, t, w, i) if e[i] and w[i] > 0 else mp.mpf(0)
             for i in range(n)]
    grad, hess = [], []
    for k in range(n):
        g, h = -mp.mpf(w[k] if e[k] else 0), mp.mpf(0)
        for i in range(n):
            if not (e[i] and w[i] > 0 and t[i] <= t[k]):
                continue
            share = mp.mpf(w[k]) / mp.fsum(mp.mpf(w[j]) * mp.exp(xs[j] - xs[k])
                                           for j in range(n) if t[j] >= t[i])
            g += w[i] * share
            h += w[i] * share * (1 - share)
        grad.append(g)
        hess.append(h)
    return terms, grad, hess


def numerical_derivatives(x, t, e, w):
    grad, hess = [], []
    for k in range(len(x)):
        def f(v, k=k):
            y = list(map(mp.mpf, x))
            y[k] = v
            return breslow_value(y, t, e, w)
        grad.append(mp.diff(f, mp.mpf(x[k]), 1))
        hess.append(mp.diff(f, mp.mpf(x[k]), 2))
    return grad, hess


def torch_derivatives(x, t, e, w):
    n = len(x)
    if n == 0:
        return 0.0, [], []
    tt = torch.tensor(t, dtype=torch.float64)
    ww = torch.tensor(w, dtype=torch.float64)
    ee = torch.tensor([float(v) for v in e], dtype=torch.float64)
    at_risk = tt[None, :] >= tt[:, None]  # [i, j]: t_j >= t_i
    log_w = torch.where(ww > 0, ww.log(), torch.full_like(ww, -math.inf))
    counted = (ee * ww) > 0

    def value(xx):
        scores = torch.where(at_risk, (xx + log_w)[None, :], torch.full((n, n), -math.inf,
                                                                        dtype=torch.float64))
        log_risk = torch.logsumexp(scores, dim=1)
        terms = torch.where(counted, ww * ee * (log_risk - xx), torch.zeros_like(xx))
        return terms.sum()

    xx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    v = value(xx)
    (g,) = torch.autograd.grad(v, xx)
    h = torch.autograd.functional.hessian(value, torch.tensor(x, dtype=torch.float64))
    return float(v), g.tolist(), torch.diagonal(h).tolist()


def xgboost_derivatives(x, t, e):
    """XGBoost 1.7's CoxRegression::GetGradient (unit weights), float64."""
    n = len(x)
    order = sorted(range(n), key=lambda i: t[i])  # LabelAbsSort: by |label|, stable
    exp_p_sum = sum(math.exp(x[i]) for i in order)
    r_k = s_k = 0.0
    last_exp_p = last_abs_y = accumulated = 0.0
    grad, hess = [0.0] * n, [0.0] * n
    for i in order:
        exp_p = math.exp(x[i])
        accumulated += last_exp_p
        if last_abs_y < t[i]:
            exp_p_sum -= accumulated
            accumulated = 0.0
        if e[i]:
            r_k += 1.0 / exp_p_sum
            s_k += 1.0 / (exp_p_sum * exp_p_sum)
        grad[i] = exp_p * r_k - (1.0 if e[i] else 0.0)
        hess[i] = exp_p * r_k - exp_p * exp_p * s_k
        last_abs_y, last_exp_p = t[i], exp_p
    return grad, hess


def agree(name, what, got, want, tol, floor=1e-300):
    """|got - want| <= tol (|want| + 1e-3 max|want|) + floor, element by element."""
    scale = max([abs(mp.mpf(v)) for v in want] + [mp.mpf(0)])
    for k, (a, b) in enumerate(zip(got, want)):
        if not abs(mp.mpf(a) - mp.mpf(b)) <= tol * (abs(mp.mpf(b)) + 1e-3 * scale) + floor:
            sys.exit(f"{name}: {what}[{k}] = {float(a)!r}, mpmath {float(b)!r}")


def number(v):
    return repr(float(v))


def matrix(rows, cols, values):
    return f"{rows} {cols} " + " ".join(values) if values else f"{rows} {cols}"


def case(out, name, x, t, e, w=None, reduction="mean", integer_times=False):
    n = len(x)
    weights = w if w is not None else [1.0] * n
    terms, grad, hess = closed_forms(x, t, e, weights)
    total = mp.fsum(terms)
    # The closed forms against mpmath's own differentiation of the value.
    if n <= 12:
        num_g, num_h = numerical_derivatives(x, t, e, weights)
        # (mp.diff's own error is absolute, about 1e-50 here.)
        agree(name, "mp.diff gradient", grad, num_g, 1e-20, 1e-40)
        agree(name, "mp.diff hessian", hess, num_h, 1e-20, 1e-40)
    # PyTorch autograd in float64.
    tv, tg, th = torch_derivatives(x, t, e, weights)
    agree(name, "torch value", [tv], [total], 1e-12)
    agree(name, "torch gradient", tg, grad, 1e-11)
    # Autograd's Hessian is a difference of the two parts w e^x A and
    # w^2 e^{2x} B, each up to sum w_i d_i: it is exact only to about 2^-52 of
    # that, absolute (0 where the true value is 1.6e-20 in the +-700 case).
    events = sum(weights[i] for i in range(n) if e[i])
    agree(name, "torch hessian", th, hess, 1e-10, 8 * 2.0 ** -53 * events)
    # XGBoost's formula where it applies: unit weights, distinct times, and
    # moderate scores: XGBoost forms each R_i as the total of e^x minus those
    # of earlier times, which cancels (scores of +-30 leave it 3e-4 relative
    # off on a small gradient, and e^700 overflows its sum).
    if w is None and len(set(t)) == n and n and max(abs(v) for v in x) < 10:
        xg, xh = xgboost_derivatives(x, t, e)
        agree(name, "xgboost gradient", xg, grad, 1e-11)
        agree(name, "xgboost hessian", xh, hess, 1e-10)
    scale = 1 if reduction == "sum" or events == 0 else 1 / events
    out.write(f"case {name}\nloss CoxProportionalHazards\n")
    if reduction == "sum":
        out.write("option reduction sum\n")
    out.write(f"pred {matrix(n, 1, [number(v) for v in x])}\n")
    time_text = (lambda v: str(int(v))) if integer_times else number
    out.write("target " + matrix(n, 2, [s for i in range(n)
                                          for s in (time_text(t[i]), str(int(e[i])))]) + "\n")
    if w is not None:
        out.write(f"weights {matrix(n, 1, [number(v) for v in w])}\n")
    out.write(f"value {number(total * scale)}\n")
    out.write(f"gradient {matrix(n, 1, [number(g * scale) for g in grad])}\n")
    out.write(f"unreduced {matrix(n, 1, [number(v) for v in terms])}\n")
    out.write(f"hessian {matrix(n, 1, [number(h * scale) for h in hess])}\n")
    out.write("end\n")


def f32(v):
    return float(torch.tensor(v, dtype=torch.float32))


def main():
    rng = random.Random(20261208)
    out = sys.stdout

    def scores(n, lo=-2.0, hi=2.0):
        return [f32(rng.uniform(lo, hi)) for _ in range(n)]

    def times(n, distinct=True):
        if distinct:
            return [f32(v) for v in rng.sample([k * 0.25 for k in range(1, 4 * n + 1)], n)]
        return [f32(rng.choice([0.5, 1.0, 2.0, 3.5])) for _ in range(n)]

    def events(n, p=0.6):
        return [1 if rng.random() < p else 0 for _ in range(n)]

    for r in ("mean", "sum"):
        n = 8
        case(out, f"cox_distinct_8_{r}", scores(n), times(n), events(n), reduction=r)
        case(out, f"cox_ties_10_{r}", scores(10), times(10, False), events(10), reduction=r)
        w = [f32(rng.uniform(0.1, 3.0)) for _ in range(10)]
        w[3] = 0.0
        case(out, f"cox_weights_ties_10_{r}", scores(10), times(10, False), events(10), w,
             reduction=r)
    case(out, "cox_no_events_5_mean", scores(5), times(5), [0] * 5)
    case(out, "cox_no_events_5_sum", scores(5), times(5), [0] * 5, reduction="sum")
    case(out, "cox_all_events_6_mean", scores(6), times(6), [1] * 6)
    case(out, "cox_all_events_tied_6_sum", scores(6), [2.0] * 6, [1] * 6, reduction="sum")
    case(out, "cox_single_event_mean", [0.75], [3.0], [1])
    case(out, "cox_single_censored_mean", [-1.5], [0.0], [0])
    case(out, "cox_empty_mean", [], [], [])
    case(out, "cox_time_zero_ties_7_mean", scores(7), [0.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0],
         [1, 0, 1, 1, 0, 1, 1])
    case(out, "cox_integer_times_9_mean", scores(9), [float(rng.randint(0, 4)) for _ in range(9)],
         events(9), integer_times=True)
    case(out, "cox_scores_30_8_mean", [30.0, -30.0, 29.5, -29.0, 30.0, 0.0, -30.0, 15.0],
         times(8), [1, 1, 0, 1, 1, 1, 0, 1])
    case(out, "cox_scores_700_8_mean", [700.0, -700.0, 699.5, -699.0, 700.0, 0.0, -700.0, 350.0],
         times(8), [1, 1, 0, 1, 1, 1, 0, 1])
    case(out, "cox_scores_700_ties_weights_8_sum",
         [-700.0, -700.0, -699.0, -700.0, 700.0, 650.0, -700.0, 0.5],
         [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0], [1, 1, 1, 0, 1, 1, 0, 1],
         [0.5, 2.0, 1.0, 1.0, 0.25, 3.0, 1.0, 1.5], reduction="sum")
    w = [f32(rng.uniform(0.0, 2.0)) for _ in range(60)]
    case(out, "cox_weights_ties_60_mean", scores(60, -3, 3),
         [f32(rng.randint(0, 15) * 0.5) for _ in range(60)], events(60, 0.4), w)
    case(out, "cox_distinct_40_sum", scores(40, -3, 3), times(40), events(40, 0.7), reduction="sum")


if __name__ == "__main__":
    main()
