"""Stage 1 of egs/mini: clean speech from the project's sentences and the TTS voices, the vendored real
read speech (LibriSpeech excerpts, ``sqe.speech.real``), and generated background-noise files standing in for
CHiME-3. Deterministic for a seed.

Output (``out``): ``wav/<utt>.wav`` at 16 kHz and ``level_dbfs`` (TTS: plus an optional noise floor; real
recordings keep their own); one clean data dir per split (wav.scp, text, utt2spk, utt2num_samples; disjoint
text pools and disjoint real speakers; voices per split from the config); ``noise/<kind>_<k>.wav`` and
``noise.scp``. Real utterances are named ``ls<LibriSpeech utterance>`` and spoken by ``ls<speaker>``.
"""
from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from sqe.audio.io import load_audio, write_wav
from sqe.audio.level import normalize_loudness, rms_dbfs
from sqe.corpora.mini_conf import MiniDataConf
from sqe.data.datadir import DataDir
from sqe.data.tables import write_table
from sqe.simulate.additive import add_at_snr, colored_noise
from sqe.simulate.noises import KINDS, environmental_noise
from sqe.speech import real as real_lib
from sqe.speech import text as text_lib
from sqe.speech import tts
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.pool import parallel_map

log = get_logger(__name__)
MIN_SECONDS = 1.0  # shorter references cannot be scored reliably by PESQ
REAL = "real"  # the voice of every real recording
REAL_PREFIX = "ls"  # real utterances are ls<LibriSpeech utterance>, spoken by ls<speaker>
NO_TEXT = "-"  # the vendored excerpts come without transcripts


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
    source: str | None = None  # a real recording's vendored file (voice REAL)


def real_folder(conf: MiniDataConf) -> Path:
    return Path(conf.speech.real_dir) if conf.speech.real_dir else real_lib.VENDORED


def real_speakers(conf: MiniDataConf, excerpts: list[real_lib.Excerpt]) -> dict[str, list[str]]:
    """Disjoint real speakers per split: a seeded order of each subset's speakers, taken in split order."""
    taken: dict[str, int] = {}
    out = {}
    for name, split in conf.speech.splits.items():
        if not split.real_speakers:
            continue
        pool = real_lib.speakers([e for e in excerpts if e.subset == split.real_subset])
        order = np.random.default_rng([conf.seed, zlib.crc32(str(split.real_subset).encode())]).permutation(len(pool))
        start = taken.get(split.real_subset, 0)
        taken[split.real_subset] = start + split.real_speakers
        if taken[split.real_subset] > len(pool):
            raise SqeError(f"the splits ask for {taken[split.real_subset]} speakers of '{split.real_subset}', "
                           f"{real_folder(conf) / real_lib.MANIFEST} has {len(pool)}")
        out[name] = [pool[i] for i in order[start:taken[split.real_subset]]]
    return out


def _text_pools(conf: MiniDataConf) -> dict[str, list[str]]:
    shares = {n: s.text_share for n, s in conf.speech.splits.items() if s.voices}
    return text_lib.partition(text_lib.load_sentences(conf.speech.sentences), shares, conf.seed) if shares else {}


def check_request(conf: MiniDataConf) -> None:
    """Everything that can be wrong before any audio is made: voices, the sentence list, the real speech."""
    voices = sorted({v for _, s in conf.speech.splits.items() for v in s.voices})
    tts.check_voices(voices)
    _text_pools(conf)
    if any(s.real_speakers for _, s in conf.speech.splits.items()):
        real_speakers(conf, real_lib.load_excerpts(real_folder(conf)))


def _real_plans(conf: MiniDataConf, out: Path) -> list[UttPlan]:
    if not any(s.real_speakers for _, s in conf.speech.splits.items()):
        return []
    excerpts = real_lib.load_excerpts(real_folder(conf))
    plans = []
    for name, spks in real_speakers(conf, excerpts).items():
        subset = getattr(conf.speech.splits, name).real_subset
        for spk in spks:
            for e in (e for e in excerpts if e.speaker == spk and e.subset == subset):
                utt = f"{REAL_PREFIX}{e.utt}"
                plans.append(UttPlan(utt, name, REAL, f"{REAL_PREFIX}{spk}", NO_TEXT, 1.0, 0, str(out / "wav" / f"{utt}.wav"),
                                     source=str(e.path)))
    return plans


def plan(conf: MiniDataConf, out: Path) -> list[UttPlan]:
    out = out.resolve()  # wav.scp holds absolute paths: the dirs work from any directory
    splits = conf.speech.splits.items()
    pools = _text_pools(conf)
    lo, hi = conf.speech.sentences_per_utt
    plans = []
    for si, (name, split) in enumerate(splits):
        pool = pools.get(name, [])
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
    return plans + _real_plans(conf, out)


def _synthesize(p: UttPlan, level_dbfs: float) -> tuple[int, float]:
    """Make one reference (skipped when an earlier, interrupted run finished it); returns its length and, for
    a real recording, the gain (dB) that brought it to ``level_dbfs`` (NaN for TTS)."""
    path = Path(p.path)
    gain = float("nan")
    if p.source:
        y = load_audio(p.source)
        gain = level_dbfs - rms_dbfs(y)
        if path.is_file():
            return sf.info(str(path)).frames, gain
    elif path.is_file():
        return sf.info(str(path)).frames, gain
    else:
        y = tts.synthesize(p.voice, p.text, p.speed, p.seed, p.f0)
    if y.size < MIN_SECONDS * tts.SR:
        raise SqeError(f"{p.source or p.utt}: the speech lasts {y.size / tts.SR:.2f} s (< {MIN_SECONDS} s)")
    y = normalize_loudness(y, level_dbfs)  # explicit, logged gain; never clipped (float WAV above full scale)
    if p.floor is not None:  # a recording's noise floor, the same under speech and pauses
        below_db, beta, seed = p.floor
        y = add_at_snr(y, colored_noise(y.size, beta, np.random.default_rng(seed)), below_db)
    write_wav(path, y, tts.SR, subtype="PCM_16" if np.abs(y).max() <= 1.0 else "FLOAT")
    return y.size, gain


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
    made = parallel_map(synth, plans, conf.num_workers, desc="synthesize", unit="utt")
    lengths = [n for n, _ in made]
    gains = [g for (_, g), p in zip(made, plans) if p.source]
    if gains:
        log.info("real speech: %d recordings scaled to %.1f dBFS RMS by %+.1f to %+.1f dB", len(gains),
                 conf.speech.level_dbfs, min(gains), max(gains))
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
        tts_speakers = sorted({p.speaker for p, _ in rows if not p.source})
        n_real = len({p.speaker for p, _ in rows if p.source})
        log.info("%s: %d utterances, %.1f min, TTS voices %s; %d real speakers", name, len(rows), seconds / 60,
                 " ".join(tts_speakers) or "none", n_real)
    noises = make_noises(conf, out)
    write_table(out / "noise.scp", noises)
    log.info("noise: %d generated background files (%s)", len(noises), ", ".join(KINDS))
    return dirs
