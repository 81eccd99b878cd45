"""BVCC (VoiceMOS 2022 main track) -> data dirs ``bvcc_{train,val,test}``: wav.scp, utt2mos,
utt2sys, utt2num_samples. No references and no classes: mix-up uses these utterances unmodified.

Layout: ``<root>/DATA/wav/<sys>-<utt>.wav`` and ``<root>/DATA/sets/{train,val,test}_mos_list.txt``
(``sys64e2f-utt9c183cd.wav,3.625``, no header). ``root`` is the ``main`` directory of the release.
"""
from __future__ import annotations

from pathlib import Path

from sqe.audio.io import TARGET_SR
from sqe.audio.resample import resampled_length
from sqe.data.datadir import DataDir
from sqe.utils.errors import SqeError

SPLITS = ("train", "val", "test")
DB_VAR = "BVCC"


def _missing(what: str) -> SqeError:
    return SqeError(f"BVCC: {what}; set {DB_VAR} in db.sh to the 'main' directory of the BVCC release")


def prepare_bvcc(root: Path, out: Path, splits: tuple[str, ...] = SPLITS) -> dict[str, DataDir]:
    import soundfile as sf

    root = Path(root)
    wav_dir, sets = root / "DATA" / "wav", root / "DATA" / "sets"
    for d in (wav_dir, sets):
        if not d.is_dir():
            raise _missing(f"{d} does not exist")
    dirs = {}
    for split in splits:
        listing = sets / f"{split}_mos_list.txt"
        if not listing.is_file():
            raise _missing(f"{listing} does not exist")
        tables: dict[str, dict] = {n: {} for n in ("wav.scp", "utt2mos", "utt2sys", "utt2num_samples")}
        missing = []
        for line_no, line in enumerate(listing.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                name, mos = line.strip().split(",")
                value = float(mos)
            except ValueError:
                raise SqeError(f"{listing}:{line_no}: expected '<file>.wav,<mos>', got {line!r}") from None
            path = wav_dir / name
            if not path.is_file():
                missing.append(str(path))
                continue
            utt = Path(name).stem
            info = sf.info(str(path))
            tables["wav.scp"][utt] = str(path.resolve())
            tables["utt2mos"][utt] = value
            tables["utt2sys"][utt] = name.split("-")[0]
            tables["utt2num_samples"][utt] = resampled_length(info.frames, info.samplerate, TARGET_SR)
        if missing:
            raise _missing(f"{len(missing)} file(s) of {listing.name} missing, e.g. {', '.join(missing[:3])}")
        dd = DataDir(tables)
        dd.save_replacing(Path(out) / f"bvcc_{split}")
        dirs[split] = dd
    return dirs
