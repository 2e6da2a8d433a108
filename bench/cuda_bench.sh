#!/bin/bash
# CUDA backend benchmark: every LightNet cfg (seeded random weights) through lightnet-tool, DNN-only and full
# frame (1920x1080 bgr8 host buffer -> results on the host), then ../shared/bench/torch_peer.py on the same GPU
# in the same run, so the figures compare.
#   bench/cuda_bench.sh [BUILD_DIR=native/build] [SHARED=../shared]   (PEER=0 skips the PyTorch peer)
set -o pipefail
BUILD=${1:-native/build}
SHARED=${2:-../shared}
TOOL=$BUILD/lightnet-tool
M=$SHARED/models/lightnet
PLANS=${PLANS:-/tmp/lightnet-plans}
[ -x "$TOOL" ] || { echo "no $TOOL: build with CUDA + cuDNN first" >&2; exit 1; }
date -u
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
run() {  # [VAR=value ...] lightnet-tool bench arguments
  local envs=()
  while [[ "$1" == *=* && "$1" != --* ]]; do envs+=("$1"); shift; done
  echo "## ${envs[*]} lightnet-tool bench --backend cuda --cache $PLANS --iters 200 --warmup 20 $*"
  env "${envs[@]}" "$TOOL" bench --backend cuda --cache "$PLANS" --iters 200 --warmup 20 "$@" 2>&1 |
    grep -v "^ *0\.00"
}
for cfg in lightNet-BDD100K-1280x960 lightNet-BDD100K-det-semaseg-1280x960; do
  run --cfg $M/$cfg.cfg --precision fp16 --full-frame --profile
  run --cfg $M/$cfg.cfg --precision fp16 --full-frame
  run --cfg $M/$cfg.cfg --precision fp16 --full-frame --pinned-input
  run --cfg $M/$cfg.cfg --precision fp16 --full-frame --batch 4
  run --cfg $M/$cfg.cfg --precision fp16 --full-frame --batch 4 --pinned-input
  run --cfg $M/$cfg.cfg --precision fp32 --full-frame
done
for cfg in lightNet-BDD100K-1280x960-chPruning lightNet-BDD100K-chPruning-det-semaseg-1280x960; do
  run --cfg $M/$cfg.cfg --precision fp16 --full-frame
done
# What each change is worth, measured side by side: the upload paths (the driver's pageable copy, the pinned
# staging with 0..7 helper threads), the upsample fused into its concat or not, and post-processing with the
# number of boxes above the score threshold (random weights pass about 250,000 at 0.25; a trained model a few
# hundred).
DS=$M/lightNet-BDD100K-det-semaseg-1280x960.cfg
run LIGHTNET_CUDA_UPLOAD=pageable --cfg $DS --precision fp16 --full-frame
for t in 0 1 3 7; do run LIGHTNET_CUDA_UPLOAD_THREADS=$t --cfg $DS --precision fp16 --full-frame; done
for cfg in lightNet-BDD100K-1280x960 lightNet-BDD100K-det-semaseg-1280x960; do
  run LIGHTNET_CUDA_FUSE_UPSAMPLE=0 --cfg $M/$cfg.cfg --precision fp16 --full-frame
  run LIGHTNET_CUDA_FUSE_UPSAMPLE=1 --cfg $M/$cfg.cfg --precision fp16 --full-frame
done
for score in 0.5 0.9 0.99; do run --cfg $DS --precision fp16 --full-frame --score $score; done
# The convolution kernels and INT8: the per-layer choice (default) against cuDNN alone and the own kernels
# alone, concat by copies only (no own-kernel producer in place) and every producer in place, and INT8 (random weights: clip 6) with int8 only where timed faster (default) or
# everywhere the plan allows (LIGHTNET_CUDA_INT8=all). Separate plan caches: the plan key names these variables.
for cfg in lightNet-BDD100K-1280x960 lightNet-BDD100K-det-semaseg-1280x960; do
  for v in LIGHTNET_CUDA_CONV=cudnn LIGHTNET_CUDA_CONV=own LIGHTNET_CUDA_CONCAT=copy LIGHTNET_CUDA_CONCAT=inplace; do
    run $v --cfg $M/$cfg.cfg --precision fp16
  done
  run --cfg $M/$cfg.cfg --precision int8 --clip-value 6 --full-frame --pinned-input
  run LIGHTNET_CUDA_INT8=all --cfg $M/$cfg.cfg --precision int8 --clip-value 6 --full-frame --pinned-input
done
if [ "${PEER:-1}" != 0 ]; then
  for cfg in lightNet-BDD100K-1280x960 lightNet-BDD100K-det-semaseg-1280x960; do
    echo "## python3 $SHARED/bench/torch_peer.py $M/$cfg.cfg"
    PYTHONUNBUFFERED=1 python3 "$SHARED/bench/torch_peer.py" --modes fp32,fp16graph,compile "$M/$cfg.cfg"
  done
fi
