#!/usr/bin/env python3
"""Benchmark: seconds of audio per second and peak memory of the full training step (every loss: eq. 1,
eq. 2, eq. 5 with random pseudo-targets, eq. 8 with random frame classes) for a training config.

Usage (repository root, environment active):
    python bench/train_throughput.py --conf egs/mini/conf/baseline.yaml --batch 16 --seconds 4
    python bench/train_throughput.py --conf egs/nisqa/conf/con1.yaml --batch 64 --seconds 4 --device cuda \
        --random_w2v2_large [--fused] [--compile] [--attn eager] [--infer]
--random_w2v2_large replaces the pretrained encoder by a randomly initialised wav2vec2-large-robust of the same
shape (no download; the speed is the same). --fused, --compile and --attn are the trainer's speed options
(optim.fused, compile, model.encoder_conf.attn_implementation); --infer measures inference (no gradients,
eval mode) instead of the training step. bench/gpu_check.sh runs the set of measurements on a GPU.
Targets: issue 4, the NISQA config on one H100 at least as fast as the plain eager bf16 figure researched for
this project (1,353 audio-s/s with batch 64 x 4 s); issue 13, the full step of egs/nisqa/conf/con1.yaml
>= 3,000 audio-s/s on one H100/H200 and inference >= 10,000 audio-s/s.
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
from sqe.train.accel import compile_encoder, make_optimizer
from sqe.train.conf import TrainConf
from sqe.train.step import compute_losses
from sqe.utils.config import load_config

# wav2vec2-large-robust's shape (the paper's encoder), randomly initialised
W2V2_LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                  do_stable_layer_norm=True, feat_extract_norm="layer", conv_bias=True, layerdrop=0.0)


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
    p.add_argument("--random_w2v2_large", action="store_true", help="a random wav2vec2-large encoder (no download)")
    p.add_argument("--fused", action="store_true", help="fused Adam (optim.fused)")
    p.add_argument("--compile", action="store_true", help="torch.compile the encoder (compile)")
    p.add_argument("--attn", choices=["sdpa", "eager", "flash_attention_2"], help="wav2vec2 attention kernel")
    p.add_argument("--infer", action="store_true", help="inference throughput instead of the training step")
    args = p.parse_args()
    conf = load_config(TrainConf, args.conf, args.set)
    if args.random_w2v2_large:
        keep = {k: v for k, v in conf.model.encoder_conf.items() if k in ("freeze_feature_encoder",
                                                                         "activation_checkpointing")}
        conf.model.encoder, conf.model.encoder_conf = "wav2vec2", {**keep, "config": W2V2_LARGE}
    if args.attn:
        conf.model.encoder_conf = {**conf.model.encoder_conf, "attn_implementation": args.attn}
    conf.optim.fused = args.fused
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
    if args.compile:
        compile_encoder(model)
    conf.optim.lr = 1e-5
    opt = make_optimizer([q for q in model.parameters() if q.requires_grad], conf.optim)
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
    if args.infer:
        model.eval()
    times = []
    for i in range(args.warmup + args.steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        if args.infer:
            with torch.no_grad(), torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16):
                model(batch["wav"], batch["lengths"])
        else:
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
        "measure": "inference" if args.infer else "training step", "random_w2v2_large": args.random_w2v2_large,
        "fused": args.fused, "compile": args.compile, "attn": args.attn or "default",
        "median_step_s": round(step, 4), "audio_s_per_s": round(args.batch * args.seconds / step, 1),
        "peak_memory_gib": round(peak, 2), "peak_memory_kind": "cuda allocated" if device.type == "cuda" else "RSS",
        "parameters_m": round(sum(q.numel() for q in model.parameters()) / 1e6, 2),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
