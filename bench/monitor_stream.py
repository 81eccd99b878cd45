#!/usr/bin/env python3
"""Benchmark: sqe.bin.monitor on a test set, against offline analysis of the same files.

Three measurements, all with one CPU thread for the model:

- agreement: every utterance of a Kaldi data dir is streamed on its own through sqe.monitor's StreamAnalyzer
  (in this process; its output does not depend on timing) and analysed offline (sqe.analyze.Analyzer). Frame
  detection scores after the warm-up are correlated (Pearson, pooled over the set; per utterance the minimum)
  and the regions compared by frame-intersection F1 (offline as reference).
- real-time factor: CPU seconds of the stream analysis (model, statistics, regions) per second of audio.
- latency: the utterances, one after another, are written at real time into ``python -m sqe.bin.monitor``
  through a pipe (raw s16le, 20 ms blocks; the monitor pinned to one core with taskset where it exists); for
  every region line the wall time from writing the last sample of the region it reports to reading the line
  (``--regions early``, the default: a merged region's revision is timed from its new end).

Usage (repository root, environment active):
    python bench/monitor_stream.py --model exp/con1/package/con1.sqe --data data/mini_test_real_mixup
Targets (issue 25): RTF <= 0.05 on one core; latency median <= 0.5 s, 95th percentile <= 1.0 s; score
correlation >= 0.99 after the warm-up; region F1 >= 0.95. Prints one JSON object (--json FILE writes it too).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from onnx_backend import region_f1  # noqa: E402  (bench/ is on the path when this script runs)

BLOCK_S = 0.02


def agreement(analyzer, conf, audio) -> dict:
    """Offline vs stream per utterance, and the stream's CPU time."""
    from sqe.monitor.stream import StreamAnalyzer

    warm = int(round(conf.warmup_s * 50))
    pooled_a, pooled_b, corr, f1, busy, regions, lines = [], [], [], [], 0.0, [0, 0], 0
    for _, wav in audio:
        offline = analyzer.analyze(wav)
        stream = StreamAnalyzer(analyzer, conf)
        score = np.full(offline.score.size, np.nan, np.float32)

        def keep(start, s, q, speech, score=score):
            score[start:start + s.size] = s
        stream.on_frames = keep
        t = time.process_time()
        events = []
        for a in range(0, wav.size, stream.hop):
            events += stream.push(wav[a:a + stream.hop])
        events += stream.finish()
        busy += time.process_time() - t
        found = list({e["id"]: e for e in events if e["event"] == "region"}.values())  # each id's last line
        lines += sum(e["event"] == "region" for e in events)
        a, b = offline.score[warm:], score[warm:]
        if a.size > 10:
            pooled_a.append(a), pooled_b.append(b)
            corr.append(float(np.corrcoef(a, b)[0, 1]))
        hyp = [SimpleNamespace(onset=e["onset"], offset=e["offset"]) for e in found]
        f1.append(region_f1(offline.regions, hyp))
        regions[0] += len(offline.regions)
        regions[1] += len(found)
    a, b = np.concatenate(pooled_a), np.concatenate(pooled_b)
    seconds = sum(w.size for _, w in audio) / 16000
    return {"score_corr_after_warmup": {"pooled": round(float(np.corrcoef(a, b)[0, 1]), 5),
                                        "min_utterance": round(min(corr), 5)},
            "max_abs_score_diff_after_warmup": round(float(np.abs(a - b).max()), 5),
            "region_f1": {"mean": round(float(np.mean(f1)), 4), "min": round(min(f1), 4)},
            "regions": {"offline": regions[0], "stream": regions[1], "stream_lines": lines},
            "rtf_cpu": round(busy / seconds, 4)}


def latency(model: Path, audio, conf_args: list[str]) -> dict:
    """Real-time streaming through the monitor process; latency of each region line."""
    signal = np.concatenate([w for _, w in audio])
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes()
    cmd = [sys.executable, "-m", "sqe.bin.monitor", "--model", str(model), "--rate", "16000", *conf_args]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    lines: list[tuple[float, dict]] = []
    reader = threading.Thread(target=lambda: lines.extend((time.monotonic(), json.loads(l)) for l in proc.stdout))
    reader.start()
    while not any(e["event"] == "start" for _, e in lines):  # the model is loaded: the stream begins
        time.sleep(0.01)
    block = int(BLOCK_S * 16000) * 2
    written = np.zeros(len(pcm) // block + 1)
    begin = time.monotonic()
    for i, a in enumerate(range(0, len(pcm), block)):
        time.sleep(max(0.0, begin + i * BLOCK_S - time.monotonic()))
        proc.stdin.write(pcm[a:a + block])
        proc.stdin.flush()
        written[i] = time.monotonic()
    proc.stdin.close()
    reader.join()
    proc.wait()
    waits, algorithmic = [], []
    for t, e in lines:
        if e["event"] == "region":
            block_of_last = int((round(e["offset"] * 16000) - 1) // (BLOCK_S * 16000))  # its last sample's
            last = min(block_of_last, len(written) - 1)
            if e["stream_s"] < signal.size / 16000:  # closed while streaming, not by the end-of-input flush
                waits.append(t - written[last])
                algorithmic.append(e["stream_s"] - e["offset"])
    revisions = sum(e["event"] == "region" and e["revision"] > 0 for _, e in lines)
    return {"regions_timed": len(waits), "revision_lines": revisions, "median_s": round(float(np.median(waits)), 3),
            "p95_s": round(float(np.percentile(waits, 95)), 3), "max_s": round(float(np.max(waits)), 3),
            "audio_wait_median_s": round(float(np.median(algorithmic)), 3),
            "stream_s": round(signal.size / 16000, 1), "pinned_core": shutil.which("taskset") is not None,
            "exit_status": proc.returncode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=0, help="at most this many utterances (0: all)")
    parser.add_argument("--latency_s", type=float, default=300.0,
                        help="stream at most this much audio at real time for the latency (0: skip)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="MonitorConf overrides")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()

    import yaml

    from sqe.analyze.analyzer import Analyzer
    from sqe.analyze.inputs import collect_inputs
    from sqe.audio.io import load_audio
    from sqe.monitor.stream import MonitorConf

    overrides = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    conf = MonitorConf(**overrides)
    inputs = collect_inputs([], args.data, None)
    if args.limit:
        inputs = inputs[:args.limit]
    audio = [(i.name, load_audio(i.entry, i.name, start=i.start, end=i.end, downmix=True)) for i in inputs]
    analyzer = Analyzer.from_package(args.model, conf.analyze_conf())
    result = {"model": str(args.model), "data": str(args.data), "utterances": len(audio),
              "audio_s": round(sum(w.size for _, w in audio) / 16000, 1), "conf": overrides,
              "backend": conf.backend, "threads": conf.threads, **agreement(analyzer, conf, audio)}
    if args.latency_s > 0:
        take, total = [], 0.0
        for item in audio:
            if total >= args.latency_s:
                break
            take.append(item)
            total += item[1].size / 16000
        result["latency"] = latency(args.model, take, [f"--{k}={v}" for k, v in overrides.items()])
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
