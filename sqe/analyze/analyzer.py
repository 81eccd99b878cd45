"""The Python API of the analysis: load a model package once, analyse signals in a loop.

    >>> from sqe.analyze import Analyzer                                   # doctest: +SKIP
    >>> analyzer = Analyzer.from_package("exp/con1/package/con1.sqe")      # doctest: +SKIP
    >>> result = analyzer.analyze(wav, sample_rate=48000, name="take1")    # doctest: +SKIP
    >>> [(r.onset, r.offset, r.type) for r in result.regions]             # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from sqe.analyze.regions import Region, find_regions, region_vector, rvad_speech
from sqe.audio.io import TARGET_SR
from sqe.audio.resample import resample
from sqe.audio.speech import FRAME_S, SPEECH_FLOOR_DB, energy_speech, frame_levels
from sqe.infer.framing import FrameBackend, WindowConf, frame_outputs_of
from sqe.infer.scores import cosine_scores
from sqe.metrics.regions import MERGE_GAP_S, MIN_REGION_S
from sqe.metrics.smoothing import median_filter
from sqe.package.load import ModelPackage, load_package
from sqe.utils.errors import SqeError


SILENT_DBFS = -100.0  # a signal this quiet is not normalised (it has no speech level to bring up)


@dataclass
class DetectConf:
    """How frame scores become regions, and what runs the model: shared by offline analysis (AnalyzeConf) and
    the stream monitor (sqe.monitor.stream.MonitorConf)."""
    speech_floor_db: float = SPEECH_FLOOR_DB  # energy: frames this far below the loud frames are silence
    detector: Literal["embedding", "mos"] = "embedding"  # 1 - cos(enrollment, frame) or -MOS
    threshold: float | None = None  # null: the package's validation-tuned threshold of the detector
    merge_gap_s: float = MERGE_GAP_S  # degraded runs closer than this are one region
    min_region_s: float = MIN_REGION_S  # shorter regions are dropped
    top_k: int = 3  # nearest degradation types listed per region
    backend: Literal["torch", "onnx"] = "torch"  # onnx: the package's model.onnx on onnxruntime, no torch
    device: Literal["auto", "cpu", "cuda"] = "auto"  # torch backend only
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # bf16 autocast (auto: on GPU); torch backend only
    threads: int = 0  # CPU threads of the backend (0: its default)

    def __post_init__(self) -> None:
        if self.merge_gap_s < 0 or self.min_region_s < 0:
            raise ValueError("merge_gap_s and min_region_s must not be negative")
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")

    @property
    def merge_gap_frames(self) -> int:
        return int(round(self.merge_gap_s / FRAME_S))

    @property
    def min_region_frames(self) -> int:
        return max(1, int(round(self.min_region_s / FRAME_S)))


@dataclass
class AnalyzeConf(DetectConf):
    window: WindowConf = field(default_factory=WindowConf)  # long files: encoder windows on one 50 Hz grid
    channel: str = "mix"  # multi-channel input: 'mix' (average) or a channel index ('0', '1', ...)
    level_dbfs: float | None = None  # scale each file's speech to this RMS level (dBFS) before the model; the
    # original level is reported either way. sqe's encoders normalise the level themselves (standardised input,
    # DistillMOS peak), so this matters only for models with input_norm: none on a level-sensitive encoder.
    min_duration_s: float = 0.5  # shorter inputs fail with 'too short'
    speech: Literal["energy", "rvad", "none"] = "energy"  # how silence/non-speech frames are flagged (not scored)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.channel != "mix" and not self.channel.isdigit():
            raise ValueError(f"channel must be 'mix' or a channel index, got {self.channel!r}")
        if self.min_duration_s < 0:
            raise ValueError("min_duration_s must not be negative")


@dataclass
class FileAnalysis:
    name: str
    duration_s: float
    level_dbfs: float  # RMS level of the speech frames of the input as given (before any normalisation)
    gain_db: float  # applied by level normalisation (0 without)
    mos: float  # utterance MOS: mean frame MOS (the model's own utterance score)
    mos_speech: float  # mean frame MOS over speech frames
    threshold: float
    regions: list[Region]
    q: np.ndarray  # (L,) frame MOS
    score: np.ndarray  # (L,) detection score, higher = more degraded
    speech: np.ndarray  # (L,) bool: speech frames (the others are flagged, never part of a region)
    embedding: np.ndarray | None = None  # (L, D) frame embeddings (kept only if asked)
    info: dict[str, Any] = field(default_factory=dict)  # source sample rate, channels, resampling

    @property
    def degraded_s(self) -> float:
        return float(sum(r.offset - r.onset for r in self.regions))


def make_backend(package: ModelPackage, conf: AnalyzeConf) -> FrameBackend:
    """The package's model on the configured backend (torch is imported only for the torch backend)."""
    if conf.backend == "onnx":
        from sqe.infer.onnx_backend import OnnxBackend

        if package.onnx is None:
            raise SqeError(f"{package.path}: loaded without its model.onnx (load_package(..., backend='onnx'))")
        return OnnxBackend(package.onnx, f"{package.path}/model.onnx", conf.threads, package.onnx_parts)
    if package.model is None:
        raise SqeError(f"{package.path}: loaded without its torch model (load_package(..., backend='torch'))")
    import torch

    from sqe.infer.runner import choose_device, use_bf16
    from sqe.infer.windowed import TorchBackend

    if conf.threads > 0:
        torch.set_num_threads(conf.threads)
    device = choose_device(conf.device)
    return TorchBackend(package.model.to(device), device, use_bf16(conf.precision, device))


