"""BVCC (VoiceMOS 2022 main track) -> data dirs ``bvcc_{train,val,test}``: wav.scp, utt2mos,
utt2sys, utt2num_samples. No references and no classes: mix-up uses these utterances unmodified.

Layout: ``<root>/DATA/wav/<sys>-<utt>.wav`` and ``<root>/DATA/sets/{train,val,test}_mos_list.txt``
(``sys64e2f-utt9c183cd.wav,3.625``, no header). ``root`` is the ``main`` directory of the release.
Every split is checked before any is written: one error names each bad line and missing file with its line.
"""
from __future__ import annotations

from pathlib import Path

from sqe.audio.io import TARGET_SR
from sqe.audio.resample import resampled_length
from sqe.data.datadir import DataDir
from sqe.utils.errors import SqeError

SPLITS = ("train", "val", "test")
DB_VAR = "BVCC"
MAX_LISTED = 20  # missing files listed per listing (the rest are counted)


def _missing(what: str) -> SqeError:
    return SqeError(f"BVCC: {what}; set {DB_VAR} in db.sh to the 'main' directory of the BVCC release")


def _split_tables(listing: Path, wav_dir: Path) -> tuple[dict[str, dict], list[str]]:
    """The tables of one split and every problem of its listing (each names the listing and its line)."""
    import soundfile as sf

    tables: dict[str, dict] = {n: {} for n in ("wav.scp", "utt2mos", "utt2sys", "utt2num_samples")}
    problems, missing = [], []
    for line_no, line in enumerate(listing.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            name, mos = line.strip().split(",")
            value = float(mos)
        except ValueError:
            problems.append(f"{listing}:{line_no}: expected '<file>.wav,<mos>', got {line!r}")
            continue
        path = wav_dir / name
        if not path.is_file():
            missing.append(f"{listing}:{line_no}: {path} does not exist")
            continue
        utt = Path(name).stem
        try:
            info = sf.info(str(path))
        except Exception as err:  # soundfile raises several types for unreadable files
            problems.append(f"{listing}:{line_no}: {path}: unreadable audio ({err})")
            continue
        tables["wav.scp"][utt] = str(path.resolve())
        tables["utt2mos"][utt] = value
        tables["utt2sys"][utt] = name.split("-")[0]
        tables["utt2num_samples"][utt] = resampled_length(info.frames, info.samplerate, TARGET_SR)
    if missing:
        problems.append(f"{len(missing)} file(s) of {listing.name} missing:")
        problems += [f"  {m}" for m in missing[:MAX_LISTED]]
        if len(missing) > MAX_LISTED:
            problems.append(f"  ... and {len(missing) - MAX_LISTED} more")
    return tables, problems


def prepare_bvcc(root: Path, out: Path, splits: tuple[str, ...] = SPLITS) -> dict[str, DataDir]:
    """Every split is read and checked before any data dir is written (one error lists all problems)."""
    root = Path(root)
    wav_dir, sets = root / "DATA" / "wav", root / "DATA" / "sets"
    for d in (wav_dir, sets):
        if not d.is_dir():
            raise _missing(f"{d} does not exist")
    absent = [sets / f"{split}_mos_list.txt" for split in splits if not (sets / f"{split}_mos_list.txt").is_file()]
    if absent:
        raise _missing(f"{', '.join(map(str, absent))} do(es) not exist")
    dirs, problems = {}, []
    for split in splits:
        tables, found = _split_tables(sets / f"{split}_mos_list.txt", wav_dir)
        problems += found
        dirs[split] = DataDir(tables)
    if problems:
        listed = "".join(f"\n  {p}" for p in problems)
        hint = f"\n  (set {DB_VAR} in db.sh to the 'main' directory of the BVCC release)"
        raise SqeError(f"BVCC {root}: nothing written, because:{listed}{hint}")
    for split, dd in dirs.items():
        dd.save_replacing(Path(out) / f"bvcc_{split}")
    return dirs
