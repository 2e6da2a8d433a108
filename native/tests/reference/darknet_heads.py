#!/usr/bin/python3
"""Independent reference for the CPU backend: OpenCV DNN's darknet importer, raw head tensors.

usage: darknet_heads.py CFG WEIGHTS BLOB N OUT_DIR [THREADS]
BLOB holds N x C x H x W float32 (the network input, already pre-processed). For every [yolo] layer K, writes
OUT_DIR/head_K.f32: the output of the conv feeding it, after that conv's activation (NCHW float32), and
OUT_DIR/heads.txt: one line "K c h w" per head.
OpenCV names a darknet conv's activation layer after the *next* layer id and inserts permute_K before yolo_K,
so the head tensor is the output of the layer just before permute_K.
"""
import os
import sys

import cv2
import numpy as np

# darknet normalises with 1/sqrt(variance + 1e-5); OpenCV's darknet importer uses eps 1e-6. Adding the
# difference to every BatchNorm variance makes OpenCV compute darknet's numbers (matters for trained weights
# with tiny variances, e.g. Yolo-Fastest: 5e-4 relative on the heads otherwise).
DARKNET_BN_EPS, OPENCV_BN_EPS = 1e-5, 1e-6


def read_darknet(cfg, weights):
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    for name in net.getLayerNames():
        layer = net.getLayer(name)
        if layer.type == "BatchNorm":
            blobs = list(layer.blobs)
            blobs[1] = blobs[1] + (DARKNET_BN_EPS - OPENCV_BN_EPS)
            layer.blobs = blobs
    return net


def main():
    cfg, weights, blob_path, n, out_dir = sys.argv[1:6]
    if len(sys.argv) > 6:
        cv2.setNumThreads(int(sys.argv[6]))
    net = read_darknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    names = list(net.getLayerNames())
    yolo = [name for name in names if name.startswith("yolo_")]
    sources = [names[names.index("permute_" + name[5:]) - 1] for name in yolo]
    h, w = None, None
    for line in open(cfg):
        key = line.split("=")[0].strip()
        if key == "width" and w is None:
            w = int(line.split("=")[1])
        if key == "height" and h is None:
            h = int(line.split("=")[1])
    blob = np.fromfile(blob_path, dtype=np.float32).reshape(int(n), -1, h, w)
    net.setInput(blob)
    outs = net.forward(sources)
    with open(os.path.join(out_dir, "heads.txt"), "w") as f:
        for name, out in zip(yolo, outs):
            k = name[5:]
            out.astype(np.float32).tofile(os.path.join(out_dir, "head_%s.f32" % k))
            f.write("%s %d %d %d\n" % (k, out.shape[1], out.shape[2], out.shape[3]))


if __name__ == "__main__":
    main()
