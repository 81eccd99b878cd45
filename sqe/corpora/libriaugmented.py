"""LibriAugmented, the paper's variant (§6.1.1): every utterance of a clean data dir impaired
exactly twice, once with one of the 9 single impairments and once with one of the 6 doubles (K = 15), by
``sqe.simulate.impairments`` (the same library as egs/mini's out-of-domain set), time-aligned with its
reference, every drawn parameter recorded, deterministic for a seed.

Work can be split over a JOB array (``part``/``nparts``: contiguous blocks of the sorted utterances); each
impaired utterance leaves ``work/records/<utt>.json`` next to ``work/wav/<utt>.wav``. The final call without
a part renders whatever is still missing and assembles the data dir: wav.scp, ref.scp, utt2cls, utt2params,
utt2num_samples, utt2spk, text, utt2mos (PESQ-WB, optional) and a test-local cls2id.
"""
from __future__ import annotations

import functools
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sqe.audio.io import TARGET_SR, load_audio, write_wav
from sqe.corpora.inventory import inventory, log_inventory
from sqe.data.datadir import DataDir
from sqe.data.tables import read_table
from sqe.simulate.impairments import DOUBLES, SINGLES
from sqe.simulate.impairments import impair as apply_impairment
from sqe.simulate.labels import pesq_wb
from sqe.utils.atomic import write_text_atomic
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.parts import block
from sqe.utils.pool import parallel_map

log = get_logger(__name__)


@dataclass
class LibriAugConf:
    seed: int = 0
    singles: list[str] = field(default_factory=lambda: list(SINGLES))
    doubles: list[str] = field(default_factory=lambda: list(DOUBLES))
    pesq: bool = True  # PESQ-WB labels in utt2mos (LibriAugmented's CSVs carry pesq)
    num_workers: int = 2

    def __post_init__(self) -> None:
        bad = [s for s in self.singles if s not in SINGLES] + [d for d in self.doubles if d not in DOUBLES]
        if bad:
            raise ValueError(f"unknown impairment(s) {bad}")


def assignments(utts: list[str], conf: LibriAugConf) -> list[tuple[str, str, str, int]]:
    """(new utt, source utt, class, seed) for every utterance: a single and a double, cycling through the
    classes in a seeded order so that they are balanced; independent of how the work is split."""
    rng = np.random.default_rng(conf.seed)
    singles = [conf.singles[i] for i in rng.permutation(len(conf.singles))]
    doubles = [conf.doubles[i] for i in rng.permutation(len(conf.doubles))]
    out = []
    for i, utt in enumerate(utts):
        for suffix, cls in (("s", singles[i % len(singles)]), ("d", doubles[i % len(doubles)])):
            key = f"{utt}-{suffix}"
            out.append((key, utt, cls, zlib.crc32(f"{conf.seed}:{key}".encode()) & 0x7FFFFFFF))
    return out


def _render(job: tuple[str, str, str, int], refs: dict[str, str], work: Path, noise: tuple[str, ...],
            pesq: bool) -> dict[str, Any]:
    key, src, cls, seed = job
    record_path = work / "records" / f"{key}.json"
    if record_path.is_file():
        return json.loads(record_path.read_text())
    ref = load_audio(refs[src], src)
    y, params = apply_impairment(cls, ref, seed, noise)
    if y.size != ref.size:
        raise SqeError(f"{key}: impairment {cls} changed the length ({ref.size} -> {y.size})")
    path = (work / "wav" / f"{key}.wav").resolve()
    write_wav(path, y, TARGET_SR, subtype="FLOAT")
    record = {"utt": key, "src": src, "cls": cls, "params": params, "num_samples": int(y.size), "path": str(path),
              "mos": pesq_wb(ref, y) if pesq else None}
    write_text_atomic(record_path, json.dumps(record) + "\n")
    return record


def make_libriaugmented(data: Path, noise: Path, out: Path, conf: LibriAugConf, part: int | None = None,
                        nparts: int | None = None) -> DataDir | None:
    clean = DataDir.load(data)
    noise_files = tuple(sorted(read_table(Path(noise) / "wav.scp").values()))
    if not noise_files:
        raise SqeError(f"{noise}/wav.scp lists no noise files")
    jobs = assignments(clean.utts, conf)
    if part is not None:  # a block of the utterances (both of each utterance's impaired copies)
        per_utt = [jobs[i:i + 2] for i in range(0, len(jobs), 2)]
        jobs = [j for pair in block(per_utt, part, nparts) for j in pair]
    work = Path(out) / "work"
    render = functools.partial(_render, refs=clean["wav.scp"], work=work, noise=noise_files, pesq=conf.pesq)
    records = parallel_map(render, jobs, conf.num_workers, desc="impair", unit="utt")
    if part is not None:
        log.info("part %d of %d: %d impaired utterances", part, nparts, len(records))
        return None
    dropped = [r["utt"] for r in records if conf.pesq and r["mos"] is None]
    if dropped:
        log.warning("%d pair(s) PESQ could not score were dropped, e.g. %s", len(dropped), ", ".join(dropped[:3]))
    kept = [r for r in records if not (conf.pesq and r["mos"] is None)]
    tables: dict[str, dict[str, Any]] = {
        "wav.scp": {r["utt"]: r["path"] for r in kept},
        "ref.scp": {r["utt"]: clean["wav.scp"][r["src"]] for r in kept},
        "utt2cls": {r["utt"]: r["cls"] for r in kept},
        "utt2params": {r["utt"]: r["params"] for r in kept},
        "utt2num_samples": {r["utt"]: r["num_samples"] for r in kept},
    }
    for name in ("utt2spk", "text"):
        if name in clean:
            tables[name] = {r["utt"]: clean[name][r["src"]] for r in kept}
    if conf.pesq:
        tables["utt2mos"] = {r["utt"]: round(float(r["mos"]), 4) for r in kept}
    classes = sorted(set(tables["utt2cls"].values()))
    tables["cls2id"] = {"clean": 0, **{c: i + 1 for i, c in enumerate(classes)}}
    dd = DataDir(tables)
    dd.save(out)
    if conf.pesq:
        inv = inventory(dd, dropped=len(dropped))
        write_text_atomic(Path(out) / "cls_inventory.json", json.dumps(inv, indent=2) + "\n")
        log_inventory(Path(out).name, inv)
    log.info("%s: %d impaired utterances of %d references, K=%d classes", out, len(kept), len(clean), len(classes))
    return dd
