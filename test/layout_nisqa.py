"""A small NISQA_Corpus in the real layout, made from real read speech (test/layout_speech.py) and the project's
degradation simulator (sqe.simulate).

What is written, as in the download: ``<SUBSET>/deg/c<con>_<ref>.wav`` and ``<SUBSET>/ref/<ref>.wav`` (48 kHz
32-bit float WAV), ``<SUBSET>/<SUBSET>_file.csv`` with the real columns, and ``NISQA_corpus_file.csv`` (every
subset's rows). Not written: the ``_con.csv`` files (their columns are not known), VAL_LIVE, TEST_LIVETALK.

- Each degraded file is its reference passed through the simulator at 16 kHz, then both are resampled to 48 kHz
  by the same linear filter: sample-aligned and of equal length. The CSV's condition columns (SIM subsets) or
  ``con_description`` (TEST subsets) describe exactly the steps applied, so the class sqe.corpora.nisqa_classes
  derives from a row is the degradation in its file.
- ``mos``: PESQ-WB of the degraded file against its reference (test/layout_speech.py ``mos_label``).
- Codecs run only where their encoder is installed (sox for AMR-NB and G.711, libsndfile for Opus); conditions
  with a missing one are left out of the cycle, so the corpus differs between such machines (never within one).
"""
from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from corpus_factories import HEADER
from layout_speech import LEVEL_DBFS, mos_label, speech, take

from sqe.audio.resample import resample
from sqe.corpora.nisqa_classes import TOKENS
from sqe.simulate import DEGRADATIONS, Context
from sqe.simulate.conditions import class_name
from sqe.speech.real import Excerpt

SR = 48000
LEVEL = "level"  # a gain (NISQA's asl_out); not a simulator token
CODECS = ("amrnb", "g711", "opus")  # the simulator's codecs that NISQA also has
CATEGORICAL = ("filter", "timeclipping", "wbgn", "p50mnru", "bgn", "clipping", "arb_filter", "asl_in", "asl_out",
               "codec1", "codec2", "codec3", "plcMode1", "plcMode2", "plcMode3")  # '-' when off; numbers: empty
Step = tuple[str, dict[str, Any]]  # (simulator token or LEVEL, its parameters)

# SIM conditions: distortions (applied in a seeded random order), then codecs in the order listed, each
# 'plc_random'/'plc_bursty' being frame loss of the codec before it, then the level. () is clean (twice, so
# about one row in ten is clean).
SIM_CONDITIONS: list[tuple[str, ...]] = [
    (), (), ("lpf",), ("hpf",), ("bp",), ("arbfilt",), ("wbgn",), ("bgn",), ("mnru",), ("clip",), ("tclip",),
    (LEVEL,), ("lpf", "wbgn"), ("bgn", "clip"), ("bp", "mnru"), ("tclip", "wbgn"), ("hpf", LEVEL),
    ("opus",), ("opus", "plc_random"), ("amrnb", "plc_bursty"), ("g711",), ("bgn", "g711", "amrnb"),
]
# TEST conditions: con_description (the grammar of sqe.corpora.nisqa_classes) and the steps it stands for; the
# random streams get a seed per row.
TEST_CONDITIONS: list[tuple[str, list[Step]]] = [
    ("Fullband clean", []),
    ("Anchor P50MNRU 25dB", [("mnru", {"q_db": 25.0})]),
    ("Anchor White Noise 12dB", [("wbgn", {"snr_db": 12.0})]),
    ("Anchor BP 500-2500Hz", [("bp", {"low_hz": 500.0, "high_hz": 2500.0})]),
    ("Anchor Time Clipping 20%", [("tclip", {"fer": 0.2, "nburst": 3})]),
    ("Anchor Level -20dB", [(LEVEL, {"gain_db": -20.0})]),
    ("Anchor BP 100-5000Hz + Level -10dB", [("bp", {"low_hz": 100.0, "high_hz": 5000.0}),
                                            (LEVEL, {"gain_db": -10.0})]),
    ("BGN 10dB", [("bgn", {"type": "pink", "snr_db": 10.0})]),
    ("Amp clipping 0.05", [("clip", {"threshold": 0.05})]),
    ("Opus@8k", [("opus", {"level": 1.0})]),
    ("Opus@15k PL 6% random", [("opus", {"level": 0.97}), ("plc", {"fer": 0.06, "nburst": 1, "decay": 0.7})]),
    ("G.711", [("g711", {"law": "a"})]),
    ("AMR-NB@m4xG.711xAMR-NB@m4 + BGN 10dB", [("bgn", {"type": "brown", "snr_db": 10.0}), ("amrnb", {"mode": 4}),
                                             ("g711", {"law": "a"}), ("amrnb", {"mode": 4})]),
]
SIM_SUBSETS = ("NISQA_TRAIN_SIM", "NISQA_VAL_SIM")
TEST_SUBSETS = ("NISQA_TEST_FOR", "NISQA_TEST_P501")
LIVE_SUBSET = "NISQA_TRAIN_LIVE"
GROUP = {"NISQA_TRAIN_SIM": "nisqa_train", "NISQA_VAL_SIM": "nisqa_val", "NISQA_TEST_FOR": "nisqa_test_for",
         "NISQA_TEST_P501": "nisqa_test_p501", LIVE_SUBSET: "nisqa_train_live"}
