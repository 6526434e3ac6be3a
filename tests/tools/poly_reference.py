#!/usr/bin/python3
"""Reference cases of PolyCrossEntropy (tests/data/cases_poly.txt).

The loss, from its definition (Poly-1 cross-entropy), with the options of
SoftmaxCrossEntropy:
  l_i = sum_c t_c (-log s_c + eps (1 - s_c)),  s = softmax(x_i),
  t_c = w_c t'_c, t' = (1 - e) onehot(y_i) + e/C (class index y_i) or
  (1 - e) p_i + e/C (probability row p_i), w the class weights;
  mean = sum_i v_i l_i / sum_i v_i a_i, with v the sample weights (1 without)
  and a_i = w_{y_i} for a class index (0 for an ignored row), 1 for a
  probability row (PyTorch cross_entropy's denominator).
Everything is evaluated with mpmath at 50 digits: the value from the formula
above, the gradient and the Hessian's diagonal by mpmath's numerical
differentiation of each row's term (no hand-derived derivative). The cases
without class weights, smoothing or ignore_index are checked against a second,
independent computation: optax's poly_loss_cross_entropy formula,
  cross_entropy(logits, labels) + eps * sum(labels * (1 - softmax(logits))),
written in PyTorch float64, value by autograd's gradient.

Run: /usr/bin/python3 tests/tools/poly_reference.py > tests/data/cases_poly.txt
"""
import sys

import mpmath as mp
import numpy as np
import torch

mp.mp.dps = 50


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def row_term(x, t, eps):
    """sum_c t_c (-log s_c + eps (1 - s_c)) of one row, 1 - s_c as sum_{k != c} s_k."""
    m = max(x)
    e = [mp.exp(v - m) for v in x]
    total = mp.fsum(e)
    out = mp.mpf(0)
    for c, tc in enumerate(t):
        if tc == 0:
            continue
        log_s = (x[c] - m) - mp.log(total)
        rest = mp.fsum(e[k] for k in range(len(x)) if k != c) / total
        out += tc * (-log_s + eps * rest)
    return out


def target_weights(case, i, C):
    w = case.get("class_weights") or [1.0] * C
    e = case.get("label_smoothing", 0.0)
    mp_e = mp.mpf(e)
    if case["indices"]:
        y = case["target"][i][0]
        if case.get("ignore_index") is not None and y == case["ignore_index"]:
            return None
        return [mp.mpf(w[c]) * ((1 - mp_e) * (1 if c == y else 0) + mp_e / C) for c in range(C)]
    p = case["target"][i]
    return [mp.mpf(w[c]) * ((1 - mp_e) * mp.mpf(p[c]) + mp_e / C) for c in range(C)]


def share(case, i):
    if not case["indices"]:
        return mp.mpf(1)
    y = case["target"][i][0]
    if case.get("ignore_index") is not None and y == case["ignore_index"]:
        return mp.mpf(0)
    w = case.get("class_weights")
    return mp.mpf(w[y]) if w else mp.mpf(1)


def solve(case):
    pred = case["pred"]
    N, C = len(pred), len(pred[0]) if pred else case["cols"]
    eps = mp.mpf(case.get("epsilon", 2.0))
    v = case.get("weights") or [[1.0]] * N
    mean = case.get("reduction", "mean") == "mean"
    denominator = mp.fsum(mp.mpf(v[i][0]) * share(case, i) for i in range(N))
    scale = (1 / denominator) if (mean and denominator != 0) else (mp.mpf(0) if mean else mp.mpf(1))
    value, grad, hess, terms = mp.mpf(0), [], [], []
    for i in range(N):
        x = [mp.mpf(a) for a in pred[i]]
        t = target_weights(case, i, C)
        if t is None:
            terms.append(0.0)
            grad.append([0.0] * C)
            hess.append([0.0] * C)
            continue
        vi = mp.mpf(v[i][0])
        term = vi * row_term(x, t, eps)
        terms.append(term)
        value += term
        g_row, h_row = [], []
        for c in range(C):
            def f(u, c=c):
                z = list(x)
                z[c] = u
                return row_term(z, t, eps)
            g_row.append(scale * vi * mp.diff(f, x[c]))
            h_row.append(scale * vi * mp.diff(f, x[c], 2))
        grad.append(g_row)
        hess.append(h_row)
    if mean:
        value = value / denominator if denominator != 0 else mp.mpf(0)
    return value, grad, hess, terms


