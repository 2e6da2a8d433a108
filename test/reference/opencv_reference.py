#!/usr/bin/python3
"""Independent reference for lightnet-trt: OpenCV DNN's darknet importer (cv2.dnn.readNetFromDarknet).

BN folding uses darknet's epsilon (see align_batchnorm_epsilon). For each image: blobFromImage(img, 1/255, (W, H), swapRB=True, crop=False) → forward → OpenCV's own [yolo]
decoding (region layer output rows: cx, cy, w, h relative, objectness, objectness × class probability) →
one candidate per (anchor, cell, class) with score >= threshold → class-wise cv2.dnn.NMSBoxes. Prints one JSON
line per image: {"source","width","height","detections":[{"class_id","score","x","y","width","height"}]}.

With --compare-npy DIR it also loads lightnet-trt's --dump-outputs files with numpy (DIR/<conv>.npy, N = the
images in order) and compares each with the raw output of the same conv in OpenCV, printing a last line
{"npy": {"<conv>": {"shape", "ref_shape", "max_abs_diff", "max_abs_ref"}}}.
"""
import argparse
import json
import os
import sys
import tempfile

import cv2
import numpy as np


def net_size(cfg_path):
    size = {}
    with open(cfg_path) as f:
        in_net = False
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line.startswith("["):
                if in_net:
                    break
                in_net = line == "[net]"
            elif in_net and "=" in line:
                key, value = (s.strip() for s in line.split("=", 1))
                if key in ("width", "height"):
                    size[key] = int(value)
    return size["width"], size["height"]


def conv_sections(cfg_path):
    """(darknet layer index, filters, batch_normalize) of each [convolutional], in file order."""
    convs, index, current = [], -1, None
    with open(cfg_path) as f:
        for line in f:
            line = line.split("#", 1)[0].split(";", 1)[0].strip()
            if line.startswith("["):
                if current is not None:
                    convs.append(current)
                current = None
                if line != "[net]":
                    index += 1
                if line in ("[convolutional]", "[conv]"):
                    current = {"index": index, "filters": 1, "bn": 0}
            elif current is not None and "=" in line:
                key, value = (s.strip() for s in line.split("=", 1))
                if key == "filters":
                    current["filters"] = int(value)
                elif key == "batch_normalize":
                    current["bn"] = int(value)
    if current is not None:
        convs.append(current)
    return convs


def align_batchnorm_epsilon(cfg_path, weights_path, out_dir):
    """A copy of the weights whose variances make OpenCV's BN folding equal darknet's.

    darknet (fuse_conv_batchnorm) and lightnet-trt divide by sqrt(variance + 1e-5); OpenCV's darknet importer
    uses eps = 1e-6. Storing variance + 9e-6 makes OpenCV compute sqrt(variance + 1e-5) too, so the comparison
    measures the engines, not this convention.
    """
    net = cv2.dnn.readNetFromDarknet(cfg_path, weights_path)
    data = bytearray(open(weights_path, "rb").read())
    major, minor, _ = np.frombuffer(data, np.int32, 3, 0)
    offset = 12 + (8 if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000 else 4)
    for conv in conv_sections(cfg_path):
        n = conv["filters"]
        offset += 4 * n  # biases
        if conv["bn"]:
            offset += 8 * n  # scales, rolling means
            var = np.frombuffer(data, np.float32, n, offset).copy() + np.float32(9e-6)
            data[offset:offset + 4 * n] = var.tobytes()
            offset += 4 * n
        offset += 4 * net.getParam(net.getLayerId(f"conv_{conv['index']}"), 0).size
    if offset != len(data):
        sys.exit(f"{weights_path}: {len(data)} bytes, expected {offset} from {cfg_path}")
    path = os.path.join(out_dir, "aligned.weights")
    with open(path, "wb") as f:
        f.write(data)
    return path


def head_sources(net):
    """darknet index of each conv feeding a [yolo] (the layer before it) → the OpenCV layer holding its output."""
    names = net.getLayerNames()
    sources = {}
    for name in net.getUnconnectedOutLayersNames():
        kind, index = name.rsplit("_", 1)
        if kind != "yolo":
            continue
        conv = int(index) - 1
        # conv_K, then bn_K and an activation layer (leaky_K, …) when present: the last one is the output.
        candidates = [n for n in names if n.rsplit("_", 1)[-1] == str(conv) and not n.startswith("yolo")]
        sources[conv] = candidates[-1]
    return sources


def detect(outputs, width, height, score_threshold, nms_threshold):
    boxes, scores, classes = [], [], []
    for out in outputs:
        for row in out:
            cx, cy, w, h = row[0:4]
            box = [float((cx - w / 2) * width), float((cy - h / 2) * height), float(w * width), float(h * height)]
            for class_id in np.nonzero(row[5:] >= score_threshold)[0]:
                boxes.append(box)
                scores.append(float(row[5 + class_id]))
                classes.append(int(class_id))
    detections = []
    for class_id in sorted(set(classes)):
        idx = [i for i, c in enumerate(classes) if c == class_id]
        keep = cv2.dnn.NMSBoxes([boxes[i] for i in idx], [scores[i] for i in idx], score_threshold, nms_threshold)
        for k in np.array(keep).flatten():
            i = idx[int(k)]
            x, y, w, h = boxes[i]
            detections.append({"class_id": class_id, "score": scores[i], "x": x, "y": y, "width": w, "height": h})
    detections.sort(key=lambda d: -d["score"])
    return detections


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cfg", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--score-threshold", type=float, default=0.25)
    parser.add_argument("--nms-threshold", type=float, default=0.45)
    parser.add_argument("--compare-npy")
    parser.add_argument("images", nargs="+")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    net = cv2.dnn.readNetFromDarknet(args.cfg, align_batchnorm_epsilon(args.cfg, args.weights, tmp.name))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    size = net_size(args.cfg)
    sources = head_sources(net)
    out_names = list(net.getUnconnectedOutLayersNames())
    raw = {conv: [] for conv in sources}
    for path in args.images:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            sys.exit(f"{path}: cannot decode")
        blob = cv2.dnn.blobFromImage(img, 1 / 255.0, size, swapRB=True, crop=False)
        net.setInput(blob)
        outs = net.forward(out_names + [sources[c] for c in sources])
        yolo = outs[: len(out_names)]
        for conv, out in zip(sources, outs[len(out_names):]):
            raw[conv].append(np.array(out, dtype=np.float32))
        h, w = img.shape[:2]
        line = {"source": path, "width": w, "height": h,
                "detections": detect(yolo, w, h, args.score_threshold, args.nms_threshold)}
        print(json.dumps(line), flush=True)

    if args.compare_npy:
        report = {}
        for conv, outs in raw.items():
            ref = np.concatenate(outs, axis=0)
            path = os.path.join(args.compare_npy, f"{conv}.npy")
            if not os.path.exists(path):
                report[str(conv)] = {"missing": path}
                continue
            ours = np.load(path)
            entry = {"shape": list(ours.shape), "ref_shape": list(ref.shape), "dtype": str(ours.dtype),
                     "max_abs_ref": float(np.abs(ref).max())}
            if ours.shape == ref.shape:
                entry["max_abs_diff"] = float(np.abs(ours.astype(np.float64) - ref).max())
            report[str(conv)] = entry
        print(json.dumps({"npy": report}), flush=True)


if __name__ == "__main__":
    main()
