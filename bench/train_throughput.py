#!/usr/bin/env python3
"""Benchmark: seconds of audio per second and peak memory of the full training step (every loss: eq. 1,
eq. 2, eq. 5 with random pseudo-targets, eq. 8 with random frame classes) for a training config.

Usage (repository root, environment active):
    python bench/train_throughput.py --conf egs/mini/conf/baseline.yaml --batch 16 --seconds 4
    python bench/train_throughput.py --conf egs/nisqa/conf/baseline.yaml --batch 64 --seconds 4 --device cuda
        [--set model.encoder_conf.name_or_path=/data/models/wav2vec2-large-robust]
Target (issue 4): the NISQA config on one H100 at least as fast as the plain eager bf16 figure researched for
this project: 1,353 s of audio per second with batch 64 x 4 s.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import torch

from sqe.losses.supcon import SupConConf
from sqe.models.lssqa import SCLConf
from sqe.train.conf import TrainConf
from sqe.train.step import compute_losses
from sqe.utils.config import load_config


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--conf", required=True)
    p.add_argument("--set", nargs="*", default=[], help="config overrides KEY.PATH=VALUE")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--precision", choices=["bf16", "fp32"], default=None, help="default: bf16 on GPU")
    args = p.parse_args()
    conf = load_config(TrainConf, args.conf, args.set)
    if conf.model.scl is None:
        conf.model.scl = SCLConf()  # the full step of a CON model
    conf.loss.weights.frame = conf.loss.weights.frame or 1.0
    conf.loss.weights.scl = conf.loss.weights.scl or 0.1
    conf.loss.scl = conf.loss.scl or SupConConf()
    device = torch.device(args.device)
    bf16 = (args.precision or ("bf16" if device.type == "cuda" else "fp32")) == "bf16"

    from sqe.models.lssqa import LSSQAModel

    torch.manual_seed(0)
    model = LSSQAModel(conf.model).to(device).train()
    opt = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=1e-5)
    n = int(args.seconds * 16000)
    frames = -(-n // 320)
    batch = {
        "wav": 0.1 * torch.randn(args.batch, n, device=device),
        "lengths": torch.full((args.batch,), n, device=device),
        "y": torch.rand(args.batch, device=device) * 2 - 1,
        "q_pseudo": torch.rand(args.batch, frames, device=device) * 2 - 1,
        "supervised": torch.ones(args.batch, dtype=torch.bool, device=device),
        "frame_labels": torch.randint(0, 40, (args.batch, frames), device=device),
    }
    gen = torch.Generator().manual_seed(0)
    times = []
    for i in range(args.warmup + args.steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
            total, _ = compute_losses(model, batch, conf.loss, gen)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= args.warmup:
            times.append(time.perf_counter() - start)
    step = sorted(times)[len(times) // 2]
    peak = (torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)
    print(json.dumps({
        "conf": args.conf, "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "precision": "bf16" if bf16 else "fp32", "batch": f"{args.batch} x {args.seconds} s",
        "median_step_s": round(step, 4), "audio_s_per_s": round(args.batch * args.seconds / step, 1),
        "peak_memory_gib": round(peak, 2), "peak_memory_kind": "cuda allocated" if device.type == "cuda" else "RSS",
        "parameters_m": round(sum(q.numel() for q in model.parameters()) / 1e6, 2),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