def optax_poly(case):
    """optax's poly_loss_cross_entropy formula in PyTorch float64 (no weights, no smoothing)."""
    x = torch.tensor(case["pred"], dtype=torch.float64, requires_grad=True)
    C = x.shape[1]
    if case["indices"]:
        labels = torch.nn.functional.one_hot(torch.tensor([r[0] for r in case["target"]]), C).double()
    else:
        labels = torch.tensor(case["target"], dtype=torch.float64)
    eps = case.get("epsilon", 2.0)
    ce = -(labels * torch.log_softmax(x, dim=-1)).sum(-1)
    one_minus_pt = (labels * (1 - torch.softmax(x, dim=-1))).sum(-1)
    terms = ce + eps * one_minus_pt
    value = terms.mean() if case.get("reduction", "mean") == "mean" else terms.sum()
    value.backward()
    return value.item(), x.grad.numpy(), terms.detach().numpy()


def fmt(values):
    return " ".join(repr(float(a)) for a in values)


def write(case, out):
    value, grad, hess, terms = solve(case)
    if not any(k in case for k in ("class_weights", "label_smoothing", "ignore_index", "weights")) and case["pred"]:
        ov, og, ot = optax_poly(case)
        assert abs(ov - float(value)) <= 1e-12 * (abs(ov) + 1), (case["name"], ov, float(value))
        assert np.allclose(og, np.array(grad, dtype=np.float64), rtol=1e-10, atol=1e-14), case["name"]
        # (atol: optax's 1 - softmax in float64 keeps about 3 digits of a
        # confident row's 1 - s_y ~ 1e-12, which the mpmath terms keep whole.)
        assert np.allclose(ot, np.array(terms, dtype=np.float64), rtol=1e-12, atol=1e-14), case["name"]
    N = len(case["pred"])
    C = len(case["pred"][0]) if N else case["cols"]
    print(f"case {case['name']}", file=out)
    print("loss PolyCrossEntropy", file=out)
    for key in ("reduction",):
        if key in case:
            print(f"option reduction {case[key]}", file=out)
    if "epsilon" in case:
        print(f"option epsilon {case['epsilon']!r}", file=out)
    if "class_weights" in case:
        print(f"option class_weights {C} {fmt(case['class_weights'])}", file=out)
    if "ignore_index" in case:
        print(f"option ignore_index {case['ignore_index']}", file=out)
    if "label_smoothing" in case:
        print(f"option label_smoothing {case['label_smoothing']!r}", file=out)
    print(f"pred {N} {C} {fmt(v for r in case['pred'] for v in r)}".rstrip(), file=out)
    if case["indices"]:
        print(f"target {N} 1 {' '.join(str(r[0]) for r in case['target'])}".rstrip(), file=out)
    else:
        print(f"target {N} {C} {fmt(v for r in case['target'] for v in r)}".rstrip(), file=out)
    if "weights" in case:
        print(f"weights {N} 1 {fmt(r[0] for r in case['weights'])}".rstrip(), file=out)
    print(f"value {float(value)!r}", file=out)
    print(f"gradient {N} {C} {fmt(v for r in grad for v in r)}".rstrip(), file=out)
    print(f"unreduced {N} 1 {fmt(terms)}".rstrip(), file=out)
    print(f"hessian {N} {C} {fmt(v for r in hess for v in r)}".rstrip(), file=out)
    print("end", file=out)


