#!/usr/bin/python3
"""Independent reference for detect(): OpenCV DNN on a darknet model, blobFromImage, class-wise NMS.

usage: darknet_detect.py CFG WEIGHTS IMAGE SCORE_THRESHOLD NMS_THRESHOLD RAW_OUT
Writes the decoded image's BGR pixels (height x width x 3 uint8) to RAW_OUT, prints "image WIDTH HEIGHT",
then one line per detection: "class score x y width height" (top-left corner, input-image pixels), in
descending score order. Scores are objectness x class probability, as OpenCV's region layer outputs them.
"""
import sys

import cv2
import numpy as np
from opencv_darknet import read_darknet  # darknet batch-norm epsilon


def main():
    cfg, weights, image, score_thr, nms_thr, raw_out = sys.argv[1:7]
    score_thr, nms_thr = float(score_thr), float(nms_thr)
    net = read_darknet(cfg, weights)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    img = cv2.imread(image)
    h, w = img.shape[:2]
    np.ascontiguousarray(img).tofile(raw_out)
    print("image %d %d" % (w, h))
    size = None
    for line in open(cfg):
        key = line.split("=")[0].strip()
        if key in ("width", "height"):
            size = size or {}
            size.setdefault(key, int(line.split("=")[1]))
    blob = cv2.dnn.blobFromImage(img, 1 / 255.0, (size["width"], size["height"]), swapRB=True, crop=False)
    net.setInput(blob)
    outs = net.forward(net.getUnconnectedOutLayersNames())
    by_class = {}
    for out in outs:
        for row in out:
            scores = row[5:]
            for c in np.nonzero(scores >= score_thr)[0]:
                cx, cy, bw, bh = row[0] * w, row[1] * h, row[2] * w, row[3] * h
                by_class.setdefault(int(c), []).append(([cx - bw / 2, cy - bh / 2, bw, bh], float(scores[c])))
    dets = []
    for c, items in by_class.items():
        boxes = [b for b, _ in items]
        scores = [s for _, s in items]
        keep = cv2.dnn.NMSBoxes(boxes, scores, score_thr, nms_thr)
        for i in np.array(keep).flatten():
            dets.append((scores[i], c, boxes[i]))
    dets.sort(key=lambda d: -d[0])
    for score, c, b in dets:
        print("%d %.6f %.3f %.3f %.3f %.3f" % (c, score, b[0], b[1], b[2], b[3]))


if __name__ == "__main__":
    main()
