"""The config of the embedded corpus (``egs/mini/conf/data.yaml``): sizes, voices, degradations."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from sqe.simulate.impairments import DOUBLES, SINGLES

IN_DOMAIN_TOKENS = ["wbgn", "bgn", "lpf", "hpf", "bp", "clip", "quant", "tclip", "plc", "mnru", "amrnb", "gsm", "g711",
                    "opus"]


@dataclass
class SplitConf:
    voices: list[str] = field(default_factory=list)  # TTS voices speaking this split (round robin)
    utts: int = 10  # clean reference utterances
    text_share: float = 0.1  # share of the sentence list reserved (disjointly) for this split

    def __post_init__(self) -> None:
        if not self.voices:
            raise ValueError("voices must not be empty")
        if self.utts < 1:
            raise ValueError("utts must be at least 1")
        if self.text_share <= 0:
            raise ValueError("text_share must be positive")


@dataclass
class Splits:
    train: SplitConf = field(default_factory=lambda: SplitConf(["hibari", "slt", "kal16"], 300, 0.6))
    val: SplitConf = field(default_factory=lambda: SplitConf(["hibari", "slt", "kal16"], 75, 0.125))
    test: SplitConf = field(default_factory=lambda: SplitConf(["rms"], 75, 0.125))
    test_ood: SplitConf = field(default_factory=lambda: SplitConf(["awb"], 75, 0.1))
    enroll_ood: SplitConf = field(default_factory=lambda: SplitConf(["awb"], 30, 0.05))

    def items(self) -> list[tuple[str, SplitConf]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


@dataclass
class SpeechConf:
    sentences: str | None = None  # sentence list file; null: the project's list (sqe/speech/sentences.txt)
    sentences_per_utt: list[int] = field(default_factory=lambda: [1, 2])  # [min, max] per utterance
    level_dbfs: float = -26.0  # RMS level of the clean references (NISQA's -26 dBov proxy)
    # A recording's noise floor under every reference: coloured noise (1/f^beta, beta 0.5-2) this many dB below
    # the speech level, drawn per utterance ([low, high]; null: none, the TTS output's digital silence)
    noise_floor_db: list[float] | None = None
    hibari_speakers: int = 4  # pseudo-speakers of the hibari voice (speed and seed)
    flite_speakers: int = 1  # pseudo-speakers of each flite voice (1: the voice itself; more: pitch and rate)
    noise_files_per_kind: int = 2  # generated CHiME-3 stand-ins per kind (bus, cafe, pedestrian, street)
    noise_seconds: float = 20.0
    splits: Splits = field(default_factory=Splits)

    def __post_init__(self) -> None:
        if self.noise_floor_db is not None and (len(self.noise_floor_db) != 2
                                                or not 0 < self.noise_floor_db[0] <= self.noise_floor_db[1]):
            raise ValueError(f"noise_floor_db must be [low, high] with 0 < low <= high, got {self.noise_floor_db}")
        if self.hibari_speakers < 1 or self.flite_speakers < 1:
            raise ValueError("hibari_speakers and flite_speakers must be at least 1")
        lo, hi = (self.sentences_per_utt + [0, 0])[:2]
        if len(self.sentences_per_utt) != 2 or not 1 <= lo <= hi:
            raise ValueError(f"sentences_per_utt must be [min, max] with 1 <= min <= max, got {self.sentences_per_utt}")


@dataclass
class DegradeConf:
    tokens: list[str] = field(default_factory=lambda: list(IN_DOMAIN_TOKENS))  # NISQA-like tokens to draw
    n_tokens_probs: list[float] = field(default_factory=lambda: [0.5, 0.3, 0.2])  # P(1, 2, 3 tokens)
    per_utt: int = 2  # degraded copies of each in-domain reference
    clean_share: float = 0.15  # share of references that also appear undegraded (class clean, as in NISQA)
    ranges: dict[str, dict[str, list]] = field(default_factory=dict)  # e.g. {wbgn: {snr_db: [25, 40]}}

    def __post_init__(self) -> None:
        if self.per_utt < 1:
            raise ValueError("per_utt must be at least 1")
        if not 0.0 <= self.clean_share <= 1.0:
            raise ValueError("clean_share must be in [0, 1]")


@dataclass
class OodConf:
    singles: list[str] = field(default_factory=lambda: list(SINGLES))
    doubles: list[str] = field(default_factory=lambda: list(DOUBLES))

    def __post_init__(self) -> None:
        bad = [s for s in self.singles if s not in SINGLES] + [d for d in self.doubles if d not in DOUBLES]
        if bad:
            raise ValueError(f"unknown impairment(s) {bad} (singles: {list(SINGLES)}, doubles: {list(DOUBLES)})")
        if not self.singles or not self.doubles:
            raise ValueError("singles and doubles must not be empty")


@dataclass
class MiniDataConf:
    seed: int = 20261126
    num_workers: int = 2  # processes for synthesis, degradation and PESQ
    speech: SpeechConf = field(default_factory=SpeechConf)
    degrade: DegradeConf = field(default_factory=DegradeConf)
    ood: OodConf = field(default_factory=OodConf)
