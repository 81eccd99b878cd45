"""LibriSpeech and LibriTTS subsets -> data dirs (wav.scp, text, utt2spk, utt2num_samples at 16 kHz), and the
CHiME-3 background noises -> a noise data dir.

LibriSpeech: ``<root>/LibriSpeech/<subset>/<spk>/<chapter>/<spk>-<chapter>-<utt>.flac`` with
``<spk>-<chapter>.trans.txt``; LibriTTS: ``<root>/LibriTTS/<subset>/<spk>/<chapter>/<id>.wav`` (24 kHz) with
``<id>.normalized.txt``. CHiME-3: ``<root>/data/audio/16kHz/backgrounds/BGD_<date>_<n>_<ENV>.CH<c>.wav``; one
channel per recording (near-identical channels would repeat the same noise).
A bad LibriSpeech transcript line or a file it names that is missing is reported with its line, all of them in
one error, before anything is written.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from sqe.audio.io import TARGET_SR
from sqe.audio.resample import resampled_length
from sqe.data.datadir import DataDir
from sqe.utils.errors import SqeError

MAX_LISTED = 20  # problems listed (the rest are counted)


def _info(path: Path) -> int:
    import soundfile as sf

    info = sf.info(str(path))
    return resampled_length(info.frames, info.samplerate, TARGET_SR)


def _subset_dir(root: Path, flavor: str, subset: str, var: str) -> Path:
    name = "LibriSpeech" if flavor == "librispeech" else "LibriTTS"
    for base in (root / name, root):  # the directory holding LibriSpeech/ (db.sh), or LibriSpeech/ itself
        if (base / subset).is_dir():
            return base / subset
    raise SqeError(f"{name}: {root / name / subset} does not exist; set {var} in db.sh to the directory holding "
                   f"{name}/{subset}")


def prepare_librispeech(root: Path, subset: str, out: Path,
                        flavor: Literal["librispeech", "libritts"] = "librispeech") -> DataDir:
    var = "LIBRISPEECH" if flavor == "librispeech" else "LIBRITTS"
    base = _subset_dir(Path(root), flavor, subset, var)
    tables: dict[str, dict] = {n: {} for n in ("wav.scp", "text", "utt2spk", "utt2num_samples")}
    if flavor == "librispeech":
        problems: list[str] = []
        for trans in sorted(base.glob("*/*/*.trans.txt")):
            for line_no, line in enumerate(trans.read_text().splitlines(), start=1):
                if not line.strip():
                    continue
                fields = line.split(maxsplit=1)
                if len(fields) != 2:
                    problems.append(f"{trans}:{line_no}: expected '<utterance> <transcript>', got {line!r}")
                    continue
                utt, text = fields
                audio = trans.parent / f"{utt}.flac"
                if not audio.is_file():
                    problems.append(f"{trans}:{line_no}: {audio} does not exist")
                    continue
                tables["wav.scp"][utt] = str(audio.resolve())
                tables["text"][utt] = text
                tables["utt2spk"][utt] = utt.split("-")[0]
                tables["utt2num_samples"][utt] = _info(audio)
        if problems:  # all of them, before anything is written
            listed = "".join(f"\n  {p}" for p in problems[:MAX_LISTED])
            more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
            raise SqeError(f"LibriSpeech {base}: nothing written, because:{listed}{more}"
                           f"\n  (check {var} in db.sh)")
    else:
        for audio in sorted(base.glob("*/*/*.wav")):
            utt = audio.stem
            text_file = audio.with_suffix(".normalized.txt")
            if not text_file.is_file():
                raise SqeError(f"LibriTTS: {text_file} does not exist; check {var} in db.sh")
            tables["wav.scp"][utt] = str(audio.resolve())
            tables["text"][utt] = " ".join(text_file.read_text().split()) or "-"
            tables["utt2spk"][utt] = utt.split("_")[0]
            tables["utt2num_samples"][utt] = _info(audio)
    if not tables["wav.scp"]:
        raise SqeError(f"{base}: no utterances found; check {var} in db.sh")
    dd = DataDir(tables)
    dd.save_replacing(out)
    return dd


_BGD = re.compile(r"(BGD_\d+_\d+_[A-Z]+)\.CH(\d)\.wav")


def prepare_chime3_noise(root: Path, out: Path, channel: int = 1) -> DataDir:
    """One channel of every CHiME-3 background recording as a data dir of noise files."""
    base = Path(root) / "data" / "audio" / "16kHz" / "backgrounds"
    if not base.is_dir():
        raise SqeError(f"CHiME-3: {base} does not exist; set CHIME3 in db.sh to the CHiME3 directory")
    tables: dict[str, dict] = {"wav.scp": {}, "utt2num_samples": {}}
    for path in sorted(base.glob("BGD_*.wav")):
        m = _BGD.fullmatch(path.name)
        if m and int(m.group(2)) == channel:
            tables["wav.scp"][m.group(1)] = str(path.resolve())
            tables["utt2num_samples"][m.group(1)] = _info(path)
    if not tables["wav.scp"]:
        raise SqeError(f"CHiME-3: no BGD_*.CH{channel}.wav files in {base}")
    dd = DataDir(tables)
    dd.save_replacing(out)
    return dd
