"""NISQA Corpus -> Kaldi data dirs: one per subset present.

- SIM subsets (TRAIN_SIM, VAL_SIM): wav.scp (degraded), ref.scp, utt2mos, utt2cls (column scan), utt2params,
  utt2con, utt2num_samples; TEST_FOR / TEST_P501: classes from ``con_description``; LIVE subsets: no
  references, no classes.
- ``cls2id`` from TRAIN_SIM's classes, written to every dir with classes; a class inventory per dir
  (``cls_inventory.json``) with K, logged against the paper's checks (19 tokens; K = 899 train, 371 val).
- The 48 kHz float WAVs are read and resampled on the fly (wav.scp points into the corpus) or converted once
  to 16 kHz float WAVs under ``<out>/wav16k`` (``resample: once``).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import soundfile as sf

from sqe.audio.io import TARGET_SR, load_audio, write_wav
from sqe.audio.resample import resampled_length
from sqe.corpora.inventory import inventory, log_inventory
from sqe.corpora.nisqa_classes import LIVE, TOKENS, class_of_description, class_of_row, params_of_row
from sqe.data.datadir import DataDir
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.pool import parallel_map

log = get_logger(__name__)
SUBSETS = {
    "NISQA_TRAIN_SIM": "sim", "NISQA_VAL_SIM": "sim", "NISQA_TEST_FOR": "test", "NISQA_TEST_P501": "test",
    "NISQA_TRAIN_LIVE": "live", "NISQA_VAL_LIVE": "live", "NISQA_TEST_LIVETALK": "live",
}
REQUIRED = {"sim": ("con", "filename_deg", "filename_ref", "mos"),
            "test": ("con", "con_description", "filename_deg", "filename_ref", "mos"),
            "live": ("filename_deg", "mos")}
PAPER_K = {"NISQA_TRAIN_SIM": 899, "NISQA_VAL_SIM": 371}
DB_VAR = "NISQA"


@dataclass
class NisqaConf:
    subsets: list[str] = field(default_factory=lambda: list(SUBSETS))  # those present are prepared
    resample: Literal["on_the_fly", "once"] = "on_the_fly"  # once: 16 kHz copies under <out>/wav16k
    num_workers: int = 2

    def __post_init__(self) -> None:
        bad = [s for s in self.subsets if s not in SUBSETS]
        if bad:
            raise ValueError(f"unknown NISQA subset(s) {bad} (known: {', '.join(SUBSETS)})")


def _missing(what: str) -> SqeError:
    return SqeError(f"NISQA corpus: {what}; set {DB_VAR} in db.sh to the NISQA_Corpus directory")


def read_rows(csv_path: Path, kind: str) -> list[dict[str, str]]:
    """The rows of a subset CSV; a missing file or column is an error naming it."""
    if not csv_path.is_file():
        raise _missing(f"{csv_path} does not exist")
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        absent = [c for c in REQUIRED[kind] if c not in columns]
        if absent:
            raise SqeError(f"{csv_path}: column(s) {', '.join(absent)} missing (header: {', '.join(columns)})")
        return list(reader)


def _utt(subset: str, filename: str) -> str:
    return f"{subset.removeprefix('NISQA_')}-{Path(filename).stem}"


def subset_tables(root: Path, subset: str) -> dict[str, dict[str, Any]]:
    kind = SUBSETS[subset]
    rows = read_rows(root / subset / f"{subset}_file.csv", kind)
    tables: dict[str, dict[str, Any]] = {n: {} for n in ("wav.scp", "utt2mos")}
    if kind != "live":
        for n in ("ref.scp", "utt2cls", "utt2params", "utt2con"):
            tables[n] = {}
    missing, unparsed = [], []
    for line, row in enumerate(rows, start=2):
        utt = _utt(subset, row["filename_deg"])
        deg = root / (row.get("filepath_deg") or f"{subset}/deg/{row['filename_deg']}")
        if not deg.is_file():
            missing.append(str(deg))
        tables["wav.scp"][utt] = str(deg.resolve())
        try:
            tables["utt2mos"][utt] = float(row["mos"])
        except ValueError:
            raise SqeError(f"{root / subset / f'{subset}_file.csv'}:{line}: mos {row['mos']!r} is not a number") from None
        if kind == "live":
            continue
        ref = root / (row.get("filepath_ref") or f"{subset}/ref/{row['filename_ref']}")
        if not ref.is_file():
            missing.append(str(ref))
        tables["ref.scp"][utt] = str(ref.resolve())
        tables["utt2con"][utt] = str(row["con"]).strip().replace(" ", "_")
        if kind == "sim":
            tables["utt2cls"][utt] = class_of_row(row)
            tables["utt2params"][utt] = params_of_row(row)
        else:
            cls, params, rest = class_of_description(row["con_description"])
            unparsed += [f"line {line}: {r!r}" for r in rest]
            tables["utt2cls"][utt] = cls
            tables["utt2params"][utt] = {"con_description": row["con_description"], **params}
    if missing:
        raise _missing(f"{len(missing)} audio file(s) of {subset} missing, e.g. {', '.join(missing[:3])}")
    if unparsed:
        raise SqeError(f"{subset}: {len(unparsed)} con_description fragment(s) not understood, e.g. "
                       f"{'; '.join(unparsed[:5])} (add them to sqe.corpora.nisqa_classes)")
    return tables


def _convert(job: tuple[str, str]) -> int:
    src, dst = job
    if not Path(dst).is_file():
        write_wav(dst, load_audio(src), TARGET_SR, subtype="FLOAT")
    return sf.info(dst).frames


def _num_samples(path: str) -> int:
    info = sf.info(path)
    return resampled_length(info.frames, info.samplerate, TARGET_SR)


def prepare_nisqa(root: Path, out: Path, conf: NisqaConf) -> dict[str, DataDir]:
    """Write ``out/nisqa_<subset>`` for every configured subset found under ``root``."""
    root = Path(root)
    if not root.is_dir():
        raise _missing(f"{root} is not a directory")
    present = [s for s in conf.subsets if (root / s).is_dir()]
    if not present:
        raise _missing(f"none of the subsets {', '.join(conf.subsets)} found in {root}")
    tables = {s: subset_tables(root, s) for s in present}
    for s, t in tables.items():
        files = sorted(set(t["wav.scp"].values()) | set(t.get("ref.scp", {}).values()))
        if conf.resample == "once":
            jobs = [(f, str(out.resolve() / "wav16k" / Path(f).relative_to(root.resolve()))) for f in files]
            parallel_map(_convert, jobs, conf.num_workers, desc=f"16 kHz copies of {s}", unit="file")
            mapping = dict(jobs)
            for name in ("wav.scp", "ref.scp"):
                if name in t:
                    t[name] = {k: mapping[v] for k, v in t[name].items()}
        lengths = dict(zip(t["wav.scp"].values(), parallel_map(_num_samples, list(t["wav.scp"].values()),
                                                               conf.num_workers, desc=f"lengths of {s}")))
        t["utt2num_samples"] = {k: lengths[v] for k, v in t["wav.scp"].items()}
    train = tables.get("NISQA_TRAIN_SIM", {}).get("utt2cls", {})
    classes = sorted(set(train.values()) - {"clean", LIVE})
    cls2id = {"clean": 0, **{c: i + 1 for i, c in enumerate(classes)}} if train else None
    dirs = {}
    for s, t in tables.items():
        dd = DataDir(t)
        extra = {}
        if "utt2cls" in t:
            if cls2id is not None:
                dd.tables["cls2id"] = cls2id
            inv = inventory(dd)
            inv["tokens_of_project"] = len(TOKENS)
            extra["cls_inventory.json"] = json.dumps(inv, indent=2) + "\n"
            log_inventory(s, inv)
            if s in PAPER_K and inv["K"] != PAPER_K[s]:
                log.warning("%s: K=%d classes, the paper reports %d", s, inv["K"], PAPER_K[s])
        dd.save_replacing(out / s.lower(), extra)
        dirs[s] = dd
    if "NISQA_TEST_FOR" in dirs and "NISQA_TEST_P501" in dirs:  # the paper's NISQA_TEST_SIM
        from sqe.data.datadir import combine

        both = combine([dirs["NISQA_TEST_FOR"], dirs["NISQA_TEST_P501"]], ["NISQA_TEST_FOR", "NISQA_TEST_P501"])
        inv = inventory(both)
        both.save_replacing(out / "nisqa_test_sim", {"cls_inventory.json": json.dumps(inv, indent=2) + "\n"})
        log_inventory("NISQA_TEST_SIM (FOR + P501)", inv)
        dirs["NISQA_TEST_SIM"] = both
    return dirs
