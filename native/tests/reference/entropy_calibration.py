"""Independent numpy reimplementation of the entropy (KL) range selection, vectorised differently from the C++.

Follows pytorch-quantization's _compute_amax_entropy (TensorRT's EntropyCalibrator2 method): for every
threshold i in [128, bins], P = hist[:i] with the tail added to its last bin, Q = hist[:i] merged into 128
levels (numpy.digitize over linspace(0, i, 129)) and spread evenly over each level's non-empty bins; the
threshold bin is the last argmin of KL(P || Q). Usage: entropy_calibration.py HIST.f64 → prints that bin.
"""
import sys

import numpy as np


def entropy_bin(hist, levels=128):
    hist = hist.astype(np.float64).copy()
    hist[0] = hist[1]
    divergences = []
    for i in range(levels, len(hist) + 1):
        level = np.digitize(np.arange(i), np.linspace(0, i, num=levels + 1)) - 1
        nonzero = hist[:i] != 0
        sums = np.bincount(level[nonzero], weights=hist[:i][nonzero], minlength=levels)
        counts = np.bincount(level[nonzero], minlength=levels)
        q = np.where(nonzero, sums[level] / np.maximum(counts[level], 1), 0.0)
        p = hist[:i].copy()
        p[-1] += hist[i:].sum()
        p /= p.sum()
        q = q / q.sum() if q.sum() > 0 else q
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, p * np.log(p / q), 0.0)
        divergences.append(np.inf if np.any((p > 0) & (q == 0)) else terms.sum())
    divergences = np.array(divergences)
    return levels + len(divergences) - 1 - int(np.argmin(divergences[::-1]))


if __name__ == "__main__":
    print(entropy_bin(np.fromfile(sys.argv[1], dtype=np.float64)))
