#!/usr/bin/python3
"""Reference values of lossfn::softmax, log_softmax and sigmoid
(tests/data/activations.txt), from PyTorch in float64: torch.softmax and
torch.log_softmax over dim 1, torch.sigmoid.

Format (read by tests/activations_test.cpp): one record per line,
  case <name>
  x <rows> <cols> <values, row-major>
  softmax <rows> <cols> <values>
  log_softmax <rows> <cols> <values>
  sigmoid <rows> <cols> <values>
  end
numbers as Python's repr (exact), with nan, inf and -inf where they occur.
Inputs are floats (exactly representable in float32), so a float run sees the
numbers the double run saw.

One deliberate difference from PyTorch: a row holding exactly one +inf (and
no NaN) has a limit, softmax 1 there and 0 elsewhere, log_softmax 0 there and
-inf elsewhere, which lossfn gives, as its softmax losses do; PyTorch computes
inf - inf and gives NaN. Those rows are written as the limit and the case's
name says so. Two +inf, only -inf or a NaN in a row: NaN, as in PyTorch.

Run: /usr/bin/python3 tests/tools/activations_reference.py > tests/data/activations.txt
"""
import math

import numpy as np
import torch

inf, nan = math.inf, math.nan


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def text(v):
    if math.isnan(v):
        return "nan"
    return repr(float(v))


def matrix(key, m):
    m = np.asarray(m, dtype=np.float64)
    return f"{key} {m.shape[0]} {m.shape[1]} " + " ".join(text(v) for v in m.reshape(-1))


def reference(x):
    t = torch.tensor(x, dtype=torch.float64)
    s = torch.softmax(t, dim=1).numpy().copy()
    ls = torch.log_softmax(t, dim=1).numpy().copy()
    for i, row in enumerate(x):
        if np.sum(row == inf) == 1 and not np.any(np.isnan(row)):  # the limit (docstring)
            s[i] = np.where(row == inf, 1.0, 0.0)
            ls[i] = np.where(row == inf, 0.0, -inf)
    return s, ls, torch.sigmoid(t).numpy()


def cases():
    rng = np.random.default_rng(20261208)
    yield "small", f32([[1.0, 2.0, 3.0], [0.5, -0.5, 0.0], [-2.0, 4.0, 4.0]])
    yield "ties_and_constant_rows", f32([[3.0] * 5, [0.0] * 5, [-1.0, 7.0, 7.0, 7.0, -1.0]])
    yield "one_column", f32(rng.normal(0, 3, (7, 1)))
    yield "plus_minus_100", f32([[100.0, -100.0, 0.0, 50.0],
                                 [-100.0, -100.0, -100.0, -99.0],
                                 [100.0, 100.0, 99.0, -100.0],
                                 [30.0, -30.0, 17.0, 0.0]])
    yield "large_gap", f32([[0.0, 17.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                            [40.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                            [1e4, 0.0, -1e4, 1e4 - 1, 3.0, 2.0, 1.0, 0.0, -1.0]])
    yield "minus_inf_entries", f32([[-inf, 1.0, 2.0, -inf, 0.5, 0.25, 0.0, -1.0, -2.0],
                                    [-inf, -inf, -inf, -inf, -inf, -inf, -inf, -inf, 3.0],
                                    [-inf] * 9,
                                    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, -inf]])
    yield "plus_inf_limit", f32([[1.0, inf, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                                 [inf, -inf, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                 [inf, 2.0, inf, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                                 [0.5, 0.25, 0.0, -1.0, 2.0, 1.0, 0.0, 3.0, 1.0]])
    yield "nan_rows", f32([[nan, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                           [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, nan],
                           [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
                           [nan, inf, -inf, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    yield "random_37x10", f32(rng.normal(0, 4, (37, 10)))
    yield "large_C_5x1000", f32(rng.normal(0, 10, (5, 1000)))
    yield "wide_range_3x300", f32(rng.uniform(-300, 300, (3, 300)))
    yield "sigmoid_extremes", f32([[-800.0, -100.0, -30.0, -17.0, -1e-8, 0.0],
                                   [1e-8, 1.0, 17.0, 30.0, 100.0, 800.0]])
    yield "empty_rows", np.zeros((0, 4))


def main():
    with np.errstate(invalid="ignore"):
        for name, x in cases():
            s, ls, sg = reference(x)
            print(f"case {name}")
            print(matrix("x", x))
            print(matrix("softmax", s))
            print(matrix("log_softmax", ls))
            print(matrix("sigmoid", sg))
            print("end")


if __name__ == "__main__":
    main()