def main():
    rng = np.random.default_rng(20261208)
    cases = []

    def logits(n, c, spread=2.0):
        return f32(rng.normal(0.0, spread, size=(n, c))).tolist()

    def labels(n, c):
        return [[int(v)] for v in rng.integers(0, c, size=n)]

    def probabilities(n, c):
        p = f32(rng.dirichlet(np.ones(c), size=n))
        return p.tolist()

    for eps in (None, 0.0, -1.0, 0.5, 5.0):
        for n, c in ((1, 2), (4, 3), (7, 10)):
            case = {"name": f"poly_{n}x{c}_eps{eps}", "indices": True,
                    "pred": logits(n, c), "target": labels(n, c)}
            if eps is not None:
                case["epsilon"] = eps
            cases.append(case)
    cases.append({"name": "poly_5x4_sum", "indices": True, "reduction": "sum",
                  "pred": logits(5, 4), "target": labels(5, 4)})
    cases.append({"name": "poly_6x5_probabilities", "indices": False,
                  "pred": logits(6, 5), "target": probabilities(6, 5)})
    cases.append({"name": "poly_6x5_probabilities_sum_eps0.5", "indices": False, "reduction": "sum",
                  "epsilon": 0.5, "pred": logits(6, 5), "target": probabilities(6, 5)})
    # Confident rows: the label's logit 30 above the others, so 1 - s_y
    # (about 1e-13) is far below float's epsilon; and one row against it.
    confident = logits(4, 6, 1.0)
    y = labels(4, 6)
    for i in range(3):
        confident[i][y[i][0]] = float(np.float32(confident[i][y[i][0]] + 30.0))
    cases.append({"name": "poly_4x6_confident", "indices": True, "pred": confident, "target": y})
    cases.append({"name": "poly_5x4_class_weights", "indices": True,
                  "class_weights": [0.5, 2.0, 0.0, 1.25], "pred": logits(5, 4), "target": labels(5, 4)})
    cases.append({"name": "poly_6x4_ignore_index", "indices": True, "ignore_index": 1,
                  "pred": logits(6, 4), "target": [[0], [1], [2], [1], [3], [0]]})
    cases.append({"name": "poly_6x4_ignore_index_all", "indices": True, "ignore_index": -100,
                  "pred": logits(2, 4), "target": [[-100], [-100]]})
    cases.append({"name": "poly_5x6_label_smoothing", "indices": True, "label_smoothing": 0.1,
                  "pred": logits(5, 6), "target": labels(5, 6)})
    cases.append({"name": "poly_5x6_label_smoothing_class_weights_eps1", "indices": True,
                  "label_smoothing": 0.25, "class_weights": [1.0, 0.5, 2.0, 1.5, 0.25, 3.0],
                  "epsilon": 1.0, "pred": logits(5, 6), "target": labels(5, 6)})
    cases.append({"name": "poly_4x5_probabilities_smoothing_weights", "indices": False,
                  "label_smoothing": 0.2, "class_weights": [1.0, 0.5, 2.0, 1.5, 0.25],
                  "pred": logits(4, 5), "target": probabilities(4, 5)})
    cases.append({"name": "poly_6x3_sample_weights", "indices": True,
                  "weights": f32(rng.uniform(0.0, 2.0, size=(6, 1))).tolist(),
                  "pred": logits(6, 3), "target": labels(6, 3)})
    cases.append({"name": "poly_6x3_sample_weights_class_weights_sum", "indices": True, "reduction": "sum",
                  "class_weights": [2.0, 0.5, 1.0],
                  "weights": f32(rng.uniform(0.0, 2.0, size=(6, 1))).tolist(),
                  "pred": logits(6, 3), "target": labels(6, 3)})
    cases.append({"name": "poly_0x3_mean", "indices": True, "pred": [], "target": [], "cols": 3})
    # Wide rows: more classes than a SIMD packet, several packets per row.
    cases.append({"name": "poly_3x40", "indices": True, "pred": logits(3, 40, 3.0), "target": labels(3, 40)})
    out = sys.stdout
    for case in cases:
        write(case, out)


if __name__ == "__main__":
    main()
