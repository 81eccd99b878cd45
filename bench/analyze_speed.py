#!/usr/bin/env python3
"""Benchmark: sqe.bin.analyze's work on CPU: the real-time factor (seconds of computing per second of audio,
reading, model, regions and outputs included) of the egs/mini CON1 architecture and of a randomly initialised
wav2vec2-large, and the peak memory of one long file (reading, windowed model, outputs and figure).

Usage (repository root, environment active):
    python bench/analyze_speed.py [--threads 2] [--seconds 120] [--long_minutes 60] [--skip_w2v2]
Targets (issue 12): RTF <= 0.02 for the mini model; a 60-minute file under 2 GB peak memory. Models are randomly
initialised (speed and memory do not depend on the weights; DistillMOS's frozen front end is the real one).
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
W2V2_LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
                  do_stable_layer_norm=True, feat_extract_norm="layer", conv_bias=True)


def analyzer_of(kind: str, threads: int, window_s: float | None = None):
    import torch

    from sqe.analyze import AnalyzeConf, Analyzer
    from sqe.models.lssqa import LSSQAModel
    from sqe.package.load import ModelPackage
    from sqe.train.conf import TrainConf
    from sqe.utils.config import load_config

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    conf = load_config(TrainConf, REPO / "egs" / "mini" / "conf" / "con1.yaml", []).model
    if kind == "w2v2_large":
        conf.encoder, conf.encoder_conf, conf.input_norm = "wav2vec2", {"config": W2V2_LARGE}, "standardize"
    model = LSSQAModel(conf).eval()
    rng = np.random.default_rng(0)
    d = conf.scl.d_p
    info = {"embedding": "z_tilde", "thresholds": {"z_tilde": {"threshold": 0.3}, "mos": {"threshold": -3.0}},
            "open_set_similarity": 0.5}
    classes = np.array(["bgn", "clip", "lpf"])
    package = ModelPackage(Path(f"random-{kind}"), info, model, {"z_tilde": rng.standard_normal(d).astype(np.float32)},
                           {"z_tilde": (classes, rng.standard_normal((3, d)).astype(np.float32))})
    conf = AnalyzeConf(device="cpu")
    if window_s is not None:
        conf.window.window_s = window_s
    return Analyzer(package, conf)


def speech(seconds: float) -> np.ndarray:
    sys.path.insert(0, str(REPO / "test"))
    from model_factories import speech_like

    rng = np.random.default_rng(1)
    return np.concatenate([speech_like(10.0, rng) for _ in range(int(np.ceil(seconds / 10)))])[: int(seconds * 16000)]


def rtf(kind: str, threads: int, seconds: float, out: Path) -> float:
    """Seconds of computing per audio second: read a WAV, analyse, write every per-file output but the figure."""
    import soundfile as sf

    from sqe.analyze.inputs import Input, read_signal
    from sqe.analyze.writers import write_file_outputs

    analyzer = analyzer_of(kind, threads)
    path = out / f"{kind}.wav"
    sf.write(path, speech(seconds), 16000, subtype="PCM_16")
    analyzer.analyze(speech(5.0))  # warm-up
    start = time.perf_counter()
    signal = read_signal(Input(kind, str(path)))
    result = analyzer.analyze(signal.wav, 16000, kind)
    write_file_outputs(out, result, str(path), kind)
    return (time.perf_counter() - start) / seconds


def long_file_child(path: str, threads: int, out: str) -> None:
    """Runs in a fresh process: everything analyze does for one file, then the process's peak RSS."""
    from sqe.analyze.inputs import Input, read_signal
    from sqe.analyze.plot import plot_file
    from sqe.analyze.writers import write_file_outputs

    analyzer = analyzer_of("mini", threads)
    start = time.perf_counter()
    signal = read_signal(Input("long", path))
    result = analyzer.analyze(signal.wav, 16000, "long")
    write_file_outputs(Path(out), result, path, "mini")
    plot_file(Path(out) / "long.png", signal.wav, result, "embedding")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": round(seconds, 1), "peak_rss_gb": round(peak_rss_gb(), 3)}))


def peak_rss_gb() -> float:
    """This process's peak resident memory. VmHWM belongs to the address space, so unlike ru_maxrss it does
    not carry over the parent's peak through fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 ** 2  # kB -> GB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=120.0, help="audio length of the RTF measurement")
    p.add_argument("--long_minutes", type=float, default=60.0, help="0: skip the long-file memory measurement")
    p.add_argument("--skip_w2v2", action="store_true", help="no wav2vec2-large measurement")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        long_file_child(args.child[0], int(args.child[1]), args.child[2])
        return 0
    result: dict[str, object] = {"threads": args.threads, "rtf_audio_seconds": args.seconds}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        result["rtf_mini_con1"] = round(rtf("mini", args.threads, args.seconds, out), 4)
        if not args.skip_w2v2:
            result["rtf_w2v2_large_random"] = round(rtf("w2v2_large", args.threads, min(args.seconds, 60.0), out), 4)
        if args.long_minutes > 0:
            import soundfile as sf

            path = out / "long.wav"
            chunk = speech(60.0)
            with sf.SoundFile(path, "w", 16000, 1, subtype="PCM_16") as f:
                for _ in range(int(args.long_minutes)):
                    f.write(chunk)
            child = subprocess.run([sys.executable, __file__, "--child", str(path), str(args.threads), tmp],
                                   capture_output=True, text=True, check=True)
            measured = json.loads(child.stdout.strip().splitlines()[-1])
            result[f"long_{args.long_minutes:g}_min_seconds"] = measured["seconds"]
            result[f"long_{args.long_minutes:g}_min_rtf"] = round(measured["seconds"] / (60 * args.long_minutes), 4)
            result[f"long_{args.long_minutes:g}_min_peak_rss_gb"] = measured["peak_rss_gb"]
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
