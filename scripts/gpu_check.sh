#!/usr/bin/env bash
# The GPU check, prepared to run in under 5 minutes on one CUDA GPU (CI and most development
# machines have none): LightGCN-3 on Gowalla (the LightGCN split, all of train.txt), its CSR
# propagation and full-ranking test evaluation on the GPU, next to the same run on the
# machine's CPU cores; prints both epoch times and the CPU:GPU ratio.
#
# Usage: LGNAS_DATA_DIR=../shared/data bash scripts/gpu_check.sh [epochs, default 2]
# Exits 3, having run nothing, where torch sees no CUDA device.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
EPOCHS="${1:-2}"
THREADS="$(nproc)"
python -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)' || {
    echo "gpu_check: torch sees no CUDA device (torch.cuda.is_available() is False)" >&2
    exit 3
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
OUT="${OUT:-.}/gpu_check.jsonl"
python scripts/bench_lightgcn.py --datasets gowalla --epochs "$EPOCHS" --threads "$THREADS" \
    --devices cuda cpu --peers --out "$OUT"
python - "$OUT" <<'PY'
import json, sys
rows = {r["peer"]: r for r in map(json.loads, open(sys.argv[1]))}
gpu, cpu = rows["lgnas-cuda"], rows["lgnas"]
print(f"Gowalla LightGCN-3 epoch: GPU {gpu['sec_per_epoch']:.2f} s, CPU ({cpu['threads']} "
      f"threads) {cpu['sec_per_epoch']:.2f} s, CPU:GPU {cpu['sec_per_epoch'] / gpu['sec_per_epoch']:.1f}x")
print(f"full-ranking test evaluation: GPU {gpu['sec_per_eval']:.2f} s, CPU "
      f"{cpu['sec_per_eval']:.2f} s, CPU:GPU {cpu['sec_per_eval'] / gpu['sec_per_eval']:.1f}x")
PY
