#!/usr/bin/python3
"""A direct numpy reimplementation of darknet inference, independent of lightnet's C++ code: its own cfg
parser, .weights reader, batch-norm folding and ops. The reference for what OpenCV DNN cannot run
(LightNet's segmentation head: [softmax] with groups, and dilated convolutions, which OpenCV's darknet
importer ignores).

usage: numpy_darknet.py CFG WEIGHTS BLOB N OUT_DIR
BLOB holds N x C x H x W float32. For every [yolo] / [softmax] layer K, writes OUT_DIR/head_K.f32 (the
tensor feeding it, NCHW float32) and for [softmax] also OUT_DIR/mask_K.u8 (channel argmax, first maximum);
OUT_DIR/heads.txt lists "K c h w".

Semantics follow AlexeyAB/darknet: pad=1 means padding size/2, convolution padding is pad x dilation;
batch-norm y = scale (x - mean) / sqrt(var + 1e-5) + bias; leaky slope 0.1; maxpool padding default
size - 1 with the window starting at -padding/2; route groups take slice group_id; upsample nearest.
"""
import os
import sys

import numpy as np


def parse_cfg(path):
    sections = []
    for raw in open(path):
        line = raw.split("#")[0].split(";")[0].strip()
        if not line:
            continue
        if line.startswith("["):
            sections.append({"type": line.strip("[]").strip()})
        else:
            key, value = line.split("=", 1)
            sections[-1][key.strip()] = value.strip()
    return sections[0], sections[1:]


def ints(value):
    return [int(v) for v in value.split(",") if v.strip()]


def activate(x, kind):
    if kind == "linear":
        return x
    if kind == "relu":
        return np.maximum(x, 0)
    if kind == "leaky":
        return np.where(x > 0, x, np.float32(0.1) * x)
    if kind == "logistic":
        return 1 / (1 + np.exp(-x))
    if kind == "swish":
        return x / (1 + np.exp(-x))
    if kind == "mish":
        return x * np.tanh(np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20)))))
    raise ValueError("activation %s" % kind)


class Weights:
    def __init__(self, path):
        data = open(path, "rb").read()
        major, minor, _ = np.frombuffer(data[:12], dtype=np.int32)
        seen_bytes = 8 if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000 else 4
        self.floats = np.frombuffer(data[12 + seen_bytes:], dtype=np.float32)
        self.pos = 0

    def take(self, n):
        out = self.floats[self.pos:self.pos + n]
        if out.size != n:
            raise ValueError("weights file too short")
        self.pos += n
        return out


