#!/usr/bin/env bash
# The paper profile's GPU checks, on one CUDA GPU (run by hand; CI has no GPU). Planned to fit a short GPU
# session; its time on a GPU has not been measured yet.
#
#   bash benchmarks/gpu_check.sh            # from the repository root, after pip install -e .
#
# 1. the trimmed rehearsal (config/rehearsal-trim.yaml) on CUDA: `qsnn train` uses float16
#    autocast + GradScaler whenever a GPU is visible, so every run here is an AMP run;
# 2. a `torchrun --nproc_per_node 1` DDP run (NCCL process group, DistributedSampler);
# 3. the S=16 run (Table 3's 1/16/1) under AMP, which crashed before the neuron kept its state
#    in float32;
# 4. images/s and peak memory per full-scale architecture at the paper's T and batch 128,
#    eager vs torch.compile, with AMP (benchmarks/bench_throughput.py --all).
# Writes everything under results/gpu_check/ (log.txt, throughput_*.csv); exits non-zero on the
# first failure. Numbers are this GPU's: state the GPU model (nvidia-smi -L) beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${GPU_CHECK_OUT:-results/gpu_check}"
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
export PYTHONUNBUFFERED=1

step() { printf '\n== %s  (%s)\n' "$1" "$(date +%T)"; }

step "GPU"
python - <<'PY'
import torch
assert torch.cuda.is_available(), "no CUDA GPU visible: this script checks the GPU path"
print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))
PY

step "1. trimmed rehearsal on CUDA (AMP)"
time snakemake --cores all --configfile config/rehearsal-trim.yaml --forceall --quiet rules
grep -h '"device"' results/runs/*/metrics.json | sort | uniq -c

DATA=results/rehearsal-data
step "2. torchrun --nproc_per_node 1 (DDP)"
time torchrun --standalone --nproc_per_node 1 -m qsnn.cli train --dataset cifar10 --arch spikformer-4-384 \
    --wst 1/1/4 --epochs 1 --batch-size 16 --limit-batches 4 --data-root "$DATA" --no-progress --out "$OUT/ddp"
python -c "import json; r = json.load(open('$OUT/ddp/metrics.json')); print('ddp device:', r['device'])"

step "3. S=16 (Table 3's 1/16/1) under AMP"
time qsnn train --dataset dvs-gesture --arch spikformer-4-384 --wst 1/16/1 --epochs 1 --batch-size 16 \
    --limit-batches 4 --data-root "$DATA" --no-progress --out "$OUT/s16"

step "4. throughput per full-scale architecture (batch 128, paper T)"
python benchmarks/bench_throughput.py --all --device cuda --amp --out "$OUT/throughput_eager_amp.csv"
python benchmarks/bench_throughput.py --all --device cuda --out "$OUT/throughput_eager_fp32.csv"
python benchmarks/bench_throughput.py --all --device cuda --amp --compile --out "$OUT/throughput_compiled_amp.csv" \
    || echo "torch.compile failed: see the log above (the eager numbers stand)"

step "done: $OUT"
