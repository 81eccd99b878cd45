#!/usr/bin/env bash
# The GPU measurements of issue 13 in one go (at most ~8 minutes on an H100/H200): the full training step of
# egs/nisqa/conf/con1.yaml with a randomly initialised wav2vec2-large-robust (no download) under each speed
# option, inference, and the loader's throughput per worker count on fabricated 48 kHz float pairs.
# Usage (repository root, environment installed): bench/gpu_check.sh [OUT_DIR]   (default: bench/gpu_check_out)
# Each measurement writes OUT_DIR/<name>.json (or <name>.err); a failing one does not stop the others.
# A machine with a CUDA torch and transformers but without sqe's environment runs sqe from this checkout
# (PYTHONPATH); otherwise tools/activate.sh installs and activates the project environment.
set -u
out=${1:-${OUT:-bench}/gpu_check_out}
mkdir -p "${out}"
if ! python3 -c "import torch, transformers, soundfile, soxr, yaml" 2>/dev/null; then . tools/activate.sh; fi
export PYTHONPATH=${PWD}${PYTHONPATH:+:${PYTHONPATH}}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
python() { python3 "$@"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "${out}/gpu.csv" 2>&1
python -c "import torch, transformers; print(torch.__version__, torch.version.cuda, transformers.__version__)" \
  > "${out}/versions.txt" 2>&1

step() {  # name, seconds allowed, arguments of bench/train_throughput.py
  local name=$1 limit=$2
  shift 2
  echo "$(date +%T) ${name}" >&2
  if timeout "${limit}" python bench/train_throughput.py --conf egs/nisqa/conf/con1.yaml --device cuda \
      --random_w2v2_large --batch 64 --seconds 4 --steps 10 --warmup 3 "$@" > "${out}/${name}.json" \
      2> "${out}/${name}.err"; then
    rm -f "${out}/${name}.err"
  fi
}

step train_bf16 60                                  # the plain step (bf16 autocast, SDPA attention)
step train_bf16_fused 60 --fused
step train_bf16_eager_attention 60 --attn eager
step train_fp32 90 --precision fp32
step train_bf16_compile 150 --compile --warmup 4
step infer_bf16 45 --infer --batch 128
step infer_bf16_compile 120 --infer --batch 128 --compile --warmup 4
echo "$(date +%T) loader" >&2
timeout 120 python bench/loader_throughput.py --fabricate 160 --workers 0 4 8 16 --batches 30 \
  > "${out}/loader_48k.json" 2> "${out}/loader_48k.err" && rm -f "${out}/loader_48k.err"
python - "${out}" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
for f in sorted(out.glob("*.json")):
    r = json.loads(f.read_text())
    if "audio_s_per_s" in r:
        print(f"{f.stem:32s} {r['audio_s_per_s']:>10} audio-s/s  peak {r['peak_memory_gib']} GiB")
    elif "results" in r:
        for row in r["results"]:
            print(f"{'loader workers ' + str(row['workers']):32s} {row['audio_s_per_s']:>10} audio-s/s")
for f in sorted(out.glob("*.err")):
    print(f"{f.stem}: FAILED, see {f}")
PY