def conv(x, s, weights):
    n, c, h, w = x.shape
    filters, size = int(s["filters"]), int(s.get("size", 1))
    stride = int(s.get("stride", 1))
    sy, sx = int(s.get("stride_y", stride)), int(s.get("stride_x", stride))
    groups = int(s.get("groups", 1))
    dilation = int(s.get("dilation", 1)) if size > 1 else 1
    pad = size // 2 if int(s.get("pad", 0)) else int(s.get("padding", 0))
    pad *= dilation
    bias = weights.take(filters)
    if int(s.get("batch_normalize", 0)):
        scale, mean, var = weights.take(filters), weights.take(filters), weights.take(filters)
    kernel = weights.take(filters * (c // groups) * size * size).reshape(filters, c // groups, size, size)
    k_ext = (size - 1) * dilation + 1
    oh, ow = (h + 2 * pad - k_ext) // sy + 1, (w + 2 * pad - k_ext) // sx + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.empty((n, filters, oh, ow), dtype=np.float64)
    cg, fg = c // groups, filters // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        cols = np.empty((n, cg, size, size, oh, ow), dtype=np.float32)
        for ky in range(size):
            for kx in range(size):
                y0, x0 = ky * dilation, kx * dilation
                cols[:, :, ky, kx] = xs[:, :, y0:y0 + (oh - 1) * sy + 1:sy, x0:x0 + (ow - 1) * sx + 1:sx]
        k = kernel[g * fg:(g + 1) * fg].reshape(fg, -1).astype(np.float64)
        patches = cols.reshape(n, cg * size * size, oh * ow).astype(np.float64)
        out[:, g * fg:(g + 1) * fg] = np.matmul(k, patches).reshape(n, fg, oh, ow)
    if int(s.get("batch_normalize", 0)):
        out = (out - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None].astype(np.float64) + 1e-5)
        out = out * scale[None, :, None, None]
    out = out + bias[None, :, None, None]
    return activate(out, s.get("activation", "logistic")).astype(np.float32)


def maxpool(x, s):
    size = int(s.get("size", 1))
    stride = int(s.get("stride", 1))
    sy, sx = int(s.get("stride_y", stride)), int(s.get("stride_x", stride))
    padding = int(s.get("padding", size - 1))
    n, c, h, w = x.shape
    oh, ow = (h + padding - size) // sy + 1, (w + padding - size) // sx + 1
    off = padding // 2
    xp = np.full((n, c, h + size + padding, w + size + padding), -np.inf, dtype=np.float32)
    xp[:, :, off:off + h, off:off + w] = x
    out = np.full((n, c, oh, ow), -np.inf, dtype=np.float32)
    for ky in range(size):
        for kx in range(size):
            out = np.maximum(out, xp[:, :, ky:ky + (oh - 1) * sy + 1:sy, kx:kx + (ow - 1) * sx + 1:sx])
    return out


def main():
    cfg, weights_path, blob_path, n, out_dir = sys.argv[1:6]
    net, layers = parse_cfg(cfg)
    c, h, w = int(net.get("channels", 3)), int(net["height"]), int(net["width"])
    x = np.fromfile(blob_path, dtype=np.float32).reshape(int(n), c, h, w)
    weights = Weights(weights_path)
    outputs = []
    heads = []
    for i, s in enumerate(layers):
        kind = s["type"]
        prev = outputs[-1] if outputs else x
        if kind == "convolutional":
            y = conv(prev, s, weights)
        elif kind == "route":
            refs = [r if r >= 0 else i + r for r in ints(s["layers"])]
            groups, gid = int(s.get("groups", 1)), int(s.get("group_id", 0))
            parts = []
            for r in refs:
                t = outputs[r]
                part = t.shape[1] // groups
                parts.append(t[:, gid * part:(gid + 1) * part])
            y = np.concatenate(parts, axis=1)
        elif kind == "shortcut":
            y = prev.copy()
            for r in ints(s["from"]):
                t = outputs[r if r >= 0 else i + r]
                m = min(t.shape[1], y.shape[1])
                y[:, :m] += t[:, :m]
            y = activate(y, s.get("activation", "linear"))
        elif kind == "upsample":
            stride = int(s.get("stride", 2))
            y = prev.repeat(stride, axis=2).repeat(stride, axis=3)
        elif kind == "maxpool":
            y = maxpool(prev, s)
        elif kind in ("dropout", "yolo", "softmax"):
            y = prev
            if kind != "dropout":
                heads.append((i, kind, prev))
        else:
            raise ValueError("unsupported section [%s]" % kind)
        outputs.append(y)
    if weights.pos != weights.floats.size:
        raise ValueError("weights file has %d floats, cfg uses %d" % (weights.floats.size, weights.pos))
    with open(os.path.join(out_dir, "heads.txt"), "w") as f:
        for k, kind, t in heads:
            t.astype(np.float32).tofile(os.path.join(out_dir, "head_%d.f32" % k))
            f.write("%d %d %d %d\n" % (k, t.shape[1], t.shape[2], t.shape[3]))
            if kind == "softmax":
                np.argmax(t, axis=1).astype(np.uint8).tofile(os.path.join(out_dir, "mask_%d.u8" % k))


if __name__ == "__main__":
    main()
