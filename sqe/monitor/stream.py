"""Analysis of a stream as it arrives: the offline analysis (sqe.analyze.Analyzer) with running statistics and
the least look-ahead its frames need.

Warm-up. Nothing is analysed before ``warmup_s`` of audio is in; then the first step analyses the whole
warm-up span with statistics taken over it, and every later step with statistics over all audio received so
far (input mean/std, peak, the frame mean of X, the loud-frame level of the speech rule: sqe.monitor.running).
They converge to the offline values, so the frame scores agree with offline analysis of the same file the more
the longer the stream runs (bench/monitor_stream.py measures it).

Look-ahead. A frame's detection score is final once the audio reaches ``encoder context`` frames (the
encoder's receptive field, sqe.models.encoders.Encoder.context_frames; ``encoder_context_s`` for encoders
that attend to the whole input) + ``decoder context`` (half the decoders' receptive field, 10 frames for
kernels 11, 7, 5) + the median filter's half-width past it. Region lines (``regions``):

- ``early`` (default): a region is reported as soon as one final, non-degraded frame follows it. Offline
  analysis merges degraded runs less than ``merge_gap_s`` apart; when such a run follows, the merged region is
  reported again with the same ``id`` and a higher ``revision``. The last line of each id is the region offline
  analysis finds, and every region's first line waits for no merge gap.
- ``final``: a region is reported once, when ``merge_gap_s`` of final, non-degraded frames follow it.

That is the whole delay besides the analysis step ``hop_s``.

Steps run when the stream reaches multiples of ``hop_s`` (counted in samples), so the output is the same
however the input arrives (pipe buffer sizes, a slow writer).

Encoding. Where the backend offers it (a DistillMOS encoder on torch, sqe.infer.incremental, or on ONNX Runtime
with the package's stream graph, sqe.infer.onnx_stream), the new samples of each step are normalised with the
statistics of that moment and encoded once; otherwise each step encodes the new frames' receptive field again,
normalised with the current statistics. X frames, once computed, are
kept either way; the decoders see each step's window of X divided by the current output scale.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Callable, Literal

import numpy as np

from sqe.analyze.analyzer import AnalyzeConf, Analyzer, DetectConf
from sqe.audio.grid import HOP, num_frames
from sqe.audio.io import TARGET_SR
from sqe.audio.speech import FRAME_S, LOUD_PERCENTILE, SPEECH_WIDEN, dilate, energy_active, frame_levels
from sqe.infer.framing import output_scale
from sqe.metrics.smoothing import median_filter
from sqe.monitor.running import RunningFrameMean, RunningMoments, RunningPercentile
from sqe.monitor.tracks import RunCloser, Track

FRAMES_PER_S = round(1 / FRAME_S)


@dataclass
class MonitorConf(DetectConf):
    warmup_s: float = 3.0  # audio collected before the first analysis; its statistics start the running ones
    hop_s: float = 0.1  # analysis step (the smaller, the lower the latency and the higher the CPU cost)
    report_s: float = 5.0  # a rolling MOS line every report_s seconds of stream (0: none)
    encoder_context_s: float = 1.0  # look-ahead for encoders without a bounded receptive field (wav2vec2)
    speech: Literal["energy", "none"] = "energy"  # silence flags (rVAD needs whole files: not offered here)
    regions: Literal["early", "final"] = "early"  # report a region when it ends (revised if merged) or only
    # once no later run can merge with it (merge_gap_s later)
    incremental: bool = True  # encode each frame once where the backend can (DistillMOS: torch, onnx); false:
    # re-encode the receptive field every step (the same frames up to the running statistics, more CPU)
    device: Literal["auto", "cpu", "cuda"] = "cpu"  # torch backend only
    threads: int = 1  # CPU threads of the backend (0: its default)
    # and DetectConf's detector, threshold, merge and region settings, backend, precision

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.warmup_s < 0 or self.hop_s < FRAME_S or self.report_s < 0 or self.encoder_context_s < 0:
            raise ValueError("warmup_s, report_s and encoder_context_s must not be negative, hop_s at least 0.02")

    def analyze_conf(self) -> AnalyzeConf:
        """The offline analysis settings these share (the Analyzer runs the model and types the regions)."""
        return AnalyzeConf(**{f.name: getattr(self, f.name) for f in fields(DetectConf)}, speech=self.speech)


def _none_if_nan(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 4)


class StreamAnalyzer:
    """``push(samples)`` 16 kHz mono float32 blocks, then ``finish()``; both return the events (dicts: one
    JSON line each) that became certain: ``region``, ``mos`` (every report_s) and, from finish, ``end``."""

    def __init__(self, analyzer: Analyzer, conf: MonitorConf | None = None):
        self.analyzer, self.conf = analyzer, conf or MonitorConf()
        backend = analyzer.backend
        self.backend, self.emb = backend, analyzer.package.embedding
        own = backend.context_frames
        self.enc_ctx = own if own is not None else int(round(self.conf.encoder_context_s * FRAMES_PER_S))
        self.dec_ctx = backend.decoder_context
        self.half = analyzer.package.medfilt_size // 2
        self.merge_gap = self.conf.merge_gap_frames
        self.closer = RunCloser(self.merge_gap, self.conf.min_region_frames, early=self.conf.regions == "early")
        self.hop = max(1, int(round(self.conf.hop_s * FRAMES_PER_S))) * HOP
        self.report = int(round(self.conf.report_s * FRAMES_PER_S))
        self.next_step = max(int(round(self.conf.warmup_s * TARGET_SR)), self.hop)
        self.audio, self.n = Track(), 0  # samples (kept from what the next encoding needs)
        # each frame encoded once where the backend can (DistillMOS); else windows are re-encoded
        self.incremental = backend.incremental() if self.conf.incremental else None
        self.fed = 0  # samples given to the incremental encoder
        self.moments, self.xmean, self.loud = RunningMoments(), RunningFrameMean(), RunningPercentile()
        self.levels, self.x = Track(), Track()  # frame levels (dBFS), X before output normalisation
        self.q, self.z, self.raw = Track(), Track(), Track()  # decoded frames
        self.score, self.speech = Track(), Track()  # final frames: filtered score, speech flags
        self.q_sum, self.q_speech_sum, self.speech_frames, self.regions, self.next_report = 0.0, 0.0, 0, 0, 0
        self.revisions: dict[int, int] = {}  # the newest region id: lines written for it - 1
        # called with (first frame, score, q, speech) of every block of final frames (benchmarks, live plots)
        self.on_frames: Callable[[int, np.ndarray, np.ndarray, np.ndarray], None] | None = None

    @property
    def time_s(self) -> float:
        """Seconds of audio received."""
        return self.n / TARGET_SR

    @property
    def lookahead_frames(self) -> int:
        """Frames of audio after a region's last frame before its (first) line (the step's wait not counted)."""
        wait = self.merge_gap if self.conf.regions == "final" else 0
        return self.enc_ctx + self.dec_ctx + self.half + wait + 1

    def push(self, samples: np.ndarray) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        samples = np.asarray(samples, dtype=np.float32)
        while samples.size:
            take = min(samples.size, self.next_step - self.n)
            self._append(samples[:take])
            samples = samples[take:]
            if self.n == self.next_step:
                events += self._step(final=False)
                self.next_step += self.hop
        return events

    def finish(self) -> list[dict[str, Any]]:
        """End of the stream: everything left is analysed (the last frames as offline, against the end)."""
        events = self._step(final=True) if self.n else []
        events += self._emit(self.closer.flush())
        if self.report and self.score.end > self.next_report:
            events.append(self._mos_event(self.next_report, self.score.end))
        done = self.score.end
        return events + [{"event": "end", "duration_s": round(self.time_s, 3), "frames": done,
                          "mos": _none_if_nan(self.q_sum / done if done else np.nan),
                          "mos_speech": _none_if_nan(self.q_speech_sum / self.speech_frames
                                                     if self.speech_frames else np.nan),
                          "regions": self.regions}]

    def _append(self, x: np.ndarray) -> None:
        self.audio.extend(x)
        self.moments.add(x)
        self.n += x.size
        done = self.n // HOP  # complete frames: their levels
        if done > self.levels.end:
            lev = frame_levels(self.audio.get(self.levels.end * HOP, done * HOP))
            self.levels.extend(lev)
            self.loud.add(lev)

    def _step(self, final: bool) -> list[dict[str, Any]]:
        if final and num_frames(self.n) > self.levels.end:  # the partial last frame, zero-padded as offline
            lev = frame_levels(self.audio.get(self.levels.end * HOP, self.n))
            self.levels.extend(lev)
            self.loud.add(lev)
        self._encode(num_frames(self.n) if final else self.n // HOP - self.enc_ctx, final)
        self._decode(self.x.end if final else self.x.end - self.dec_ctx)
        return self._score(self.raw.end if final else self.raw.end - self.half, final)

    def _normalized(self, a: int, b: int) -> tuple[np.ndarray, float]:
        """Samples ``[a, b)`` with the input normalisation of the model and the peak its encoder divides by,
        both from the running statistics."""
        piece, m = self.audio.get(a, b), self.moments
        if self.backend.input_norm == "standardize":
            return (piece - np.float32(m.mean)) / np.float32(m.std), m.peak_about_mean() / m.std
        return piece, max(m.max, -m.min)

    def _encode(self, upto: int, final: bool) -> None:
        start = self.x.end
        if self.incremental is not None:  # the new samples once, at the statistics of their arrival
            self.incremental.push(*self._normalized(self.fed, self.n))
            self.fed = self.n
            if final:
                self.incremental.finish()
            self.audio.trim(min(self.n, self.levels.end * HOP))  # the partial last frame's level may be due
            if upto > start:
                new = self.incremental.frames(start, upto, final)
                self.x.extend(new)
                self.xmean.add(new)
            return
        if upto <= start:
            return
        s0 = max(0, start - self.enc_ctx - 1) * HOP
        piece, peak = self._normalized(s0, self.n)
        h = self.backend.encode(piece, peak if self.backend.level == "peak" else None)
        new = h[start - s0 // HOP:upto - s0 // HOP]
        self.x.extend(new)
        self.xmean.add(new)
        self.audio.trim(max(0, upto - self.enc_ctx - 1) * HOP)

    def _decode(self, upto: int) -> None:
        start = self.q.end
        if upto <= start:
            return
        c0, c1 = max(self.x.start, start - self.dec_ctx), min(self.x.end, upto + self.dec_ctx)
        x = self.x.get(c0, c1)
        if self.backend.output_norm == "mean_l2":
            x = x / output_scale(self.xmean.mean)
        out = self.backend.decode(x, ["q", self.emb])
        q, z = out["q"][start - c0:upto - c0], out[self.emb][start - c0:upto - c0]
        self.q.extend(q)
        self.z.extend(z)
        self.raw.extend(self.analyzer.frame_scores(q, z))
        self.x.trim(upto - self.dec_ctx)

    def _score(self, upto: int, final: bool) -> list[dict[str, Any]]:
        start = self.score.end
        if upto <= start:
            return []
        w0, w1 = max(self.raw.start, start - self.half), min(self.raw.end, upto + self.half)
        score = median_filter(self.raw.get(w0, w1), 2 * self.half + 1)[start - w0:upto - w0]
        self.score.extend(score)
        speech = self._speech(start, upto, final)
        self.speech.extend(speech)
        q = self.q.get(start, upto)
        if self.on_frames is not None:
            self.on_frames(start, score, q, speech)
        self.q_sum += float(q.sum(dtype=np.float64))
        self.q_speech_sum += float(q[speech].sum(dtype=np.float64))
        self.speech_frames += int(speech.sum())
        events = self._emit(self.closer.feed((score >= self.analyzer.threshold) & speech, start))
        while self.report and self.next_report + self.report <= upto:
            events.append(self._mos_event(self.next_report, self.next_report + self.report))
            self.next_report += self.report
        keep = min(x for x in (self.closer.open_start, self.next_report, upto - self.half) if x is not None)
        for track in (self.q, self.z, self.score, self.speech):
            track.trim(keep)
        self.raw.trim(upto - self.half)
        self.levels.trim(upto - SPEECH_WIDEN)
        return events

    def _speech(self, a: int, b: int, final: bool) -> np.ndarray:
        if self.conf.speech == "none":
            return np.ones(b - a, dtype=bool)
        l0 = max(self.levels.start, a - SPEECH_WIDEN)
        l1 = self.levels.end if final else min(self.levels.end, b + SPEECH_WIDEN)
        active = energy_active(self.levels.get(l0, l1), self.loud.percentile(LOUD_PERCENTILE),
                               self.conf.speech_floor_db)
        return dilate(active, SPEECH_WIDEN)[a - l0:b - l0]

    def _emit(self, reports: list[tuple[int, int, int]]) -> list[dict[str, Any]]:
        events = []
        for rid, a, b in reports:
            region = self.analyzer.region(self.score.get(a, b), self.q.get(a, b), self.z.get(a, b), a)
            revision = self.revisions.get(rid, -1) + 1
            self.revisions = {rid: revision}  # ids are reported in order: only the newest can be revised
            self.regions += revision == 0
            events.append({"event": "region", "id": rid, "revision": revision, **region.as_dict(),
                           "stream_s": round(self.time_s, 3)})
        return events

    def _mos_event(self, a: int, b: int) -> dict[str, Any]:
        q, speech = self.q.get(a, b), self.speech.get(a, b)
        return {"event": "mos", "start": round(a * FRAME_S, 2), "end": round(b * FRAME_S, 2),
                "mos": _none_if_nan(float(q.mean())),
                "mos_speech": _none_if_nan(float(q[speech].mean()) if speech.any() else np.nan),
                "speech_share": round(float(speech.mean()), 3), "stream_s": round(self.time_s, 3)}
