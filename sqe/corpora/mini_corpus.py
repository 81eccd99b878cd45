"""Stage 2 of egs/mini: degraded copies of the clean speech with classes and PESQ-WB labels.

In-domain splits (train, val, test, test_real): each reference gets ``per_utt`` NISQA-like conditions of 1-3
tokens (``sqe.simulate``). The out-of-domain splits (val_ood, test_ood): each reference is impaired exactly
twice, once with a single and once with a double LibriAugmented impairment (``sqe.simulate.impairments``,
K = 15); both share one class map.
Conditions are planned sequentially (balanced token counts, deterministic), then rendered and scored in
parallel; each finished utterance leaves a JSON record next to its audio, so an interrupted run resumes.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sqe.audio.io import TARGET_SR, load_audio, write_wav
from sqe.corpora.inventory import inventory, log_inventory, mos_table
from sqe.corpora.mini_conf import MiniDataConf
from sqe.corpora.mini_speech import REAL_PREFIX
from sqe.data.datadir import DataDir
from sqe.data.tables import read_table
from sqe.data.validate import ValidateOptions, validate_data_dir
from sqe.simulate import DEGRADATIONS, Context, resolve_ranges
from sqe.simulate.conditions import Condition, ConditionSampler, render
from sqe.simulate.impairments import impair
from sqe.simulate.labels import pesq_wb
from sqe.utils.atomic import write_text_atomic
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.pool import parallel_map

log = get_logger(__name__)
IN_DOMAIN = ("train", "val", "test", "test_real")
OOD = ("val_ood", "test_ood")
CLEAN_ONLY = ("enroll_ood",)
STAMP = ".corpus_stamp"  # in each data dir this stage writes: which run made it


@dataclass(frozen=True)
class DegPlan:
    utt: str
    split: str
    ref_utt: str
    ref_path: str
    path: str
    cls: str
    params: dict[str, Any]  # a Condition's JSON (in-domain) or {"seed": s} (out-of-domain)


def usable_tokens(tokens: list[str]) -> tuple[list[str], dict[str, str]]:
    """The configured tokens that can run here, and why the others cannot."""
    skipped = {t: why for t in tokens if (why := DEGRADATIONS[t].available())}
    for token, why in skipped.items():
        log.warning("degradation '%s' skipped: %s", token, why)
    return [t for t in tokens if t not in skipped], skipped


def plan(conf: MiniDataConf, speech: Path, out: Path) -> tuple[list[DegPlan], dict[str, str]]:
    resolve_ranges(conf.degrade.tokens, conf.degrade.ranges)  # unknown names fail even if skipped here
    tokens, skipped = usable_tokens(conf.degrade.tokens)
    ranges = resolve_ranges(tokens, {t: r for t, r in conf.degrade.ranges.items() if t in tokens})
    plans = []
    for si, split in enumerate(IN_DOMAIN):
        refs = read_table(speech / split / "wav.scp")
        sampler = ConditionSampler(ranges, conf.degrade.n_tokens_probs)
        spk = read_table(speech / split / "utt2spk")
        for i, ref in enumerate(refs):
            copies = conf.degrade.per_utt
            if conf.degrade.per_utt_real is not None and spk[ref].startswith(REAL_PREFIX):
                copies = conf.degrade.per_utt_real
            for k in range(copies):
                cond = sampler.draw(np.random.default_rng([conf.seed, 1000 + si, i, k]), list(refs), exclude=ref)
                utt = f"{ref}-d{k + 1}"
                plans.append(DegPlan(utt, split, ref, refs[ref], str(out / "wav" / split / f"{utt}.wav"),
                                     cond.cls, cond.to_json()))
            if np.random.default_rng([conf.seed, 3000 + si, i]).random() < conf.degrade.clean_share:
                utt = f"{ref}-c"  # an undegraded copy: the clean class of NISQA's simulated subsets
                plans.append(DegPlan(utt, split, ref, refs[ref], str(out / "wav" / split / f"{utt}.wav"), "clean",
                                     Condition([], {}).to_json()))
    for oi, split in enumerate(OOD):
        refs = read_table(speech / split / "wav.scp")
        rng = np.random.default_rng([conf.seed, 2000 + oi])
        singles = [conf.ood.singles[i] for i in rng.permutation(len(conf.ood.singles))]
        doubles = [conf.ood.doubles[i] for i in rng.permutation(len(conf.ood.doubles))]
        for i, ref in enumerate(refs):
            for suffix, cls in (("s", singles[i % len(singles)]), ("d", doubles[i % len(doubles)])):
                seed = int(rng.integers(2**31 - 1))
                utt = f"{ref}-{suffix}"
                plans.append(DegPlan(utt, split, ref, refs[ref], str(out / "wav" / split / f"{utt}.wav"), cls,
                                     {"seed": seed}))
    return plans, skipped


@functools.lru_cache(maxsize=256)
def _load(path: str) -> np.ndarray:
    return load_audio(path)


def _render(p: DegPlan, sources: dict[str, str], noise_files: tuple[str, ...]) -> dict[str, Any]:
    """Degrade, label and write one utterance; returns its record (``mos`` None: PESQ failed, dropped)."""
    record_path = Path(p.path).with_suffix(".json")
    if record_path.is_file():
        return json.loads(record_path.read_text())
    ref = _load(p.ref_path)
    if p.split in OOD:
        y, params = impair(p.cls, ref, p.params["seed"], noise_files)
    else:
        ctx = Context(sources=lambda utt: _load(sources[utt]))
        params = p.params
        y = render(ref, Condition.from_json(params), ctx)
    mos = pesq_wb(ref, y)
    record = {"utt": p.utt, "split": p.split, "ref_utt": p.ref_utt, "cls": p.cls, "mos": mos, "params": params,
              "num_samples": int(y.size)}
    if mos is not None:
        write_wav(p.path, y, TARGET_SR, subtype="PCM_16" if np.abs(y).max() <= 1.0 else "FLOAT")
    write_text_atomic(record_path, json.dumps(record) + "\n")
    return record


def check_targets(targets: list[Path], stamp: str, overwrite: bool) -> None:
    """Refuse to replace data dirs this run did not make (another corpus, or made by hand)."""
    for target in targets:
        if target.exists() and not overwrite:
            try:
                made_by = (target / STAMP).read_text().strip()
            except OSError:
                made_by = None
            if made_by != stamp:
                raise SqeError(f"{target} already holds a different corpus; remove it or pass --overwrite")


def build_corpus(conf: MiniDataConf, speech: Path, out: Path, data_root: Path, stamp: str) -> dict[str, DataDir]:
    out = out.resolve()  # wav.scp holds absolute paths: the dirs work from any directory
    plans, skipped = plan(conf, speech, out)
    clean = {s: DataDir.load(speech / s) for s in IN_DOMAIN + OOD + CLEAN_ONLY}
    sources = {u: p for s in IN_DOMAIN for u, p in clean[s]["wav.scp"].items()}
    noise_files = tuple(sorted(read_table(speech / "noise.scp").values()))
    work = functools.partial(_render, sources=sources, noise_files=noise_files)
    records = parallel_map(work, plans, conf.num_workers, desc="degrade+PESQ", unit="utt")

    train_classes = sorted({r["cls"] for r in records if r["split"] == "train" and r["mos"] is not None})
    cls2id = {"clean": 0, **{c: i + 1 for i, c in enumerate(c for c in train_classes if c != "clean")}}
    ood_classes = sorted(set(conf.ood.singles) | set(conf.ood.doubles))  # one map: prototypes carry over
    ood_cls2id = {"clean": 0, **{c: i + 1 for i, c in enumerate(ood_classes)}}
    dirs, report = {}, {}
    for split in IN_DOMAIN + OOD:
        rows = [r for r in records if r["split"] == split]
        kept = [r for r in rows if r["mos"] is not None]
        if len(kept) < len(rows):
            log.warning("%s: %d of %d pairs dropped: PESQ could not score them", split, len(rows) - len(kept), len(rows))
        if not kept:
            raise SqeError(f"{split}: no degraded utterance could be labelled")
        src = clean[split]
        dd = DataDir({
            "wav.scp": {r["utt"]: str(out / "wav" / split / f"{r['utt']}.wav") for r in kept},
            "ref.scp": {r["utt"]: src["wav.scp"][r["ref_utt"]] for r in kept},
            "utt2mos": {r["utt"]: round(float(r["mos"]), 4) for r in kept},
            "utt2cls": {r["utt"]: r["cls"] for r in kept},
            "utt2params": {r["utt"]: r["params"] for r in kept},
            "utt2num_samples": {r["utt"]: r["num_samples"] for r in kept},
            "utt2spk": {r["utt"]: src["utt2spk"][r["ref_utt"]] for r in kept},
            "text": {r["utt"]: src["text"][r["ref_utt"]] for r in kept},
        })
        dd.tables["cls2id"] = ood_cls2id if split in OOD else cls2id
        inv = inventory(dd, {} if split in OOD else skipped, dropped=len(rows) - len(kept))
        report[split] = inv
        dd.save_replacing(data_root / f"mini_{split}",
                          {"cls_inventory.json": json.dumps(inv, indent=2) + "\n", STAMP: stamp + "\n"})
        dirs[split] = dd
    for split in CLEAN_ONLY:
        clean[split].save_replacing(data_root / f"mini_{split}", {STAMP: stamp + "\n"})
        dirs[split] = clean[split]

    for split, inv in report.items():
        log_inventory(f"mini_{split}", inv)
    write_text_atomic(out / "inventory.json", json.dumps(report, indent=2) + "\n")
    write_text_atomic(out / "mos_by_class.tsv", mos_table(report))
    for split in list(report) + list(CLEAN_ONLY):
        target = data_root / f"mini_{split}"
        result = validate_data_dir(target, ValidateOptions(progress=False))
        if not result.ok:
            raise SqeError(f"{target} fails validation: " + "; ".join(str(p) for p in result.problems[:5]))
    log.info("validated %s", ", ".join(f"mini_{s}" for s in list(report) + list(CLEAN_ONLY)))
    return dirs


__all__ = ["DegPlan", "plan", "build_corpus", "check_targets"]