VOTES = {"sim": 5, "test": 30, "live": 5}


@dataclass
class NisqaRow:
    """One file of the corpus: its reference excerpt, the steps applied and how the CSV describes them."""

    subset: str
    con: int
    file: int
    excerpt: Excerpt
    steps: list[Step]
    description: str = "-"  # con_description (TEST subsets)
    cells: dict[str, str] = field(default_factory=dict)  # condition columns (SIM subsets)

    @property
    def kind(self) -> str:
        return "sim" if self.subset in SIM_SUBSETS else "test" if self.subset in TEST_SUBSETS else "live"

    @property
    def ref_name(self) -> str:
        return f"ls_{self.excerpt.utt}.wav"

    @property
    def deg_name(self) -> str:
        return f"c{self.con:05d}_{self.ref_name}"

    @property
    def applied_class(self) -> str:
        """The class of the steps applied, in the project's NISQA tokens (the simulator's names are the same;
        a frame loss is 'pl' with the concealment mode of its burst length)."""
        tokens: list[str] = []
        for name, p in self.steps:
            tokens += ["pl", "plc_random" if p["nburst"] == 1 else "plc_bursty"] if name == "plc" else [name]
        unknown = set(tokens) - set(TOKENS)
        if unknown:
            raise ValueError(f"steps {unknown} have no NISQA token")
        return class_name(tokens)


def runnable(names: tuple[str, ...] | list[Step]) -> bool:
    """Whether every simulator token of a condition can run on this machine (codecs need their encoder)."""
    tokens = [n if isinstance(n, str) else n[0] for n in names]
    tokens = ["plc" if t.startswith("plc_") else t for t in tokens]
    return all(t == LEVEL or DEGRADATIONS[t].available() is None for t in tokens)


def draw_steps(names: tuple[str, ...], rng: np.random.Generator) -> list[Step]:
    """Parameters from the simulator's ranges, in NISQA's order: distortions, codecs with their loss, level."""
    distortions = [n for n in names if n not in CODECS and not n.startswith("plc_") and n != LEVEL]
    steps: list[Step] = []
    for i in rng.permutation(len(distortions)):
        params = DEGRADATIONS[distortions[i]].draw(rng)
        if distortions[i] == "bgn" and params["type"] == "babble":  # babble needs other talkers: coloured noise
            params["type"] = ("pink", "brown")[int(rng.integers(2))]
        steps.append((distortions[i], params))
    for n in names:
        if n in CODECS:
            steps.append((n, DEGRADATIONS[n].draw(rng)))
        elif n.startswith("plc_"):
            params = DEGRADATIONS["plc"].draw(rng)
            params["nburst"] = 1 if n == "plc_random" else int(rng.integers(2, 5))
            steps.append(("plc", params))
    if LEVEL in names:
        steps.append((LEVEL, {"gain_db": float(rng.uniform(-25.0, -10.0))}))
    return steps


