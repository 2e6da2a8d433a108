"""Independent numpy reimplementation of the entropy (KL) range selection, vectorised differently from the C++.

TensorRT's EntropyCalibrator2 method (GTC 2017, "8-bit Inference with TensorRT"): bin 0 replaced by bin 1 (as
NVIDIA's pytorch-quantization does against the spike of exact zeros), then for every threshold i in [128, bins], P = hist[:i] with the tail added to its last bin, Q = hist[:i] merged into 128 levels
(numpy.digitize over linspace(0, i, 129)) and spread evenly over each level's non-empty bins, zero bins of P and
Q smoothed as MXNet's _smooth_distribution (eps 1e-4 on the counts), KL by scipy.stats.entropy's formula; the
threshold bin is the last argmin. Usage: entropy_calibration.py HIST.f64 → prints that bin.
"""
import sys

import numpy as np


def smooth(d, eps=1e-4):
    zeros = d == 0
    n_zeros, n_nonzeros = zeros.sum(), d.size - zeros.sum()
    if n_nonzeros == 0:
        return None
    out = d + eps * zeros - (eps * n_zeros / n_nonzeros) * ~zeros
    return out if (out > 0).all() else None


def entropy_bin(hist, levels=128):
    hist = hist.astype(np.float64).copy()
    if len(hist) > 1:
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
        p, q = smooth(p), smooth(q)
        if p is None or q is None:
            divergences.append(np.inf)
            continue
        p, q = p / p.sum(), q / q.sum()
        divergences.append(float(np.sum(p * np.log(p / q))))
    divergences = np.array(divergences)
    return levels + len(divergences) - 1 - int(np.argmin(divergences[::-1]))


if __name__ == "__main__":
    print(entropy_bin(np.fromfile(sys.argv[1], dtype=np.float64)))
