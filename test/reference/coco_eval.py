#!/usr/bin/python3
"""Independent reference for detection mAP: pycocotools' COCOeval on a ground-truth and a results file.
Usage: coco_eval.py GT.json RESULTS.json  ->  prints {"map50to95", "map50", "per_class": {cat_id: [ap50, ap]}}"""
import contextlib
import io
import json
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1])
    dt = gt.loadRes(sys.argv[2])
    ev = COCOeval(gt, dt, "bbox")
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
precision = ev.eval["precision"]  # [T, R, K, A, M]
per_class = {}
for k, cat in enumerate(ev.params.catIds):
    p = precision[:, :, k, 0, -1]  # area all, maxDets 100
    if (p > -1).any():
        per_class[int(cat)] = [float(np.mean(p[0][p[0] > -1])), float(np.mean(p[p > -1]))]
print(json.dumps({"map50to95": float(ev.stats[0]), "map50": float(ev.stats[1]), "per_class": per_class}))