def with_seeds(steps: list[Step], rng: np.random.Generator) -> list[Step]:
    """Fixed steps with a seed drawn for every random stream."""
    out = []
    for name, params in steps:
        p = dict(params)
        if name != LEVEL and "seed" in DEGRADATIONS[name].params:
            p["seed"] = int(rng.integers(2**31 - 1))
        out.append((name, p))
    return out


def _num(value: float) -> str:
    return f"{value:.6g}"


def sim_cells(steps: list[Step]) -> dict[str, str]:
    """The SIM condition columns that describe ``steps`` (cutoffs of HP/LP filters go to bp_low/bp_high)."""
    cells = {"asl_in": "x", "asl_in_level": _num(LEVEL_DBFS)}  # every reference is at -26 dBFS: no token
    codec = 0
    for name, p in steps:
        if name == "lpf":
            cells.update(filter="lowpass", bp_high=_num(p["cutoff_hz"]))
        elif name == "hpf":
            cells.update(filter="highpass", bp_low=_num(p["cutoff_hz"]))
        elif name == "bp":
            cells.update(filter="bandpass", bp_low=_num(p["low_hz"]), bp_high=_num(p["high_hz"]))
        elif name == "arbfilt":
            cells.update(arb_filter="x")
        elif name == "wbgn":
            cells.update(wbgn="x", wbgn_snr=_num(p["snr_db"]))
        elif name == "bgn":
            cells.update(bgn="random_bgn", bgn_snr=_num(p["snr_db"]))
        elif name == "mnru":
            cells.update(p50mnru="x", p50_q=_num(p["q_db"]))
        elif name == "clip":
            cells.update(clipping="x", cl_th=_num(p["threshold"]))
        elif name == "tclip":
            cells.update(timeclipping="x", tc_fer=_num(100 * p["fer"]), tc_nburst=str(p["nburst"]))
        elif name in CODECS:
            codec += 1
            mode = {"amrnb": str(p.get("mode", "")), "opus": str(opus_kbps(p.get("level", 1.0))), "g711": ""}[name]
            cells.update({f"codec{codec}": name, f"bMode{codec}": mode, f"plcMode{codec}": "noloss"})
        elif name == "plc":
            if not codec:
                raise ValueError("a frame loss needs a codec before it")
            cells.update({f"plcMode{codec}": "random" if p["nburst"] == 1 else "bursty", f"FER{codec}": _num(p["fer"])})
        elif name == LEVEL:
            cells.update(asl_out="x", asl_out_level=_num(p["gain_db"]))
        else:
            raise ValueError(f"no NISQA column for step {name}")
    return cells


def opus_kbps(level: float) -> int:
    """The nominal bit rate of the simulator's Opus compression level (0.97: ~15 kbit/s, 1.0: ~8 kbit/s)."""
    return int(round(8 + (1.0 - level) / 0.03 * 7))


def _cycle(conditions: list, n: int, rng: np.random.Generator | None) -> list[tuple[int, Any]]:
    """(condition number, condition) for ``n`` rows: the first condition (clean) first, then the others in a
    seeded order (``rng``) or, without one, in the listed order."""
    rest = rng.permutation(len(conditions) - 1) if rng is not None else range(len(conditions) - 1)
    order = [0] + [1 + int(i) for i in rest]
    return [(order[i % len(order)] + 1, conditions[order[i % len(order)]]) for i in range(n)]


