"""NISQA Corpus -> Kaldi data dirs: one per subset present.

- SIM subsets (TRAIN_SIM, VAL_SIM): wav.scp (degraded), ref.scp, utt2mos, utt2cls (column scan), utt2params,
  utt2con, utt2num_samples; TEST_FOR / TEST_P501: classes from ``con_description``; LIVE subsets: no
  references, no classes.
- ``cls2id`` from TRAIN_SIM's classes, written to every dir with classes; a class inventory per dir
  (``cls_inventory.json``) with K, logged against the paper's checks (19 tokens; K = 899 train, 371 val).
- The 48 kHz float WAVs are read and resampled on the fly (wav.scp points into the corpus) or converted once
  to 16 kHz float WAVs under ``<out>/wav16k`` (``resample: once``).
- Every subset is checked before anything is written, and one error lists every problem, each with its CSV
  and line(s): a required subset folder (``required``) or a CSV missing, a column missing or renamed (with
  the header line), a row with the wrong number of cells, a repeated file, a MOS that is no number, a
  condition the class map does not know (all of them: such a row is never given a class), and every
  degraded or reference file that does not exist (a missing folder once).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal

import soundfile as sf

from sqe.audio.io import TARGET_SR, load_audio, write_wav
from sqe.audio.resample import resampled_length
from sqe.corpora.inventory import inventory, log_inventory
from sqe.corpora.nisqa_classes import (KNOWN_VALUES, LIVE, SCANNED_COLUMNS, TOKENS, class_of_description,
                                      class_of_row, params_of_row, unknown_cells)
from sqe.data.datadir import DataDir
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.pool import parallel_map

log = get_logger(__name__)
SUBSETS = {
    "NISQA_TRAIN_SIM": "sim", "NISQA_VAL_SIM": "sim", "NISQA_TEST_FOR": "test", "NISQA_TEST_P501": "test",
    "NISQA_TRAIN_LIVE": "live", "NISQA_VAL_LIVE": "live", "NISQA_TEST_LIVETALK": "live",
}
# A SIM row's class comes from every scanned column: one renamed away would silently turn rows 'clean'.
REQUIRED = {"sim": ("con", "filename_deg", "filename_ref", "mos", *SCANNED_COLUMNS),
            "test": ("con", "con_description", "filename_deg", "filename_ref", "mos"),
            "live": ("filename_deg", "mos")}
RECIPE_SUBSETS = ("NISQA_TRAIN_SIM", "NISQA_VAL_SIM", "NISQA_TEST_FOR", "NISQA_TEST_P501")  # egs/nisqa reads them
PAPER_K = {"NISQA_TRAIN_SIM": 899, "NISQA_VAL_SIM": 371}
DB_VAR = "NISQA"
MAX_LISTED = 20  # missing files listed per CSV (the rest are counted); unknown conditions are all listed


@dataclass
class NisqaConf:
    subsets: list[str] = field(default_factory=lambda: list(SUBSETS))  # those present are prepared
    required: list[str] = field(default_factory=lambda: list(RECIPE_SUBSETS))  # of ``subsets``: absent = error
    resample: Literal["on_the_fly", "once"] = "on_the_fly"  # once: 16 kHz copies under <out>/wav16k
    num_workers: int = 2

    def __post_init__(self) -> None:
        bad = [s for s in [*self.subsets, *self.required] if s not in SUBSETS]
        if bad:
            raise ValueError(f"unknown NISQA subset(s) {bad} (known: {', '.join(SUBSETS)})")


def _missing(what: str) -> SqeError:
    return SqeError(f"NISQA corpus: {what}; set {DB_VAR} in db.sh to the NISQA_Corpus directory")


def line_ranges(lines: list[int]) -> str:
    """``[2, 3, 4, 9]`` -> ``'2-4, 9'``: every line named, compactly."""
    out: list[str] = []
    for n in sorted(set(lines)):
        if out and int(out[-1].split("-")[-1]) == n - 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def read_rows(csv_path: Path, kind: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of every row of a subset CSV; a missing file or column is an error naming it, the
    missing column(s) and the header line."""
    if not csv_path.is_file():
        raise SqeError(f"{csv_path} does not exist")
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        absent = [c for c in REQUIRED[kind] if c not in columns]
        if absent:
            others = [c for c in columns if c not in REQUIRED[kind]]
            hints = [f"'{c}' -> '{m[0]}'?" for c in absent if (m := get_close_matches(c, others, n=1))]
            renamed = f" (renamed? {', '.join(hints)})" if hints else ""
            raise SqeError(f"{csv_path}:1: column(s) {', '.join(absent)} missing{renamed}; "
                           f"the header line is: {','.join(columns)}")
        return [(reader.line_num, row) for row in reader]


def _utt(subset: str, filename: str) -> str:
    return f"{subset.removeprefix('NISQA_')}-{Path(filename).stem}"


def _missing_files(csv_path: Path, absent: list[tuple[int, str, Path]]) -> list[str]:
    """One problem per missing folder (all its rows), else one per missing file (the first MAX_LISTED)."""
    problems, files = [], []
    by_folder: dict[Path, list[int]] = {}
    for line, what, path in absent:
        if path.parent.is_dir():
            files.append(f"{csv_path}:{line}: {what} {path} does not exist")
        else:
            by_folder.setdefault(path.parent, []).append(line)
    for folder, lines in by_folder.items():
        problems.append(f"{csv_path}: folder {folder} does not exist (named by {len(lines)} row(s), "
                        f"line(s) {line_ranges(lines)})")
    problems += files[:MAX_LISTED]
    if len(files) > MAX_LISTED:
        problems.append(f"{csv_path}: ... and {len(files) - MAX_LISTED} more missing file(s)")
    return problems


