#!/usr/bin/python3
"""Independent reference for the CPU backend: OpenCV DNN's darknet importer, raw head tensors.

usage: darknet_heads.py CFG WEIGHTS BLOB N OUT_DIR [THREADS]
BLOB holds N x C x H x W float32 (the network input, already pre-processed). For every [yolo] layer K, writes
OUT_DIR/head_K.f32: the output of the conv feeding it, after that conv's activation (NCHW float32), and
OUT_DIR/heads.txt: one line "K c h w" per head.
OpenCV cannot load LightNet's segmentation head ([softmax] with groups): a trailing [softmax] section K is
removed from a copy of the cfg (it has no weights, the .weights file still fits), so that the detection heads
of a det+seg cfg can be compared. The tensor that fed the softmax is written as head_K.f32 (and its argmax as
mask_K.u8) but is NOT a valid reference: OpenCV's darknet importer ignores `dilation`, which LightNet's
segmentation branch uses (numpy_darknet.py is the reference there).
OpenCV names a darknet conv's activation layer after the *next* layer id and inserts permute_K before yolo_K,
so the head tensor is the output of the layer just before permute_K.
"""
import os
import sys

import cv2
import numpy as np
from opencv_darknet import read_darknet  # darknet batch-norm epsilon


def strip_softmax(cfg, out_dir):
    """Returns (cfg path OpenCV can load, darknet indices of the removed [softmax] layers)."""
    lines = open(cfg).read().splitlines()
    kept, removed, index, skipping = [], [], -2, False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            index += 1  # [net] is -1
            skipping = stripped == "[softmax]"
            if skipping:
                removed.append(index)
        if not skipping:
            kept.append(line)
    if not removed:
        return cfg, []
    path = os.path.join(out_dir, "without_softmax.cfg")
    with open(path, "w") as f:
        f.write("\n".join(kept) + "\n")
    return path, removed


def main():
    cfg, weights, blob_path, n, out_dir = sys.argv[1:6]
    cfg, softmax_layers = strip_softmax(cfg, out_dir)
    if len(sys.argv) > 6:
        cv2.setNumThreads(int(sys.argv[6]))
    net = read_darknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    names = list(net.getLayerNames())
    yolo = [name for name in names if name.startswith("yolo_")]
    sources = [names[names.index("permute_" + name[5:]) - 1] for name in yolo]
    segmentation = [o for o in net.getUnconnectedOutLayersNames() if not o.startswith("yolo_")]
    if len(segmentation) != len(softmax_layers):
        sys.exit("expected %d segmentation outputs, found %s" % (len(softmax_layers), segmentation))
    h, w = None, None
    for line in open(cfg):
        key = line.split("=")[0].strip()
        if key == "width" and w is None:
            w = int(line.split("=")[1])
        if key == "height" and h is None:
            h = int(line.split("=")[1])
    blob = np.fromfile(blob_path, dtype=np.float32).reshape(int(n), -1, h, w)
    net.setInput(blob)
    outs = net.forward(sources + segmentation)
    keys = [name[5:] for name in yolo] + [str(k) for k in softmax_layers]
    with open(os.path.join(out_dir, "heads.txt"), "w") as f:
        for i, (k, out) in enumerate(zip(keys, outs)):
            out.astype(np.float32).tofile(os.path.join(out_dir, "head_%s.f32" % k))
            f.write("%s %d %d %d\n" % (k, out.shape[1], out.shape[2], out.shape[3]))
            if i >= len(yolo):
                np.argmax(out, axis=1).astype(np.uint8).tofile(os.path.join(out_dir, "mask_%s.u8" % k))


if __name__ == "__main__":
    main()
