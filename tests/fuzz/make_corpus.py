#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: for every loss selector byte,
a few deterministic pseudo-random inputs (tests/fuzz/corpus/<target>/).
Rerun after changing a target's byte layout:  python3 tests/fuzz/make_corpus.py"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = {"fuzz_elementwise": 15}  # target: number of losses (first byte)

for target, losses in TARGETS.items():
    out = os.path.join(HERE, "corpus", target)
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261202)
    for loss in range(losses):
        for seed in range(3):
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(8, 160)))
            with open(os.path.join(out, f"loss{loss:02d}_{seed}"), "wb") as f:
                f.write(bytes([loss]) + body)
