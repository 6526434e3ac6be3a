#!/usr/bin/python3
"""Expected numbers of tests/nonfinite_test.cpp, from PyTorch (Debian's python3-torch).

Run:  /usr/bin/python3 tests/tools/torture_reference.py
Prints, for each input of the torture tests, PyTorch's per-element value and
gradient (reduction='sum', so the gradient is the element's own) in float32
and float64. The C++ test copies these numbers; rerun this script to check them.
"""
import torch
import torch.nn.functional as F

f32 = torch.float32
tiny32 = float(torch.finfo(f32).tiny) * 2 ** -23  # denorm_min of float
below_one32 = float(torch.nextafter(torch.tensor(1.0, dtype=f32), torch.tensor(0.0, dtype=f32)))
fmax32 = float(torch.finfo(f32).max)


def show(name, fn, xs, ts, dtype):
    x = torch.tensor(xs, dtype=dtype, requires_grad=True)
    t = torch.tensor(ts, dtype=dtype)
    v = fn(x, t)
    v.sum().backward()
    for xi, ti, vi, gi in zip(xs, ts, v.tolist(), x.grad.tolist()):
        print(f"{name} {dtype} x={xi!r} t={ti!r}: value={vi!r} gradient={gi!r}")


def bce(x, t):
    return F.binary_cross_entropy(x, t, reduction="none")


def bce_logits(x, t):
    return F.binary_cross_entropy_with_logits(x, t, reduction="none")


ps = [0.0, tiny32, below_one32, 1.0]
for dtype in (f32, torch.float64):
    for t in (0.0, 0.5, 1.0):
        show("BCE", bce, ps, [t] * len(ps), dtype)
    xs = [1e30, -1e30, fmax32, -fmax32]
    for t in (0.0, 0.25, 1.0):
        show("BCEWithLogits", bce_logits, xs, [t] * len(xs), dtype)
    # cross-entropy over a row with huge logits: -log softmax(x)[y]
    for row, y in (([1e30, -1e30, 0.0], 1), ([fmax32, 0.0, -1.0], 2), ([1e30, 1e30, 0.0], 0)):
        x = torch.tensor([row], dtype=dtype, requires_grad=True)
        v = F.cross_entropy(x, torch.tensor([y]), reduction="sum")
        v.backward()
        print(f"CrossEntropy {dtype} row={row} y={y}: value={v.item()!r} gradient={x.grad.tolist()}")