class Analyzer:
    def __init__(self, package: ModelPackage, conf: AnalyzeConf | None = None):
        self.package = package
        self.conf = conf or AnalyzeConf()
        self.backend = make_backend(package, self.conf)
        key = package.embedding if self.conf.detector == "embedding" else "mos"
        if self.conf.threshold is not None:
            self.threshold = float(self.conf.threshold)
        elif key in package.info["thresholds"]:
            self.threshold = float(package.info["thresholds"][key]["threshold"])
        else:
            raise SqeError(f"{package.path}: no validation threshold for the {key} detector; give --threshold")

    @classmethod
    def from_package(cls, path: str | Path, conf: AnalyzeConf | None = None) -> "Analyzer":
        conf = conf or AnalyzeConf()
        return cls(load_package(path, backend=conf.backend), conf)

    def _speech(self, wav: np.ndarray, levels: np.ndarray) -> np.ndarray:
        if self.conf.speech == "rvad":
            return rvad_speech(wav)
        if self.conf.speech == "energy":
            return energy_speech(wav, self.conf.speech_floor_db, levels)
        return np.ones(levels.size, dtype=bool)

    def analyze(self, wav: np.ndarray, sample_rate: int = TARGET_SR, name: str = "input",
                keep_embedding: bool = False) -> FileAnalysis:
        """One mono signal (any rate; resampled to 16 kHz). Raises ValueError for empty, non-finite or too
        short input."""
        wav = np.asarray(wav, dtype=np.float32)
        if wav.ndim != 1:
            raise ValueError(f"expected a 1-D mono signal, got shape {wav.shape}")
        if wav.size == 0:
            raise ValueError("empty audio (0 samples)")
        if not np.isfinite(wav.sum(dtype=np.float64)):  # no full-size temporary for long signals
            raise ValueError(f"NaN/Inf sample(s), first at sample {int(np.argmax(~np.isfinite(wav)))}")
        if sample_rate != TARGET_SR:
            wav = resample(wav, sample_rate, TARGET_SR)
        duration = wav.size / TARGET_SR
        if duration < self.conf.min_duration_s:
            raise ValueError(f"too short: {duration:.3f} s (min_duration_s {self.conf.min_duration_s} s)")
        levels = frame_levels(wav)
        speech = self._speech(wav, levels)
        active = levels[speech] if speech.any() else levels
        level = float(10 * np.log10(np.mean(10 ** (active.astype(np.float64) / 10)) + 1e-20))
        gain = 0.0
        if self.conf.level_dbfs is not None and level > SILENT_DBFS:
            gain = self.conf.level_dbfs - level
            wav = wav * np.float32(10 ** (gain / 20))
        emb_name = self.package.embedding
        out = frame_outputs_of(self.backend, wav, self.conf.window, (emb_name,))
        q, z = out["q"], out[emb_name]
        n = min(q.size, speech.size)
        q, z, speech = q[:n], z[:n], speech[:n]
        score = median_filter(self.frame_scores(q, z), self.package.medfilt_size)  # as the threshold was tuned
        spans = find_regions(score, q, speech, self.threshold, self.conf.merge_gap_frames,
                             self.conf.min_region_frames)
        regions = [self.region(score[a:b], q[a:b], z[a:b], a) for a, b in spans]
        return FileAnalysis(
            name=name, duration_s=duration, level_dbfs=level, gain_db=gain, mos=float(q.mean()),
            mos_speech=float(q[speech].mean()) if speech.any() else float("nan"), threshold=self.threshold,
            regions=regions, q=q, score=score, speech=speech, embedding=z if keep_embedding else None)

    def frame_scores(self, q: np.ndarray, z: np.ndarray) -> np.ndarray:
        """The detector's score of each frame before the median filter (higher = more degraded)."""
        if self.conf.detector == "embedding":
            return cosine_scores({"f": z}, self.package.enrollment[self.package.embedding])["f"]
        return -q

    def region(self, score: np.ndarray, q: np.ndarray, z: np.ndarray, onset_frame: int) -> Region:
        """The region of the frames ``score, q, z`` (its frames only) that start at frame ``onset_frame``."""
        nearest = self.package.nearest_types(region_vector(z, 0, z.shape[0]), self.conf.top_k)
        best, sim = nearest[0]
        open_set = self.package.open_set_similarity
        kind = best if open_set is None or sim >= open_set else "unknown"
        return Region(onset=round(onset_frame * FRAME_S, 2), offset=round((onset_frame + score.size) * FRAME_S, 2),
                      score=float(score.mean()), mos=float(q.mean()), type=kind, similarity=sim, nearest=nearest)
