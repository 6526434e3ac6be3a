#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: for every loss selector byte,
a few deterministic pseudo-random inputs (tests/fuzz/corpus/<target>/).
Rerun after changing a target's byte layout:  python3 tests/fuzz/make_corpus.py
(Reproducers of fixed bugs are committed beside them, named repro-*: this
script leaves them alone.)"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
# target: (number of losses (first byte), seeds per loss, longest body)
TARGETS = {
    "fuzz_elementwise": (21, 3, 160),
    # rows x columns of values (up to 9 x 40, ~3 bytes each) follow the options
    "fuzz_rowwise": (6, 8, 1200),
    # the first byte is the shape (sequences, classes); labels and logits follow
    "fuzz_ctc": (64, 1, 600),
}

for target, (losses, seeds, longest) in TARGETS.items():
    out = os.path.join(HERE, "corpus", target)
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261202)
    for loss in range(losses):
        for seed in range(seeds):
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(8, longest)))
            with open(os.path.join(out, f"loss{loss:02d}_{seed}"), "wb") as f:
                f.write(bytes([loss]) + body)
