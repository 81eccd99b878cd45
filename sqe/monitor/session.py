"""One monitoring session: bytes from a source -> sample frames -> one channel -> 16 kHz -> the stream analyser
-> one JSON line per event, flushed at once. End of input, a writer that dies and Ctrl-C (or SIGTERM) all end
the session the same way: what is open is analysed and reported, then an ``end`` line."""
from __future__ import annotations

import contextlib
import json
import signal
from typing import Any, Callable, TextIO

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.audio.speech import FRAME_S
from sqe.monitor.sources import PcmFormat
from sqe.monitor.stream import StreamAnalyzer
from sqe.utils.errors import SqeError


FULL_SCALE = 32767 / 32768  # the largest 16-bit sample: at or beyond it a sample counts as clipped


class ToMono16k:
    """Sample frames of a format -> 16 kHz mono float32, resampled as a stream (soxr keeps its filter state
    across blocks). Non-finite samples (f32le) become 0 and are counted."""

    def __init__(self, fmt: PcmFormat, channel: str = "mix"):
        if channel != "mix" and (not channel.isdigit() or int(channel) >= fmt.channels):
            raise SqeError(f"--channel {channel!r}: 'mix' or an index below --channels {fmt.channels}")
        self.format, self.channel = fmt, channel
        self.nonfinite = 0
        self.clipped = 0
        self.resampler = None
        if fmt.rate != TARGET_SR:
            import soxr

            self.resampler = soxr.ResampleStream(fmt.rate, TARGET_SR, 1, dtype="float32", quality="HQ")

    def __call__(self, frames: np.ndarray, last: bool = False) -> np.ndarray:
        x = frames.mean(1) if self.channel == "mix" else frames[:, int(self.channel)]
        x = np.ascontiguousarray(x, dtype=np.float32)
        bad = ~np.isfinite(x)
        if bad.any():
            self.nonfinite += int(bad.sum())
            x[bad] = 0.0
        self.clipped += int((np.abs(x) >= FULL_SCALE).sum())
        if self.resampler is not None:
            x = self.resampler.resample_chunk(x, last=last)
        return x


def run_session(source, stream: StreamAnalyzer, out: TextIO, channel: str = "mix",
                log: Callable[[str], None] = print) -> dict[str, Any]:
    """Analyse ``source`` until it ends or the user interrupts; writes the events to ``out``; returns the
    ``end`` event (with ``stopped_by``: "end of input" or "interrupt")."""
    fmt: PcmFormat = source.format
    convert = ToMono16k(fmt, channel)
    look = stream.lookahead_frames * FRAME_S
    emit(out, {"event": "start", "format": fmt.encoding, "rate": fmt.rate, "channels": fmt.channels,
               "channel": channel, "warmup_s": stream.conf.warmup_s, "lookahead_s": round(look, 3),
               "hop_s": stream.hop / TARGET_SR, "regions": stream.conf.regions,
               "merge_gap_s": stream.conf.merge_gap_s, "threshold": stream.analyzer.threshold})
    pending, stopped_by = b"", "end of input"
    guard = Interrupts()
    try:
        while True:
            data = source.read()  # a blocking read: an interrupt here raises at once
            if data is None:
                break
            pending += data
            whole = len(pending) - len(pending) % fmt.frame_bytes
            if whole:
                with guard.deferred():  # never half an analysis step: the interrupt waits for its end
                    for event in stream.push(convert(fmt.decode(pending[:whole]))):
                        emit(out, event)
                    pending = pending[whole:]
    except KeyboardInterrupt:
        stopped_by = "interrupt"
    finally:
        guard.restore()
        source.close()
    if stopped_by == "end of input":
        log(f"input ended: {source.end_reason}")
    if pending:
        log(f"the input ended mid-sample: {len(pending)} byte(s) of an incomplete sample frame "
            f"({fmt.frame_bytes} bytes each) dropped")
    if convert.nonfinite:
        log(f"{convert.nonfinite} non-finite sample(s) (NaN/Inf) were analysed as 0")
    if convert.clipped:
        log(f"{convert.clipped} sample(s) at or beyond full scale (clipping)")
    if convert.resampler is not None:
        for event in stream.push(convert(np.zeros((0, fmt.channels), np.float32), last=True)):
            emit(out, event)
    events = stream.finish()
    for event in events:
        emit(out, {**event, "stopped_by": stopped_by} if event["event"] == "end" else event)
    return {**events[-1], "stopped_by": stopped_by}


class Interrupts:
    """SIGINT and SIGTERM (Ctrl-C, kill, a Slurm job's end) raise KeyboardInterrupt, except inside
    ``deferred()``, whose end raises it instead."""

    def __init__(self) -> None:
        self.busy = self.requested = False
        self.previous = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}

    def _handle(self, signum, frame) -> None:
        if self.busy:
            self.requested = True
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self):
        self.busy = True
        try:
            yield
        finally:
            self.busy = False
        if self.requested:
            raise KeyboardInterrupt

    def restore(self) -> None:
        for s, handler in self.previous.items():
            signal.signal(s, handler)


def emit(out: TextIO, event: dict[str, Any]) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()
