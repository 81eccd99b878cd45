"""The config of the embedded corpus (``egs/mini/conf/data.yaml``): sizes, voices, degradations."""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from sqe.simulate.impairments import DOUBLES, SINGLES

IN_DOMAIN_TOKENS = ["wbgn", "bgn", "lpf", "hpf", "bp", "clip", "quant", "tclip", "plc", "mnru", "amrnb", "gsm", "g711",
                    "opus"]


@dataclass
class SplitConf:
    voices: list[str] = field(default_factory=list)  # TTS voices speaking this split (round robin)
    utts: int = 0  # clean TTS reference utterances
    text_share: float = 0.0  # share of the sentence list reserved (disjointly) for this split's TTS
    real_subset: str | None = None  # LibriSpeech subset of the vendored real speech (train-clean-100, test-other)
    real_speakers: int = 0  # real speakers of that subset reserved (disjointly) for this split, all their excerpts

    def __post_init__(self) -> None:
        if (self.utts > 0) != bool(self.voices):
            raise ValueError("voices and utts > 0 go together (TTS references need voices and a count)")
        if self.utts < 0 or self.real_speakers < 0:
            raise ValueError("utts and real_speakers must not be negative")
        if self.voices and self.text_share <= 0:
            raise ValueError("text_share must be positive for a split with TTS voices")
        if (self.real_speakers > 0) != (self.real_subset is not None):
            raise ValueError("real_subset and real_speakers > 0 go together")
        if not self.voices and not self.real_speakers:
            raise ValueError("a split needs TTS voices or real speakers")


@dataclass
class Splits:
    """The corpus's splits. Real speakers are disjoint between splits; in-domain splits get NISQA-like
    conditions (train, val, test, test_real), the out-of-domain ones LibriAugmented impairments (val_ood,
    test_ood), enroll_ood stays clean."""
    train: SplitConf = field(default_factory=lambda: SplitConf(["hibari", "slt", "kal16"], 240, 0.6,
                                                               "train-clean-100", 70))
    val: SplitConf = field(default_factory=lambda: SplitConf(["hibari", "slt", "kal16"], 60, 0.125,
                                                             "train-clean-100", 20))
    test: SplitConf = field(default_factory=lambda: SplitConf(["rms"], 75, 0.1))
    test_real: SplitConf = field(default_factory=lambda: SplitConf(real_subset="train-clean-100", real_speakers=35))
    val_ood: SplitConf = field(default_factory=lambda: SplitConf(["awb"], 30, 0.05, "test-other", 3))
    test_ood: SplitConf = field(default_factory=lambda: SplitConf(["awb"], 60, 0.075, "test-other", 5))
    enroll_ood: SplitConf = field(default_factory=lambda: SplitConf(["awb"], 20, 0.05, "test-other", 2))

    def items(self) -> list[tuple[str, SplitConf]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


@dataclass
class SpeechConf:
    sentences: str | None = None  # sentence list file; null: the project's list (sqe/speech/sentences.txt)
    sentences_per_utt: list[int] = field(default_factory=lambda: [1, 2])  # [min, max] per utterance
    # RMS level of every clean reference, TTS and real alike (NISQA's -26 dBov proxy): each file is scaled to it;
    # a reference whose peak then exceeds full scale is written as float WAV, never clipped
    level_dbfs: float = -26.0
    # A recording's noise floor under every TTS reference: coloured noise (1/f^beta, beta 0.5-2) this many dB
    # below the speech level, drawn per utterance ([low, high]; null: none, the TTS output's digital silence).
    # Real recordings keep their own floor.
    noise_floor_db: list[float] | None = None
    hibari_speakers: int = 4  # pseudo-speakers of the hibari voice (speed and seed)
    flite_speakers: int = 1  # pseudo-speakers of each flite voice (1: the voice itself; more: pitch and rate)
    noise_files_per_kind: int = 2  # generated CHiME-3 stand-ins per kind (bus, cafe, pedestrian, street)
    noise_seconds: float = 20.0
    real_dir: str | None = None  # folder of real speech (excerpts.tsv + FLAC); null: the vendored LibriSpeech excerpts
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
    per_utt_real: int | None = None  # of each real in-domain reference (few speakers, more conditions); null: per_utt
    clean_share: float = 0.15  # share of references that also appear undegraded (class clean, as in NISQA)
    ranges: dict[str, dict[str, list]] = field(default_factory=dict)  # e.g. {wbgn: {snr_db: [25, 40]}}

    def __post_init__(self) -> None:
        if self.per_utt < 1 or (self.per_utt_real is not None and self.per_utt_real < 1):
            raise ValueError("per_utt and per_utt_real must be at least 1")
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
