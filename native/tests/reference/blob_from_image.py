#!/usr/bin/python3
"""Independent reference for preprocess_cpu: OpenCV's cv2.dnn.blobFromImage on a raw uint8 image.

usage: blob_from_image.py IN_RAW HEIGHT WIDTH CHANNELS NET_WIDTH NET_HEIGHT SWAP_RB OUT_RAW
IN_RAW holds HEIGHT x WIDTH x CHANNELS uint8 (dense rows); OUT_RAW receives the float32 NCHW blob
(1 x CHANNELS x NET_HEIGHT x NET_WIDTH) of blobFromImage(img, 1/255, (NET_WIDTH, NET_HEIGHT), swapRB).
"""
import sys

import cv2
import numpy as np


def main():
    src, h, w, c, nw, nh, swap, dst = sys.argv[1:9]
    img = np.fromfile(src, dtype=np.uint8).reshape(int(h), int(w), int(c))
    if int(c) == 1:
        img = img[:, :, 0]
    blob = cv2.dnn.blobFromImage(img, 1.0 / 255, (int(nw), int(nh)), swapRB=swap == "1", crop=False)
    blob.astype(np.float32).tofile(dst)


if __name__ == "__main__":
    main()
