"""Speech regions on the 50 Hz frame grid: rVAD (rvadfast), stored as ``vad_segments``
(``<utt>-NNN <utt> <start_s> <end_s>``, boundaries on multiples of 20 ms), and the energy rule with which the
analysis and the scoring of regions flag silence.

    >>> import numpy as np
    >>> regions_from_frames(np.array([0, 1, 1, 0, 1]))
    [(1, 3), (4, 5)]
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.metrics.regions import SPEECH_FLOOR_DB
from sqe.mixup.masks import dilate
from sqe.models.frames import HOP, num_frames
from sqe.utils.errors import SqeError

FRAME_S = HOP / TARGET_SR
SILENCE_DBFS = -70.0  # frames quieter than this are silence whatever the file's level


def speech_frames(x: np.ndarray, sr: int = TARGET_SR) -> np.ndarray:
    """0/1 per 20 ms frame (``ceil(N / 320)`` frames): rVAD's 10 ms labels, max-pooled in pairs."""
    from rVADfast import rVADfast

    n_frames = num_frames(x.size)
    if x.size < 400:  # rVAD needs one 25 ms window
        return np.zeros(n_frames, dtype=np.int8)
    labels, _ = rVADfast()(np.asarray(x, dtype=np.float64), sr)
    labels = np.asarray(labels, dtype=np.int8)
    padded = np.zeros(2 * n_frames, dtype=np.int8)
    padded[: min(labels.size, padded.size)] = labels[: padded.size]
    return padded.reshape(n_frames, 2).max(axis=1)


def frame_levels(wav: np.ndarray, block_frames: int = 1 << 14) -> np.ndarray:
    """RMS level (dBFS) of each 20 ms frame ``[320 l, 320 l + 320)``, the last one zero-padded; computed in
    blocks, so a long signal needs no full-size temporary."""
    n = num_frames(wav.size)
    power = np.empty(n, dtype=np.float64)
    full = wav.size // HOP
    for a in range(0, full, block_frames):
        b = min(full, a + block_frames)
        power[a:b] = np.square(wav[a * HOP:b * HOP].reshape(b - a, HOP), dtype=np.float32).mean(1, dtype=np.float64)
    if full < n:  # the partial last frame, zero-padded
        tail = wav[full * HOP:].astype(np.float64)
        power[full] = np.square(tail).sum() / HOP
    return (10.0 * np.log10(np.maximum(power, 1e-20))).astype(np.float32)


def energy_speech(wav: np.ndarray, floor_db: float = SPEECH_FLOOR_DB, levels: np.ndarray | None = None) -> np.ndarray:
    """Frames within ``floor_db`` of the file's loud frames (95th percentile) and above -70 dBFS, widened by
    60 ms each side so that onsets and word edges stay speech."""
    levels = frame_levels(wav) if levels is None else levels
    loud = float(np.percentile(levels, 95))
    active = (levels > loud - floor_db) & (levels > SILENCE_DBFS)
    return dilate(active, 3)


def regions_from_frames(frames: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` frame ranges of consecutive ones."""
    edges = np.diff(np.concatenate([[0], np.asarray(frames, dtype=np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def frames_from_regions(regions: list[tuple[float, float]], n_frames: int) -> np.ndarray:
    """Speech regions in seconds back to a 0/1 frame vector (the one shared conversion)."""
    frames = np.zeros(n_frames, dtype=np.int8)
    for start, end in regions:
        a, b = int(round(start / FRAME_S)), int(round(end / FRAME_S))
        if a < 0 or b > n_frames or a >= b:
            raise SqeError(f"speech region {start:.3f}-{end:.3f} s is outside the {n_frames * FRAME_S:.2f} s utterance")
        frames[a:b] = 1
    return frames


SIGNALS = ("degraded", "reference")


def parts_dir(out, signal: str) -> Path:
    """Where the blocks of a JOB array go: one folder per signal, so a collecting call never mixes the two."""
    return Path(out) / "parts" / signal


def compute_vad_dir(data, out, part: int | None = None, nparts: int | None = None, signal: str = "degraded"
                    ) -> dict[str, int]:
    """rVAD on one signal of a data dir -> ``out/vad_segments``: ``degraded`` (``wav.scp``; the authors' code
    detects speech on the observation) or ``reference`` (``ref.scp``, else ``wav.scp``).

    With ``part``/``nparts`` (a JOB array) only a contiguous block of the utterances is processed, into
    ``out/parts/<signal>/part<k>/vad_segments``; the call without a part reuses those and writes the whole file."""
    from sqe.audio.io import load_audio
    from sqe.data.datadir import DataDir
    from sqe.data.tables import Segment, parse_segment, read_table, write_table
    from sqe.utils.parts import block
    from sqe.utils.progress import progress

    dd = DataDir.load(data)
    out = Path(out)
    if signal not in SIGNALS:
        raise SqeError(f"unknown VAD signal {signal!r}; choose one of {', '.join(SIGNALS)}")
    source = "ref.scp" if signal == "reference" and "ref.scp" in dd else "wav.scp"
    utts = dd.utts if part is None else block(dd.utts, part, nparts)
    done: dict[str, list] = {}
    if part is None:  # results of the parts of a JOB array
        for piece in sorted(parts_dir(out, signal).glob("part*/vad_segments")):
            for key, seg in read_table(piece, parse_segment).items():
                done.setdefault(seg.reco, []).append((key, seg))
    cache: dict[str, list[tuple[int, int]]] = {}
    segments: dict[str, Segment] = {}
    for utt in progress(utts, desc=f"rVAD {data}", unit="utt"):
        if utt in done:
            segments.update(done[utt])
            continue
        entry = dd[source][dd.recording(utt)[0]]
        if entry not in cache:
            cache[entry] = regions_from_frames(speech_frames(load_audio(entry, utt)))
        for i, (a, b) in enumerate(cache[entry]):
            segments[f"{utt}-{i:03d}"] = Segment(utt, a * FRAME_S, b * FRAME_S)
    target = out / "vad_segments" if part is None else parts_dir(out, signal) / f"part{part}" / "vad_segments"
    write_table(target, segments)
    return {"utterances": len(utts), "regions": len(segments)}


def read_speech_frames(vad_dir, frames: dict[str, int]) -> dict[str, np.ndarray]:
    """Speech frames of every utterance of ``frames`` ({utt: number of frames}) from ``vad_dir/vad_segments``."""
    from sqe.data.tables import parse_segment, read_table

    regions: dict[str, list[tuple[float, float]]] = {u: [] for u in frames}
    for seg in read_table(Path(vad_dir) / "vad_segments", parse_segment).values():
        if seg.reco in regions:
            regions[seg.reco].append((seg.start, seg.end))
    return {u: frames_from_regions(r, frames[u]) for u, r in regions.items()}
