#!/usr/bin/python3
"""PyTorch's own float32 error on the reference cases: the bar lossfn's float results must beat.

Run:  /usr/bin/python3 tests/tools/torch_float32_bar.py > tests/data/torch_float32_errors.txt
      /usr/bin/python3 tests/tools/torch_float32_bar.py --check   (float64: every error ~1e-15)

For every case of tests/data/cases.txt whose inputs are
floats, recomputes the value and the gradient in float32 with the same torch
calls that made the float64 reference (tests/data/README.md, "How the numbers
were made"), and prints how far they are from the float64 reference:

    <case> <value error> <gradient error>

value error = |v32 - v| / |v| (absolute where v = 0); gradient error =
max |g32 - g| / max |g| (absolute where g = 0). A case PyTorch float32 gets
non-finite where the reference is finite (a saturated focal factor under
autograd, say) has no bar and is left out, as are ZeroOneLoss (no gradient;
its value is a count) and cases whose inputs are not floats.
tests/float32_accuracy_test.cpp checks lossfn's float results against these.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

# --check: the same calls in float64, which must reproduce the reference to
# ~1e-15: proof that the calls here are the ones that made it.
f32 = torch.float64 if "--check" in sys.argv else torch.float32
HERE = os.path.dirname(os.path.abspath(__file__))


def read_cases(path):
    cases, c = [], None
    with open(path) as f:
        for line in f:
            tok = line.split()
            if not tok:
                continue
            key = tok[0]
            if key == "case":
                c = {"name": tok[1], "options": {}}
            elif key == "loss":
                c["loss"] = tok[1]
            elif key == "option":
                c["options"][tok[1]] = tok[2:]
            elif key in ("pred", "target", "gradient", "unreduced", "weights", "hessian"):
                r, k = int(tok[1]), int(tok[2])
                c[key] = (r, k, tok[3:])
            elif key == "value":
                c["value"] = float(tok[1])
            elif key == "end":
                cases.append(c)
    return cases


def matrix(m, dtype=f32):
    r, k, vals = m
    return torch.tensor([float(v) for v in vals], dtype=torch.float64).reshape(r, k).to(dtype)


def is_index(m):
    return all(not any(ch in v for ch in ".eEn") for v in m[2])


def float_exact(m):
    return all(float(torch.tensor(float(v), dtype=f32)) == float(v) for v in m[2])


def opt(c, name, default=None):
    o = c["options"].get(name)
    return default if o is None else o


def listed(c, name):
    o = c["options"].get(name)
    return None if o is None else [float(v) for v in o[1:]]


def reduce(terms, c, denominator):
    if opt(c, "reduction", ["mean"])[0] == "sum":
        return terms.sum()
    if denominator == 0:
        return terms.sum() * 0.0
    return terms.sum() / denominator


def compute(c, x, target):
    """The float32 value of case c at pred x (requires_grad)."""
    loss = c["loss"]
    n = x.shape[0] * x.shape[1]
    if loss == "MeanSquaredError":
        return reduce(F.mse_loss(x, target, reduction="none"), c, n)
    if loss == "MeanAbsoluteError":
        return reduce(F.l1_loss(x, target, reduction="none"), c, n)
    if loss == "RootMeanSquaredError":
        return torch.sqrt(((x - target) ** 2).mean())
    if loss == "BinaryCrossEntropy":
        return reduce(F.binary_cross_entropy(x, target, reduction="none"), c, n)
    if loss == "BinaryCrossEntropyWithLogits":
        pw = listed(c, "pos_weight")
        pos_weight = None if pw is None else torch.tensor(pw, dtype=f32)
        terms = F.binary_cross_entropy_with_logits(x, target, pos_weight=pos_weight, reduction="none")
        return reduce(terms, c, n)
    if loss == "Hinge":
        m = float(opt(c, "margin", ["1.0"])[0])
        y = torch.where(target > 0, torch.ones_like(target), -torch.ones_like(target))
        return reduce(torch.relu(m - y * x), c, n)
    if loss == "SigmoidFocalLoss":  # torchvision.ops.sigmoid_focal_loss
        alpha = float(opt(c, "alpha", ["0.25"])[0])
        gamma = float(opt(c, "gamma", ["2.0"])[0])
        p = torch.sigmoid(x)
        ce = F.binary_cross_entropy_with_logits(x, target, reduction="none")
        p_t = p * target + (1 - p) * (1 - target)
        terms = ce * ((1 - p_t) ** gamma)
        if alpha >= 0:
            terms = (alpha * target + (1 - alpha) * (1 - target)) * terms
        return reduce(terms, c, n)
    # row-wise
    C = x.shape[1]
    cw = listed(c, "class_weights")
    weight = None if cw is None else torch.tensor(cw, dtype=f32)
    ignore = opt(c, "ignore_index")
    ignore = None if ignore is None else int(ignore[0])
    if target.shape[1] == 1 and loss != "SoftmaxCrossEntropy" or (
            loss == "SoftmaxCrossEntropy" and target.shape[1] == 1):
        y = target[:, 0].to(torch.int64)
        kept = torch.ones_like(y, dtype=torch.bool) if ignore is None else y != ignore
        wy = torch.ones(y.shape[0], dtype=f32) if weight is None else torch.where(
            kept, weight[y.clamp(0, C - 1)], torch.zeros((), dtype=f32))
        wy = torch.where(kept, wy, torch.zeros((), dtype=f32))
        denominator = float(wy.to(torch.float64).sum())
        safe_y = torch.where(kept, y, torch.zeros_like(y))
        if loss == "SoftmaxCrossEntropy":
            ls = float(opt(c, "label_smoothing", ["0.0"])[0])
            terms = F.cross_entropy(x, y, weight=weight, reduction="none",
                                    ignore_index=-100 if ignore is None else ignore, label_smoothing=ls)
            return reduce(terms, c, denominator)
        if loss == "NegativeLogLikelihood":
            terms = F.nll_loss(x, y, weight=weight, reduction="none",
                               ignore_index=-100 if ignore is None else ignore)
            return reduce(terms, c, denominator)
        if loss == "MultiClassHinge":
            m = float(opt(c, "margin", ["1.0"])[0])
            squared = int(float(opt(c, "squared", ["0"])[0])) != 0
            if opt(c, "variant", [""])[0] == "crammer_singer":
                fy = x.gather(1, safe_y[:, None])[:, 0]
                others = x.masked_fill(F.one_hot(safe_y, C).bool(), -math.inf)
                z = torch.relu(m - fy + others.max(dim=1).values)
                terms = (z * z if squared else z) * wy
            else:
                terms = F.multi_margin_loss(x, safe_y, p=2 if squared else 1, margin=m,
                                            weight=weight, reduction="none")
                terms = torch.where(kept, terms, torch.zeros((), dtype=f32))
            return reduce(terms, c, denominator)
        if loss == "SoftmaxFocalLoss":
            gamma = float(opt(c, "gamma", ["2.0"])[0])
            log_s = F.log_softmax(x, dim=1).gather(1, safe_y[:, None])[:, 0]
            terms = -wy * (1 - log_s.exp()) ** gamma * log_s
            terms = torch.where(kept, terms, torch.zeros((), dtype=f32))
            return reduce(terms, c, denominator)
    if loss == "SoftmaxCrossEntropy":  # probability targets: mean divides by N
        ls = float(opt(c, "label_smoothing", ["0.0"])[0])
        terms = F.cross_entropy(x, target, weight=weight, reduction="none", label_smoothing=ls)
        return reduce(terms, c, x.shape[0])
    return None


def error(actual, expected):
    scale = float(expected.abs().max()) if expected.numel() else 0.0
    if expected.numel() == 0:
        return 0.0
    diff = float((actual.to(torch.float64) - expected).abs().max())
    return diff / scale if scale > 0 else diff


def main():
    path = os.path.join(HERE, "..", "data", "cases.txt")
    print("# PyTorch", torch.__version__, "float32 error on tests/data/cases.txt:"
          " <case> <value error> <gradient error> (tests/tools/torch_float32_bar.py)")
    for c in read_cases(path):
        if c["loss"] == "ZeroOneLoss" or "double_extremes" in c["name"]:
            continue
        if not (float_exact(c["pred"]) and float_exact(c["target"])):
            continue
        if c["pred"][0] == 0:
            continue
        x = matrix(c["pred"]).requires_grad_(True)
        target = matrix(c["target"])
        v = compute(c, x, target)
        if v is None:
            print(f"# no torch mapping for {c['name']} ({c['loss']})", file=sys.stderr)
            continue
        (g,) = torch.autograd.grad(v, x, allow_unused=True)
        if g is None:
            g = torch.zeros_like(x)
        ref_g = matrix(c["gradient"], torch.float64)
        if not (math.isfinite(float(v)) and bool(torch.isfinite(g).all())):
            continue
        ve = error(v.detach().reshape(1), torch.tensor([c["value"]], dtype=torch.float64))
        ge = error(g, ref_g)
        print(f"{c['name']} {ve!r} {ge!r}")


if __name__ == "__main__":
    main()
