#!/usr/bin/python3
"""Reference cases of ZeroOneLoss with ignore_index (tests/data/cases_zero_one.txt).

Multi-class 0-1 loss over N x C scores and N class indices, with rows whose
class index equals ignore_index left out (the accuracy of a padded batch):
the value is scikit-learn's zero_one_loss over the rows kept (normalize=True
for mean: the weighted error rate; normalize=False for sum), with sample
weights as its sample_weight. The prediction is numpy's argmax (the first
maximal column, as ZeroOneLoss). The unreduced terms are w_i [argmax != y_i]
for a kept row and 0 for an ignored one. Ignored rows may hold NaN scores,
which must not reach the value (the 5 x 3 cases).

Run: /usr/bin/python3 tests/tools/zero_one_reference.py > tests/data/cases_zero_one.txt
"""
import numpy as np
from sklearn.metrics import zero_one_loss


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def fmt(v):
    return repr(float(v))


def write_matrix(key, m, integer=False):
    m = np.atleast_2d(m)
    vals = " ".join(str(int(v)) if integer else fmt(v) for v in m.ravel())
    print(f"{key} {m.shape[0]} {m.shape[1]} {vals}")


def case(name, x, y, ignore, weights=None, reduction="mean"):
    kept = y != ignore
    pred = np.argmax(np.where(np.isnan(x), -np.inf, x), axis=1)
    w = np.ones(len(y)) if weights is None else weights
    if kept.any():
        value = zero_one_loss(y[kept], pred[kept], normalize=(reduction == "mean"),
                              sample_weight=w[kept])
    else:
        value = 0.0  # lossfn's mean over no row (and a sum of nothing) is 0
    unreduced = np.where(kept, w * (pred != y), 0.0)
    print(f"case {name}")
    print("loss ZeroOneLoss")
    print(f"option ignore_index {ignore}")
    if reduction != "mean":
        print(f"option reduction {reduction}")
    write_matrix("pred", x)
    write_matrix("target", y.reshape(-1, 1), integer=True)
    if weights is not None:
        write_matrix("weights", weights.reshape(-1, 1))
    print(f"value {fmt(value)}")
    write_matrix("unreduced", unreduced.reshape(-1, 1))
    print("end")
    print()


def main():
    rng = np.random.default_rng(27)
    for n, c in [(5, 3), (17, 4), (40, 10), (9, 70)]:
        x = f32(rng.normal(size=(n, c)))
        y = rng.integers(0, c, size=n)
        # Ties: a row whose two first columns hold its maximum (argmax: the first).
        x[1, :2] = f32(x[1].max() + 1)
        for ignore in (-100, 1):
            yi = y.copy()
            if ignore < 0:
                yi[rng.choice(n, size=max(1, n // 4), replace=False)] = ignore
            xi = x.copy()
            ignored = np.flatnonzero(yi == ignore)
            if len(ignored) and ignore < 0 and n == 5:
                # Padding is never read (a case with NaN runs in double only).
                xi[ignored[0], 0] = np.nan
            tag = "m100" if ignore < 0 else str(ignore)
            for reduction in ("mean", "sum"):
                case(f"zero_one_ignore_{tag}_{n}x{c}_{reduction}", xi, yi, ignore,
                     reduction=reduction)
            w = f32(rng.uniform(0, 2, size=n))
            case(f"zero_one_ignore_{tag}_weights_{n}x{c}_mean", xi, yi, ignore, weights=w)
    # Every row ignored: mean over nothing is 0, as for SoftmaxCrossEntropy.
    x = f32(rng.normal(size=(3, 4)))
    case("zero_one_ignore_all_3x4_mean", x, np.full(3, -1), -1)


if __name__ == "__main__":
    main()
