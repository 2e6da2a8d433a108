#!/usr/bin/python3
"""CPU backend vs OpenCV DNN on the same machine, in one run.

usage: /usr/bin/python3 bench/cpu_vs_opencv.py [--cfg CFG] [--tool PATH] [--threads N] [--iters N]
                                               [--warmup N] [--rounds N] [--batch N]

Writes seeded random darknet weights for CFG once (lightnet-tool random-weights), then alternates rounds of
  lightnet-tool bench --cfg CFG --weights W --backend cpu --threads N --iters N --json   (Engine::forward only)
and OpenCV DNN (readNetFromDarknet(CFG, W), DNN_BACKEND_OPENCV, cv2.setNumThreads(N), net.forward of the
output layers on the same kind of blob), so that both see the same machine load. Prints the medians over all
rounds and the ratio ours / OpenCV, as one JSON line (per-round figures go to stderr). The load average
before and after is included: other processes on the machine distort both figures.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CFG = os.path.join(ROOT, "..", "shared", "models", "lightnet", "lightNet-BDD100K-1280x960.cfg")


def find_tool():
    for build in ("native/build", "native/build-dev", "build"):
        for sub in ("", "Release"):
            path = os.path.join(ROOT, build, sub, "lightnet-tool")
            if os.path.exists(path):
                return path
    return None


def cfg_size(cfg):
    size = {}
    for line in open(cfg):
        key = line.split("=")[0].strip()
        if key in ("width", "height", "channels") and key not in size:
            size[key] = int(line.split("=")[1])
    return size.get("channels", 3), size["height"], size["width"]


def ours(tool, cfg, weights, args, iters):
    cmd = [tool, "bench", "--cfg", cfg, "--weights", weights, "--backend", "cpu", "--threads", str(args.threads),
           "--batch", str(args.batch), "--iters", str(iters), "--warmup", str(args.warmup), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1]), " ".join(cmd)


def opencv(net, names, blob, iters, warmup):
    net.setInput(blob)
    for _ in range(warmup):
        net.forward(names)
    times = []
    for _ in range(iters):
        net.setInput(blob)
        t0 = time.perf_counter()
        net.forward(names)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cfg", default=os.path.normpath(DEFAULT_CFG))
    p.add_argument("--tool", default=find_tool())
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--iters", type=int, default=5, help="timed iterations per round and side")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--skip-opencv", action="store_true",
                   help="time lightnet only (cfgs OpenCV cannot load, e.g. [softmax] with groups)")
    args = p.parse_args()
    if not args.tool or not os.path.exists(args.tool):
        sys.exit("lightnet-tool not found: build it (npm run build:native) or pass --tool")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "random.weights")
        subprocess.run([args.tool, "random-weights", "--cfg", args.cfg, "--out", weights, "--seed", "1"], check=True,
                       capture_output=True)
        cv2.setNumThreads(args.threads)
        if not args.skip_opencv:
            net = cv2.dnn.readNetFromDarknet(args.cfg, weights)
            net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
            net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
            names = net.getUnconnectedOutLayersNames()
        c, h, w = cfg_size(args.cfg)
        blob = np.random.default_rng(1).random((args.batch, c, h, w), dtype=np.float32)
        ours_ms, cv_ms, command = [], [], ""
        for r in range(args.rounds):
            res, command = ours(args.tool, args.cfg, weights, args, args.iters)
            ours_ms.append(res["median_ms"])
            if not args.skip_opencv:
                times = opencv(net, names, blob, args.iters, args.warmup)
                cv_ms.append(statistics.median(times))
            print("round %d: lightnet %.1f ms, opencv %s ms" % (r + 1, ours_ms[-1], "%.1f" % cv_ms[-1] if cv_ms
                                                                  else "-"), file=sys.stderr, flush=True)
    a = statistics.median(ours_ms)
    b = statistics.median(cv_ms) if cv_ms else None
    load = os.getloadavg()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(json.dumps({"cfg": os.path.basename(args.cfg), "cpu": cpu, "threads": args.threads, "batch": args.batch,
                      "lightnet_cpu_median_ms": round(a, 2), "opencv_median_ms": round(b, 2) if b else None,
                      "ratio": round(a / b, 3) if b else None, "opencv": cv2.__version__, "rounds": args.rounds,
                      "iters": args.iters, "load_before": round(load_before, 2), "load_after": round(load[0], 2),
                      "lightnet_command": command.replace(weights, "<random.weights>")}))


if __name__ == "__main__":
    main()
