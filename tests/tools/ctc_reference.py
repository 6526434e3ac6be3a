#!/usr/bin/python3
"""Reference cases for lossfn::CTCLoss, computed with PyTorch in float64.

Run:  /usr/bin/python3 tests/tools/ctc_reference.py > tests/data/ctc_cases.txt

Each case is PyTorch's
    F.ctc_loss(F.log_softmax(x, dim=-1) padded to (T_max, N, C), labels,
               frames, label_counts, blank=b, reduction='none', zero_infinity=z)
reduced as lossfn reduces (mean: sum_n w_n l_n / max(S_n, 1) / sum_n w_n,
which is PyTorch's reduction='mean' when there are no weights; sum: sum_n w_n
l_n), with the gradient with respect to the logits x by autograd. Sequences of
zero frames are left out of PyTorch's batch (its CPU kernel returns an
unspecified number for them: -log 2 for zero frames and one label in
PyTorch 1.13): their loss is the definition's, 0 without labels and +inf (0
under zero_infinity) with labels, and they have no rows of gradient.

The float32 bar of each case ("bar <value error> <gradient error>") is
PyTorch's own error on the same calls in float32 against the float64 result
(relative; the gradient's relative to its largest entry, over the entries the
case compares): lossfn's float results must be as close.

Format (tests/data/README.md): a case is
    case <name>
    option blank <b> | option zero_infinity 1 | option reduction sum
    logits <rows> <cols> <row-major values>      (small cases)
    generate <seed> <rows> <cols> <scale>        (large cases: the logits are
        scale * (2u - 1) rounded to float, u = (s >> 11) * 2^-53 for the
        successive states s of
        the 64-bit LCG s <- 6364136223846793005 s + 1442695040888963407,
        starting from seed, row by row)
    frames <N> <counts>   labels <K> <labels>   label_counts <N> <counts>
    weights <N> <values>                         (optional)
    value <v>    unreduced <N> <per-sequence losses, weighted>
    gradient <rows> <cols> <values>              (small cases)
    samples <K> <i j g>...                       (large cases: sampled entries)
    bar <value error> <gradient error>           (absent where PyTorch float32
                                                  is not finite)
    end
Non-finite numbers are written inf and nan.
"""
import math
import sys

import torch
import torch.nn.functional as F

MASK = (1 << 64) - 1


def lcg_logits(seed, rows, cols, scale):
    s = seed & MASK
    out = []
    for _ in range(rows * cols):
        s = (6364136223846793005 * s + 1442695040888963407) & MASK
        u = (s >> 11) * 2.0 ** -53
        out.append(scale * (2.0 * u - 1.0))
    # Rounded to float, so that a float run and a double run read the same numbers.
    return torch.tensor(out, dtype=torch.float64).reshape(rows, cols).float().double()


def ctc(x, frames, labels, counts, blank, zero_infinity, reduction, weights):
    """lossfn's value and unreduced (weighted) terms for logits x (any dtype)."""
    N = len(frames)
    C = x.shape[1]
    dtype = x.dtype
    starts = [sum(frames[:n]) for n in range(N)]
    label_starts = [sum(counts[:n]) for n in range(N)]
    torch_seqs = [n for n in range(N) if frames[n] > 0]
    per = [None] * N
    if torch_seqs:
        t_max = max(frames[n] for n in torch_seqs)
        lp = F.log_softmax(x, dim=1)
        padded = torch.zeros(t_max, len(torch_seqs), C, dtype=dtype)
        rows = []
        for k, n in enumerate(torch_seqs):
            block = lp[starts[n]:starts[n] + frames[n]]
            pad = torch.zeros(t_max - frames[n], C, dtype=dtype)
            rows.append(torch.cat([block, pad], 0))
        padded = torch.stack(rows, 1)
        tgt = []
        for n in torch_seqs:
            tgt += labels[label_starts[n]:label_starts[n] + counts[n]]
        losses = F.ctc_loss(padded, torch.tensor(tgt, dtype=torch.long),
                            torch.tensor([frames[n] for n in torch_seqs], dtype=torch.long),
                            torch.tensor([counts[n] for n in torch_seqs], dtype=torch.long),
                            blank=blank, reduction="none", zero_infinity=zero_infinity)
        for k, n in enumerate(torch_seqs):
            per[n] = losses[k]
    for n in range(N):
        if per[n] is None:  # zero frames
            v = 0.0 if counts[n] == 0 or zero_infinity else math.inf
            per[n] = torch.tensor(v, dtype=dtype)
    w = [1.0] * N if weights is None else weights
    terms = [w[n] * per[n] for n in range(N)]
    if reduction == "sum":
        value = sum(terms) if N else torch.tensor(0.0, dtype=dtype)
    else:
        total = sum(w)
        if N == 0 or total == 0:
            value = torch.tensor(0.0, dtype=dtype) * x.sum()
        else:
            value = sum(terms[n] / max(counts[n], 1) for n in range(N)) / total
    if not torch.is_tensor(value):
        value = torch.tensor(float(value), dtype=dtype)
    return value, torch.stack(terms).detach() if N else torch.zeros(0, dtype=dtype)