def plan_nisqa(n_train: int, n_val: int, n_test: int, n_live: int, seed: int) -> list[NisqaRow]:
    """Every row of the corpus with the steps applied to it; deterministic for a seed (and the machine's codecs)."""
    rows: list[NisqaRow] = []
    sim = [c for c in SIM_CONDITIONS if runnable(c)]
    test = [c for c in TEST_CONDITIONS if runnable(c[1])]
    for subset, n in zip(SIM_SUBSETS, (n_train, n_val)):
        rng = np.random.default_rng([seed, zlib.crc32(subset.encode())])
        refs = take(GROUP[subset], n, seed, reuse=True)
        for i, ((_, names), ex) in enumerate(zip(_cycle(sim, n, rng), refs), start=1):
            steps = draw_steps(names, rng)
            rows.append(NisqaRow(subset, i, i, ex, steps, cells=sim_cells(steps)))
    # TEST conditions as designed tables are: FOR in the listed order, P501 clean and then from the end, so
    # that together they cover the list with few rows, and FOR always has the anchors (white noise at 12 dB).
    for subset, listed in zip(TEST_SUBSETS, (test, test[:1] + test[:0:-1])):
        rng = np.random.default_rng([seed, zlib.crc32(subset.encode())])
        refs = take(GROUP[subset], n_test, seed, reuse=True)
        for i, ((_, (description, steps)), ex) in enumerate(zip(_cycle(listed, n_test, None), refs), start=1):
            con = test.index((description, steps)) + 1
            rows.append(NisqaRow(subset, con, i, ex, with_seeds(steps, rng), description=description))
    rng = np.random.default_rng([seed, zlib.crc32(LIVE_SUBSET.encode())])
    live = [c for c in (("bgn", "opus"), ("bgn", "lpf")) if runnable(c)][0]  # a call over a noisy line
    for i, ex in enumerate(take(GROUP[LIVE_SUBSET], n_live, seed, reuse=True), start=1):
        rows.append(NisqaRow(LIVE_SUBSET, i, i, ex, draw_steps(live, rng)))
    names = [(r.subset, r.deg_name) for r in rows]
    if len(set(names)) != len(names):
        raise ValueError("two rows of a subset would share a degraded file name")
    return rows


def apply_steps(x: np.ndarray, steps: list[Step]) -> np.ndarray:
    """The steps in order at 16 kHz; every one keeps the length (the simulator's codecs compensate their delay)."""
    y = np.asarray(x, dtype=np.float32)
    for name, p in steps:
        y = (y * 10.0 ** (p["gain_db"] / 20.0)).astype(np.float32) if name == LEVEL \
            else DEGRADATIONS[name].apply(y, p, Context())
        if y.shape != x.shape or not np.isfinite(y).all():
            raise ValueError(f"step {name} changed the length or made NaN/Inf")
    return y


def _csv_row(row: NisqaRow, mos: float) -> dict[str, str]:
    out = {h: "-" if h in CATEGORICAL else "" for h in HEADER}
    deg = f"{row.subset}/deg/{row.deg_name}"
    ref = "" if row.kind == "live" else f"{row.subset}/ref/{row.ref_name}"
    out.update(db=row.subset, con=str(row.con), file=str(row.file), con_description=row.description,
               filename_deg=row.deg_name, filename_ref=Path(ref).name, source="LibriSpeech", lang="en",
               votes=str(VOTES[row.kind]), mos=f"{mos:.4f}", filepath_deg=deg, filepath_ref=ref)
    out.update(row.cells)
    return out


def _write48(path: Path, x16: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), resample(x16, 16000, SR), SR, subtype="FLOAT")


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_nisqa_corpus(root: Path, n_train: int = 40, n_val: int = 12, n_test: int = 8, n_live: int = 2,
                       seed: int = 0) -> Path:
    """NISQA_Corpus at ``root``: TRAIN_SIM (``n_train`` files, one condition each), VAL_SIM, TEST_FOR and
    TEST_P501 (``n_test`` each; clean first), TRAIN_LIVE (``n_live``, no references)."""
    root = Path(root)
    by_subset: dict[str, list[dict[str, str]]] = {}
    refs_written: set[Path] = set()  # a reference serves every row of its excerpt
    for row in plan_nisqa(n_train, n_val, n_test, n_live, seed):
        ref = speech(row.excerpt)
        deg = apply_steps(ref, row.steps)
        _write48(root / row.subset / "deg" / row.deg_name, deg)
        ref_path = root / row.subset / "ref" / row.ref_name
        if row.kind != "live" and ref_path not in refs_written:
            _write48(ref_path, ref)
            refs_written.add(ref_path)
        by_subset.setdefault(row.subset, []).append(_csv_row(row, mos_label(ref, deg)))
    for subset, rows in by_subset.items():
        write_csv(root / subset / f"{subset}_file.csv", rows)
    write_csv(root / "NISQA_corpus_file.csv", [r for rows in by_subset.values() for r in rows])
    return root
