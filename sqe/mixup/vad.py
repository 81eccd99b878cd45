"""Speech regions of a data dir: rVAD (sqe.audio.speech) per utterance, stored as ``vad_segments``
(``<utt>-NNN <utt> <start_s> <end_s>``, boundaries on multiples of 20 ms), in JOB parts, and read back as
frame flags."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sqe.audio.speech import FRAME_S, frames_from_regions, regions_from_frames, speech_frames
from sqe.utils.errors import SqeError


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
