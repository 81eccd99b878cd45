"""LibriSpeech, LibriTTS and CHiME-3 background trees in the real layouts, for egs/libriaugmented's stages 1-4.

- LibriSpeech: ``LibriSpeech/<subset>/<spk>/<chapter>/<spk>-<chapter>-<utt>.flac`` (the vendored 16 kHz FLAC
  excerpts, copied byte for byte) and ``<spk>-<chapter>.trans.txt``.
- LibriTTS: ``LibriTTS/<subset>/<spk>/<chapter>/<spk>_<chapter>_<para>_<sent>.wav`` (24 kHz, 16 bit) with
  ``.normalized.txt`` and ``.original.txt``, and ``<spk>_<chapter>.trans.tsv`` per chapter.
- CHiME-3: ``CHiME3/data/audio/16kHz/backgrounds/BGD_<yymmdd>_<nnn>_<ENV>.CH<c>.wav`` for ENV in BUS, CAF, PED,
  STR: the simulator's generated noise of each kind (sqe.simulate.noises), the channels near-copies of each other
  as a tablet's microphones would record.

The vendored excerpts carry no transcripts: every text is the project's placeholder '-'. A README.TXT in each
tree says where the audio comes from (LibriSpeech, CC BY 4.0).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import soundfile as sf
from layout_speech import NO_TEXT, speech, take

from sqe.audio.resample import resample
from sqe.simulate.noises import environmental_noise

LIBRISPEECH_GROUPS = {"dev-clean": "librispeech_dev", "test-clean": "librispeech_test"}
LIBRITTS_GROUPS = {"dev-clean": "libritts_dev"}
CHIME3_ENVS = {"BUS": "bus", "CAF": "cafe", "PED": "pedestrian", "STR": "street"}
ATTRIBUTION = ("Excerpts of LibriSpeech (Panayotov et al. 2015, CC BY 4.0) vendored in sqe/speech/librispeech "
               "(see LICENSE.md there), laid out by test/corpus_layouts.py for tests and trials; not the corpus.\n")


def _group(groups: dict[str, str], subset: str) -> str:
    if subset not in groups:
        raise ValueError(f"no speakers set aside for subset '{subset}' (known: {', '.join(groups)})")
    return groups[subset]


def write_librispeech(root: Path, subsets: tuple[str, ...] = ("dev-clean", "test-clean"), n_utts: int = 9,
                      seed: int = 0) -> Path:
    """``root/LibriSpeech/<subset>`` with ``n_utts`` utterances each (dev-clean: up to 12 speakers with one
    utterance; test-clean: up to 12 utterances of two speakers); returns ``root`` (db.sh: LIBRISPEECH)."""
    root = Path(root)
    for subset in subsets:
        chapters: dict[Path, list[str]] = {}
        for ex in take(_group(LIBRISPEECH_GROUPS, subset), n_utts, seed, reuse=False):
            spk, chapter, _ = ex.utt.split("-")
            folder = root / "LibriSpeech" / subset / spk / chapter
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ex.path, folder / f"{ex.utt}.flac")
            chapters.setdefault(folder, []).append(f"{ex.utt} {NO_TEXT}\n")
        for folder, lines in chapters.items():
            (folder / f"{folder.parent.name}-{folder.name}.trans.txt").write_text("".join(sorted(lines)))
    (root / "LibriSpeech" / "README.TXT").write_text(ATTRIBUTION)
    return root


def write_libritts(root: Path, subsets: tuple[str, ...] = ("dev-clean",), n_utts: int = 6, seed: int = 0) -> Path:
    """``root/LibriTTS/<subset>`` with ``n_utts`` utterances (dev-clean: up to 12 of two speakers), resampled to
    24 kHz as LibriTTS is; returns ``root`` (db.sh: LIBRITTS)."""
    root = Path(root)
    for subset in subsets:
        chapters: dict[Path, list[str]] = {}
        for ex in take(_group(LIBRITTS_GROUPS, subset), n_utts, seed, reuse=False):
            spk, chapter, utt = ex.utt.split("-")
            stem = f"{spk}_{chapter}_{int(utt):06d}_000000"
            folder = root / "LibriTTS" / subset / spk / chapter
            folder.mkdir(parents=True, exist_ok=True)
            x = resample(speech(ex, level_dbfs=None), 16000, 24000)
            sf.write(str(folder / f"{stem}.wav"), np.clip(x, -1.0, 1.0), 24000, subtype="PCM_16")
            for kind in ("normalized", "original"):
                (folder / f"{stem}.{kind}.txt").write_text(NO_TEXT)
            chapters.setdefault(folder, []).append(f"{stem}\t{NO_TEXT}\t{NO_TEXT}\n")
        for folder, lines in chapters.items():
            (folder / f"{folder.parent.name}_{folder.name}.trans.tsv").write_text("".join(sorted(lines)))
    (root / "LibriTTS" / "README.TXT").write_text(ATTRIBUTION)
    return root


def write_chime3_backgrounds(root: Path, per_env: int = 1, seconds: float = 12.0, channels: int = 2,
                             seed: int = 0) -> Path:
    """``root/CHiME3/data/audio/16kHz/backgrounds`` with ``per_env`` recordings of each environment, ``seconds``
    long, in ``channels`` channels (16 kHz, 16 bit); returns the CHiME3 directory (db.sh: CHIME3)."""
    chime3 = Path(root) / "CHiME3"
    folder = chime3 / "data" / "audio" / "16kHz" / "backgrounds"
    folder.mkdir(parents=True, exist_ok=True)
    for e, (env, kind) in enumerate(CHIME3_ENVS.items()):
        for k in range(per_env):
            rec_seed = seed * 1000 + e * 100 + k
            base = environmental_noise(kind, seconds, seed=rec_seed)
            rng = np.random.default_rng(rec_seed)
            name = f"BGD_{150203 + e:06d}_{10 * (k + 1):03d}_{env}"
            for ch in range(1, channels + 1):
                # another microphone a few centimetres away: a small delay, its own gain and self-noise
                lag, gain = int(rng.integers(0, 4)) * (ch > 1), float(rng.uniform(0.8, 1.0)) if ch > 1 else 1.0
                x = gain * np.roll(base, lag) + 0.01 * rng.standard_normal(base.size)
                sf.write(str(folder / f"{name}.CH{ch}.wav"), np.clip(x, -1.0, 1.0).astype(np.float32), 16000,
                         subtype="PCM_16")
    return chime3