def number(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def numbers(t):
    return " ".join(number(v) for v in t.reshape(-1).tolist())


def relative(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def emit(name, frames, labels, counts, C, seed=None, scale=1.0, blank=0,
         zero_infinity=False, reduction="mean", weights=None, samples=None, x=None):
    rows = sum(frames)
    if x is None:
        x = lcg_logits(seed, rows, C, scale)
    x64 = x.clone().requires_grad_(True)
    value, unreduced = ctc(x64, frames, labels, counts, blank, zero_infinity, reduction, weights)
    (g,) = torch.autograd.grad(value, x64, allow_unused=True) if rows else (torch.zeros(0, C),)
    if g is None:
        g = torch.zeros_like(x)
    # PyTorch float32 on the same (float-rounded) logits.
    x32 = x.float().requires_grad_(True)
    v32, _ = ctc(x32, frames, labels, counts, blank, zero_infinity, reduction, weights)
    (g32,) = torch.autograd.grad(v32, x32, allow_unused=True) if rows else (torch.zeros(0, C),)
    if g32 is None:
        g32 = torch.zeros_like(x32)
    print(f"case {name}")
    if blank != 0:
        print(f"option blank {blank}")
    if zero_infinity:
        print("option zero_infinity 1")
    if reduction == "sum":
        print("option reduction sum")
    if samples is None:
        print(f"logits {rows} {C} {numbers(x)}")
    else:
        print(f"generate {seed} {rows} {C} {number(scale)}")
    print(f"frames {len(frames)} {' '.join(map(str, frames))}")
    print(f"labels {len(labels)} {' '.join(map(str, labels))}")
    print(f"label_counts {len(counts)} {' '.join(map(str, counts))}")
    if weights is not None:
        print(f"weights {len(weights)} {' '.join(number(w) for w in weights)}")
    print(f"value {number(value)}")
    print(f"unreduced {len(frames)} {numbers(unreduced)}")
    if samples is None:
        print(f"gradient {rows} {C} {numbers(g)}")
        picked = [(i, j) for i in range(rows) for j in range(C)]
    else:
        s = seed ^ 0x5DEECE66D
        picked = []
        for _ in range(samples):
            s = (6364136223846793005 * s + 1442695040888963407) & MASK
            picked.append(((s >> 33) % rows, (s >> 13) % C))
        print(f"samples {len(picked)} " +
              " ".join(f"{i} {j} {number(g[i, j])}" for i, j in picked))
    ref = torch.tensor([float(g[i, j]) for i, j in picked], dtype=torch.float64)
    got = torch.tensor([float(g32[i, j]) for i, j in picked], dtype=torch.float64)
    finite = math.isfinite(float(v32)) and bool(torch.isfinite(got).all()) and \
        math.isfinite(float(value)) and bool(torch.isfinite(ref).all())
    if finite:
        scale_g = float(ref.abs().max()) if ref.numel() else 0.0
        diff = float((got - ref).abs().max()) if ref.numel() else 0.0
        ge = diff / scale_g if scale_g > 0 else diff
        print(f"bar {number(relative(float(v32), float(value)))} {number(ge)}")
    print("end")


def random_labels(gen, count, C, blank):
    classes = [c for c in range(C) if c != blank]
    return [classes[int(torch.randint(len(classes), (1,), generator=gen))] for _ in range(count)]


def main():
    print("# CTCLoss reference cases: PyTorch", torch.__version__,
          "float64 (tests/tools/ctc_reference.py)")
    gen = torch.Generator().manual_seed(29)
    seed = 1000
    for reduction in ("mean", "sum"):
        r = reduction
        emit(f"ctc_basic_{r}", [6, 4, 7], [1, 2, 3, 1, 4, 2], [2, 1, 3], 5, seed, 2.0, reduction=r)
        emit(f"ctc_empty_labels_{r}", [5, 3, 4], [2, 1], [0, 2, 0], 4, seed + 1, 2.0, reduction=r)
        emit(f"ctc_zero_frames_{r}", [4, 0, 3, 0], [1, 3, 2], [2, 0, 1, 0], 4, seed + 2, 1.5,
             reduction=r)
        emit(f"ctc_repeats_exact_{r}", [6, 7], [2, 2, 3, 3, 1, 1, 1], [4, 3], 4, seed + 3, 1.0,
             reduction=r)
        emit(f"ctc_exact_no_repeats_{r}", [4, 3], [1, 2, 3, 1, 3, 1], [4, 2], 4, seed + 4, 1.0,
             reduction=r)
        emit(f"ctc_blank_nonzero_{r}", [5, 6], [0, 1, 0, 4, 2], [2, 3], 5, seed + 5, 2.0, blank=3,
             reduction=r)
        emit(f"ctc_blank_last_{r}", [5, 4], [0, 1, 2, 1], [3, 1], 4, seed + 6, 2.0, blank=3,
             reduction=r)
        emit(f"ctc_two_classes_{r}", [5, 4, 6], [1, 1, 1, 1, 1, 1], [2, 1, 3], 2, seed + 7, 3.0,
             reduction=r)
        emit(f"ctc_logits_100_{r}", [6, 5], [1, 2, 3, 2, 1], [3, 2], 4, seed + 8, 100.0,
             reduction=r)
        for z in (False, True):
            tag = "zero_infinity" if z else "inf"
            emit(f"ctc_impossible_{tag}_{r}", [3, 2, 4, 0], [1, 1, 2, 3, 2, 1, 2, 3],
                 [2, 3, 2, 1], 4, seed + 9, 1.0, zero_infinity=z, reduction=r)
        emit(f"ctc_weights_{r}", [6, 4, 7, 3], [1, 2, 3, 1, 4, 2, 3], [2, 1, 3, 1], 5, seed + 10,
             2.0, reduction=r, weights=[0.5, 2.0, 0.0, 1.25])
        emit(f"ctc_weights_zero_infinity_{r}", [3, 5], [2, 2, 1, 3], [2, 2], 4, seed + 11, 1.0,
             zero_infinity=True, reduction=r, weights=[3.0, 0.5])
        # A longer batch of random label sequences.
        frames = [30, 17, 25, 1, 12]
        counts = [9, 5, 0, 1, 6]
        labels = random_labels(gen, sum(counts), 7, 2)
        emit(f"ctc_batch_{r}", frames, labels, counts, 7, seed + 12, 3.0, blank=2, reduction=r)
    # Large: C = 5000 with a modest T, and T = 2000 with a modest C.
    labels = random_labels(gen, 24, 5000, 0)
    emit("ctc_large_classes_mean", [40, 25], labels, [15, 9], 5000, 77, 4.0, samples=256)
    labels = random_labels(gen, 400, 12, 0)
    emit("ctc_long_sequence_mean", [2000], labels, [400], 12, 78, 3.0, samples=256)
    labels = random_labels(gen, 700, 12, 0)
    emit("ctc_long_sequences_sum", [2000, 1500], labels, [400, 300], 12, 79, 3.0,
         reduction="sum", samples=256)


if __name__ == "__main__":
    main()
