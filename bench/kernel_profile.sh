#!/bin/bash
# Per-kernel view of one CUDA-graph replay (FP16, batch 1) under Nsight Compute: duration, DRAM bytes, SM
# throughput and active warps of every kernel the network launches, then a summary by kind of kernel. Answers
# what the per-layer profile (`--profile`, event nodes between layers) cannot: whether a layer is bound by
# memory, by math, or by too few warps in flight.
#   bench/kernel_profile.sh CFG [BUILD_DIR=native/build] [OUT_DIR=.]
# ncu serializes the kernels (no overlap between lanes, no early start), so the sum of the durations is above
# the replay's latency. Sparsity is off: ncu fails to profile the cuSPARSELt kernels and then hangs (ncu of
# CUDA 13.0 on the H200, 2026-12-03).
#   bench/kernel_profile.sh --summary FILE.csv   summarizes a CSV written before (no GPU needed)
set -o pipefail
summarize() {
  python3 - "$1" <<'EOF'
import collections, csv, io, statistics, sys

rows = [l for l in open(sys.argv[1]) if l.startswith('"')]
kernels = collections.OrderedDict()
for r in csv.DictReader(io.StringIO("".join(rows))):
    k = kernels.setdefault(int(r["ID"]), {"name": r["Kernel Name"]})
    k[r["Metric Name"]] = float(r["Metric Value"].replace(",", ""))
if not kernels:
    sys.exit(f"{sys.argv[1]}: no kernels (ncu wrote no metric rows)")
ids = list(kernels)
# The last replay: from the last preprocess kernel (the input upload) to the first YOLO decode after it.
pre = [i for i in ids if "preprocess_kernel" in kernels[i]["name"]]
start = ids.index(pre[-1]) + 1 if pre else 0
end = next((n for n in range(start, len(ids)) if "yolo_decode" in kernels[ids[n]]["name"]), len(ids))
net = [kernels[i] for i in ids[start:end]]

def kind(name):
    for key, label in (("resident", "own resident conv"), ("igemm", "own tiled conv"), ("sm90_xmma", "cuDNN sm90 conv"),
                       ("sm80_xmma", "cuDNN sm80 conv"), ("nvjet", "cuDNN nvjet (1x1 as GEMM)"),
                       ("generated", "cuDNN generated conv"), ("cutlass", "cuDNN cutlass conv"), ("concat", "concat"),
                       ("upsample", "upsample"), ("maxpool", "maxpool")):
        if key in name:
            return label
    base = name.split("(")[0].replace("void ", "").replace("<unnamed>", "")
    return base.split("<")[0].split("::")[-1][:28]  # the function's own name, no namespace or template

T, R, W = "gpu__time_duration.sum", "dram__bytes_read.sum", "dram__bytes_write.sum"
SM, WARPS = "sm__throughput.avg.pct_of_peak_sustained_elapsed", "sm__warps_active.avg.pct_of_peak_sustained_active"
print(f"{len(net)} kernels in the replay, {sum(k[T] for k in net) / 1e3:.1f} us serialized, "
      f"DRAM {sum(k[R] for k in net) / 1e6:.1f} MB read, {sum(k[W] for k in net) / 1e6:.1f} MB written")
print(f"{'kind':<28} {'n':>3} {'sum us':>8} {'median us':>9} {'SM %':>6} {'warps %':>8}")
groups = collections.defaultdict(list)
for k in net:
    groups[kind(k["name"])].append(k)
for label, ks in sorted(groups.items(), key=lambda g: -sum(k[T] for k in g[1])):
    med = lambda key: statistics.median(k.get(key, 0) for k in ks)
    print(f"{label:<28} {len(ks):>3} {sum(k[T] for k in ks) / 1e3:>8.1f} {med(T) / 1e3:>9.2f} {med(SM):>6.1f} {med(WARPS):>8.1f}")
EOF
}
if [ "$1" = "--summary" ]; then summarize "$2"; exit; fi

CFG=${1:?usage: bench/kernel_profile.sh CFG [BUILD_DIR] [OUT_DIR]}
BUILD=${2:-native/build}
OUT_DIR=${3:-.}
TOOL=$BUILD/lightnet-tool
NCU=${NCU:-$(command -v ncu || echo /usr/local/cuda/bin/ncu)}
PLANS=${PLANS:-/tmp/lightnet-plans}
[ -x "$TOOL" ] || { echo "no $TOOL: build with CUDA + cuDNN first" >&2; exit 1; }
[ -x "$NCU" ] || { echo "no Nsight Compute at $NCU (set NCU=...)" >&2; exit 1; }
B=(bench --backend cuda --cache "$PLANS" --precision fp16 --sparsity off --cfg "$CFG")
# Tune and cache the plan first: under ncu the build's thousands of timing launches would take hours.
"$TOOL" "${B[@]}" --iters 50 --warmup 10 --json 2>&1 | grep -E "built|median" || exit 1
csv=$OUT_DIR/$(basename "$CFG" .cfg)-kernels.csv
"$NCU" --clock-control none --cache-control none --csv \
  --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,sm__throughput.avg.pct_of_peak_sustained_elapsed,sm__warps_active.avg.pct_of_peak_sustained_active,launch__grid_size,launch__block_size,launch__registers_per_thread \
  "$TOOL" "${B[@]}" --iters 1 --warmup 0 > "$csv" || { echo "ncu failed: see $csv" >&2; exit 1; }
echo "per-kernel metrics: $csv"
summarize "$csv"