def scan_subset(root: Path, subset: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The tables of one subset and every problem found in it (each names the CSV and its line(s))."""
    kind = SUBSETS[subset]
    csv_path = root / subset / f"{subset}_file.csv"
    try:
        rows = read_rows(csv_path, kind)
    except SqeError as err:
        return {}, [str(err)]
    tables: dict[str, dict[str, Any]] = {n: {} for n in ("wav.scp", "utt2mos")}
    if kind != "live":
        for n in ("ref.scp", "utt2cls", "utt2params", "utt2con"):
            tables[n] = {}
    problems: list[str] = []
    absent: list[tuple[int, str, Path]] = []
    not_numbers: dict[str, list[int]] = {}
    unknown: dict[tuple[str, ...], list[int]] = {}  # (what, value, detail) -> lines
    first_line: dict[str, int] = {}
    for line, row in rows:
        if None in row or None in row.values():  # csv.DictReader: extra cells under None, missing ones None
            header = sum(k is not None for k in row)
            cells = sum(v is not None for k, v in row.items() if k is not None) + len(row.get(None) or [])
            problems.append(f"{csv_path}:{line}: {cells} cell(s), the header has {header}")
            continue
        utt = _utt(subset, row["filename_deg"])
        if utt in first_line:
            problems.append(f"{csv_path}:{line}: filename_deg {row['filename_deg']} repeats line {first_line[utt]}")
            continue
        first_line[utt] = line
        deg = root / (row.get("filepath_deg") or f"{subset}/deg/{row['filename_deg']}")
        if not deg.is_file():
            absent.append((line, "degraded file", deg))
        tables["wav.scp"][utt] = str(deg.resolve())
        try:
            tables["utt2mos"][utt] = float(row["mos"])
        except ValueError:
            not_numbers.setdefault(row["mos"], []).append(line)
        if kind == "live":
            continue
        ref = root / (row.get("filepath_ref") or f"{subset}/ref/{row['filename_ref']}")
        if not ref.is_file():
            absent.append((line, "reference", ref))
        tables["ref.scp"][utt] = str(ref.resolve())
        tables["utt2con"][utt] = str(row["con"]).strip().replace(" ", "_")
        if kind == "sim":
            for col, value in unknown_cells(row):
                unknown.setdefault((col, value, ", ".join(KNOWN_VALUES[col])), []).append(line)
            tables["utt2cls"][utt] = class_of_row(row)
            tables["utt2params"][utt] = params_of_row(row)
        else:
            cls, params, rest = class_of_description(row["con_description"])
            if rest:
                unknown.setdefault(("con_description", row["con_description"], "; ".join(map(repr, rest))),
                                   []).append(line)
            tables["utt2cls"][utt] = cls
            tables["utt2params"][utt] = {"con_description": row["con_description"], **params}
    for value, lines in not_numbers.items():
        problems.append(f"{csv_path}: line(s) {line_ranges(lines)}: mos {value!r} is not a number")
    for (col, value, detail), lines in unknown.items():
        if col == "con_description":
            problems.append(f"{csv_path}: line(s) {line_ranges(lines)}: con_description {value!r} not understood "
                            f"(fragment(s) {detail})")
        else:
            problems.append(f"{csv_path}: line(s) {line_ranges(lines)}: {col} {value!r} is not a value the class "
                            f"map knows ({detail})")
    return tables, problems + _missing_files(csv_path, absent)


def subset_tables(root: Path, subset: str) -> dict[str, dict[str, Any]]:
    """The tables of one subset; any problem is an error listing them all."""
    tables, problems = scan_subset(Path(root), subset)
    if problems:
        raise _problems_error(Path(root), problems)
    return tables


def _problems_error(root: Path, problems: list[str]) -> SqeError:
    hints = []
    if any("does not exist" in p for p in problems):
        hints.append(f"set {DB_VAR} in db.sh to the NISQA_Corpus directory")
    if any("not understood" in p or "class map" in p for p in problems):
        hints.append("a condition the class map does not know is never given a class: add it to "
                     "sqe.corpora.nisqa_classes")
    listed = "".join(f"\n  {p}" for p in problems)
    return SqeError(f"NISQA corpus {root}: nothing written, because:{listed}"
                    + "".join(f"\n  ({h})" for h in hints))


def _convert(job: tuple[str, str]) -> int:
    src, dst = job
    if not Path(dst).is_file():
        write_wav(dst, load_audio(src), TARGET_SR, subtype="FLOAT")
    return sf.info(dst).frames


def _num_samples(path: str) -> int:
    try:
        info = sf.info(path)
    except Exception as err:  # soundfile raises several types for unreadable files
        raise SqeError(f"{path}: unreadable audio ({err})") from None
    return resampled_length(info.frames, info.samplerate, TARGET_SR)


def prepare_nisqa(root: Path, out: Path, conf: NisqaConf) -> dict[str, DataDir]:
    """Write ``out/nisqa_<subset>`` for every configured subset found under ``root``."""
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise _missing(f"{root} is not a directory")
    present = [s for s in conf.subsets if (root / s).is_dir()]
    if not present:
        raise _missing(f"none of the subsets {', '.join(conf.subsets)} found in {root}")
    problems = [f"{root / s} does not exist (a subset the recipe needs; NisqaConf.required)"
                for s in conf.subsets if s in conf.required and s not in present]
    tables = {}
    for s in present:  # every subset is checked before anything is written, so one run names all problems
        tables[s], found = scan_subset(root, s)
        problems += found
    if problems:
        raise _problems_error(root, problems)
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
