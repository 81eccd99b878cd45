"""Stage 1 of egs/mini: clean speech from the project's sentences and the TTS voices, plus generated
background-noise files standing in for CHiME-3. Deterministic for a seed.

Output (``out``): ``wav/<utt>.wav`` at 16 kHz and ``level_dbfs`` (plus an optional noise floor); one clean
data dir per split (``train val test test_ood enroll_ood``: wav.scp, text, utt2spk, utt2num_samples; disjoint
text pools; voices per split from the config); ``noise/<kind>_<k>.wav`` and ``noise.scp``.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from sqe.audio.io import write_wav
from sqe.audio.level import normalize_loudness
from sqe.corpora.mini_conf import MiniDataConf
from sqe.data.datadir import DataDir
from sqe.data.tables import write_table
from sqe.simulate.additive import add_at_snr, colored_noise
from sqe.simulate.noises import KINDS, environmental_noise
from sqe.speech import text as text_lib
from sqe.speech import tts
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.pool import parallel_map

log = get_logger(__name__)
MIN_SECONDS = 1.0  # shorter references cannot be scored reliably by PESQ


@dataclass(frozen=True)
class UttPlan:
    utt: str
    split: str
    voice: str
    speaker: str
    text: str
    speed: float
    seed: int
    path: str
    f0: float | None = None  # mean pitch of a flite pseudo-speaker
    floor: tuple[float, float, int] | None = None  # noise floor: (dB below the speech, beta, seed)


def check_request(conf: MiniDataConf) -> None:
    """Everything that can be wrong before any audio is made: voices and the sentence list."""
    voices = sorted({v for _, s in conf.speech.splits.items() for v in s.voices})
    tts.check_voices(voices)
    sentences = text_lib.load_sentences(conf.speech.sentences)
    text_lib.partition(sentences, {n: s.text_share for n, s in conf.speech.splits.items()}, conf.seed)


def plan(conf: MiniDataConf, out: Path) -> list[UttPlan]:
    out = out.resolve()  # wav.scp holds absolute paths: the dirs work from any directory
    sentences = text_lib.load_sentences(conf.speech.sentences)
    splits = conf.speech.splits.items()
    pools = text_lib.partition(sentences, {n: s.text_share for n, s in splits}, conf.seed)
    lo, hi = conf.speech.sentences_per_utt
    plans = []
    for si, (name, split) in enumerate(splits):
        pool = pools[name]
        for i in range(split.utts):
            rng = np.random.default_rng([conf.seed, si, i])
            voice = split.voices[i % len(split.voices)]
            speed, seed, speaker, f0 = 1.0, 0, voice, None
            if voice == "hibari":
                k = (i // len(split.voices)) % conf.speech.hibari_speakers
                speed, seed = tts.pseudo_speaker(k, conf.seed)
                speaker = f"hibari{k + 1}"
            else:
                k = (i // len(split.voices)) % conf.speech.flite_speakers
                speed, f0 = tts.flite_pseudo_speaker(voice, k, conf.seed)
                speaker = voice if k == 0 else f"{voice}_{k + 1}"
            n = min(int(rng.integers(lo, hi + 1)), len(pool))
            text = " ".join(pool[j] for j in rng.choice(len(pool), size=n, replace=False))
            utt = f"{speaker}-{name}-{i + 1:04d}"
            floor = None
            if conf.speech.noise_floor_db is not None:
                floor = (float(rng.uniform(*conf.speech.noise_floor_db)), float(rng.uniform(0.5, 2.0)),
                         int(rng.integers(2**31 - 1)))
            plans.append(UttPlan(utt, name, voice, speaker, text, speed, seed, str(out / "wav" / f"{utt}.wav"), f0,
                                 floor))
    return plans


def _synthesize(p: UttPlan, level_dbfs: float) -> int:
    """Make one reference (skipped when an earlier, interrupted run finished it); returns its length."""
    path = Path(p.path)
    if path.is_file():
        return sf.info(str(path)).frames
    y = tts.synthesize(p.voice, p.text, p.speed, p.seed, p.f0)
    if y.size < MIN_SECONDS * tts.SR:
        raise SqeError(f"{p.utt}: the synthesized speech lasts {y.size / tts.SR:.2f} s (< {MIN_SECONDS} s)")
    y = normalize_loudness(y, level_dbfs)
    if p.floor is not None:  # a recording's noise floor, the same under speech and pauses
        below_db, beta, seed = p.floor
        y = add_at_snr(y, colored_noise(y.size, beta, np.random.default_rng(seed)), below_db)
    write_wav(path, y, tts.SR, subtype="PCM_16" if np.abs(y).max() <= 1.0 else "FLOAT")
    return y.size


def make_noises(conf: MiniDataConf, out: Path) -> dict[str, str]:
    out = out.resolve()
    files = {}
    for ki, kind in enumerate(KINDS):
        for k in range(conf.speech.noise_files_per_kind):
            key = f"{kind}_{k + 1}"
            path = out / "noise" / f"{key}.wav"
            if not path.is_file():
                x = environmental_noise(kind, conf.speech.noise_seconds, seed=conf.seed * 101 + ki * 13 + k)
                write_wav(path, x, tts.SR)
            files[key] = str(path)
    return files


def build_speech(conf: MiniDataConf, out: Path) -> dict[str, DataDir]:
    """Synthesize every split into ``out``; returns the clean data dirs."""
    plans = plan(conf, out)
    synth = functools.partial(_synthesize, level_dbfs=conf.speech.level_dbfs)
    lengths = parallel_map(synth, plans, conf.num_workers, desc="synthesize", unit="utt")
    dirs = {}
    for name, _ in conf.speech.splits.items():
        rows = [(p, n) for p, n in zip(plans, lengths) if p.split == name]
        dd = DataDir({
            "wav.scp": {p.utt: p.path for p, _ in rows},
            "text": {p.utt: p.text for p, _ in rows},
            "utt2spk": {p.utt: p.speaker for p, _ in rows},
            "utt2num_samples": {p.utt: n for p, n in rows},
        })
        dd.save(out / name)
        dirs[name] = dd
        seconds = sum(n for _, n in rows) / tts.SR
        log.info("%s: %d utterances, %.1f min, voices %s", name, len(rows), seconds / 60,
                 " ".join(sorted({p.speaker for p, _ in rows})))
    noises = make_noises(conf, out)
    write_table(out / "noise.scp", noises)
    log.info("noise: %d generated background files (%s)", len(noises), ", ".join(KINDS))
    return dirs
