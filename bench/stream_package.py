#!/usr/bin/env python3
"""A model package of egs/mini's CON1 architecture (egs/mini/conf/con1.yaml's ``model``, the pretrained frozen
DistillMOS front end) with untrained projection, context and decoders, and a Kaldi data dir of generated
utterances (2 s of clean speech-like signal, then 4 s with a degraded 1.5-s segment): what
bench/monitor_stream.py needs to time the monitor where no trained package is at hand.

The timings are those of the trained package (the same layers and sizes); the agreement figures are not (an
untrained model's scores are not a trained one's). ``--precision fp32`` times the front end in float32, for
CPUs without native bf16, where bf16 is emulated and several times slower.

Usage (repository root, environment active):
    python bench/stream_package.py --out /tmp/stream --utterances 20
    python bench/monitor_stream.py --model /tmp/stream/con1like.sqe --data /tmp/stream/data --latency_s 60
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "test")]  # the repository first: test/sqe must not hide the package
from conftest import write_audio  # noqa: E402  (the tests' WAV writer)
from model_factories import speech_like, spliced, validation_set  # noqa: E402  (the signals the tests use)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--utterances", type=int, default=20)
    parser.add_argument("--precision", choices=["bf16", "fp32"], default="bf16",
                        help="the DistillMOS front end's (CON1: bf16)")
    args = parser.parse_args()

    import torch
    import yaml

    from sqe.models.checkpoint import save_checkpoint
    from sqe.models.lssqa import LSSQAModel, ModelConf
    from sqe.package.build import PackConf, write_package
    from sqe.utils.config import from_dict

    model_yaml = yaml.safe_load((REPO / "egs/mini/conf/con1.yaml").read_text())["model"]
    model_yaml["encoder_conf"]["precision"] = args.precision
    medfilt = yaml.safe_load((REPO / "egs/mini/conf/score.yaml").read_text())["medfilt_size"]
    torch.manual_seed(0)
    model = LSSQAModel(from_dict(ModelConf, model_yaml)).eval()
    args.out.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.out / "best.pt", model)
    valid, enrollment = validation_set(model, n=6)
    package = args.out / "con1like.sqe"
    write_package(args.out / "best.pt", enrollment, valid, package, PackConf(name="con1like", medfilt_size=medfilt),
                  results={}, sources={"validation_set": "generated", "enrollment": "generated"})
    rng = np.random.default_rng(0)
    (args.out / "data").mkdir(exist_ok=True)
    lines = []
    for i in range(args.utterances):
        kind = ["clip", "lpf", "wbgn"][i % 3]
        x = np.concatenate([speech_like(2.0, rng), spliced(4.0, kind, 1.0, 2.5, rng)[0]])
        lines.append(f"u{i:03d} {write_audio(args.out / f'u{i:03d}.wav', x)}\n")
    (args.out / "data" / "wav.scp").write_text("".join(lines))
    print(f"{package}\n{args.out / 'data'} ({args.utterances} utterances of 6 s)")


if __name__ == "__main__":
    main()
