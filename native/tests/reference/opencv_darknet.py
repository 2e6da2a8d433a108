"""Loading a darknet model into OpenCV DNN with darknet's own batch-norm epsilon.

darknet normalises with 1/sqrt(variance + 1e-5); OpenCV's darknet importer uses eps 1e-6 and folds it at load
time. For trained weights with tiny variances (Yolo-Fastest) that alone moves the heads by ~5e-4 relative.
read_darknet() therefore loads the model once to learn the conv layout, writes a copy of the .weights file
with 1e-5 - 1e-6 added to every batch-norm variance, and loads that copy: OpenCV then computes darknet's
numbers.
"""
import os
import tempfile

import cv2
import numpy as np

DARKNET_BN_EPS, OPENCV_BN_EPS = 1e-5, 1e-6


def read_darknet(cfg, weights):
    net = cv2.dnn.readNetFromDarknet(cfg, weights)
    names = set(net.getLayerNames())
    convs = sorted((int(n[5:]) for n in names if n.startswith("conv_")))
    data = bytearray(open(weights, "rb").read())
    major, minor = np.frombuffer(bytes(data[:8]), dtype=np.int32)
    pos = 12 + (8 if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000 else 4)
    floats = np.frombuffer(data, dtype=np.float32, offset=pos).copy()
    at = 0
    for k in convs:
        kernel = net.getLayer("conv_%d" % k).blobs[0]
        filters = kernel.shape[0]
        at += filters  # biases
        if ("bn_%d" % k) in names:
            at += 2 * filters  # scales, means
            floats[at:at + filters] += DARKNET_BN_EPS - OPENCV_BN_EPS
            at += filters
        at += kernel.size
    if at != floats.size:
        raise ValueError("%s: walked %d floats, file holds %d" % (weights, at, floats.size))
    fd, patched = tempfile.mkstemp(suffix=".weights")
    with os.fdopen(fd, "wb") as f:
        f.write(bytes(data[:pos]))
        f.write(floats.tobytes())
    try:
        return cv2.dnn.readNetFromDarknet(cfg, patched)
    finally:
        os.unlink(patched)
