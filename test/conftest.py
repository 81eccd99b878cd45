"""Shared test factories: synthetic audio and data dirs written into tmp_path (no binary fixtures)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]

# A training config small enough to train in seconds on make_data_dir's corpora (trainer tests).
TINY_TRAIN_CONF = {
    "model": {"encoder": "logmel_cnn", "encoder_conf": {"channels": 16, "layers": 2}, "hidden": [8, 8], "d_z": 4},
    "optim": {"lr": 1e-3, "min_lr": 1e-4, "epochs": 3},
    "batch": {"max_utts": 3, "max_audio_s": 10.0},
    "checkpoint_every_steps": 1,
    "num_threads": 1,
}
# Tests never download anything; the variables must be set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def sine(freq: float = 440.0, seconds: float = 1.0, sr: int = 16000, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds: float = 1.0, sr: int = 16000, amp: float = 0.1, seed: int = 0) -> np.ndarray:
    return (amp * np.random.default_rng(seed).standard_normal(int(round(seconds * sr)))).astype(np.float32)


def write_audio(path: Path, x: np.ndarray, sr: int = 16000, subtype: str = "PCM_16") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x, sr, subtype=subtype)
    return path


def make_data_dir(root: Path, n: int = 4, *, sr: int = 16000, seconds: float = 1.0, with_ref: bool = True,
                  name: str = "data") -> Path:
    """A valid parallel data dir with ``n`` utterances ``utt1..uttN`` (deg = ref + noise)."""
    d = root / name
    d.mkdir(parents=True)
    wav, ref, mos, cls, nsamp = [], [], [], [], []
    for i in range(1, n + 1):
        utt = f"utt{i}"
        clean = sine(200.0 * i, seconds, sr)
        write_audio(root / "wav" / f"{utt}_ref.wav", clean, sr)
        write_audio(root / "wav" / f"{utt}.wav", clean + noise(seconds, sr, seed=i), sr)
        wav.append(f"{utt} {root / 'wav' / f'{utt}.wav'}\n")
        ref.append(f"{utt} {root / 'wav' / f'{utt}_ref.wav'}\n")
        mos.append(f"{utt} {1.0 + 0.5 * i}\n")
        cls.append(f"{utt} {'clean' if i == 1 else 'wbgn'}\n")
        nsamp.append(f"{utt} {int(round(seconds * 16000))}\n")
    def put(name: str, lines: list[str]) -> None:  # C-locale order (utt10 before utt2)
        (d / name).write_text("".join(sorted(lines, key=lambda line: line.split()[0].encode())))

    put("wav.scp", wav)
    if with_ref:
        put("ref.scp", ref)
    put("utt2mos", mos)
    put("utt2cls", cls)
    put("utt2num_samples", nsamp)
    return d


def recipe_tree(root: Path, name: str) -> Path:
    """A tree shaped like the repository under ``root`` whose egs/<name> (links to the recipe's files) writes its
    data/, dump/ and exp/ there, so recipe tests (and bench/mini_recipe.py) never touch the checkout. Reusable:
    a second call keeps what is there."""
    root.mkdir(parents=True, exist_ok=True)
    for item in ("tools", "utils", "setup.py", "sqe"):
        if not (root / item).exists():
            (root / item).symlink_to(REPO / item)
    d = root / "egs" / name
    d.mkdir(parents=True, exist_ok=True)
    for item in os.listdir(REPO / "egs" / name):
        if item not in ("data", "exp", "dump") and not (d / item).exists():
            (d / item).symlink_to(REPO / "egs" / name / item)
    return d


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path)


def teacher_arks(d: Path, out: Path, q_ref: float = 4.5, q_deg: float = 2.0, skip: tuple = ()) -> None:
    """Constant teacher scores (qref/qdeg arks) and whole-utterance speech regions (out/vad) for data dir d."""
    from sqe.data import DataDir
    from sqe.data.arks import write_arrays
    from sqe.models.frames import num_frames

    dd = DataDir.load(d)
    n = {u: num_frames(dd["utt2num_samples"][u]) for u in dd.utts}
    write_arrays(out, "qref", {u: np.full(n[u], q_ref, np.float32) for u in dd.utts if u not in skip})
    write_arrays(out, "qdeg", {u: np.full(n[u], q_deg, np.float32) for u in dd.utts if u not in skip})
    (out / "vad").mkdir()
    (out / "vad" / "vad_segments").write_text("".join(f"{u}-000 {u} 0.000 {n[u] * 0.02:.3f}\n" for u in dd.utts))


def need(reason: str | None, require_env: str) -> None:
    """Skip with ``reason`` when something a test needs is missing, unless ``require_env`` is "1" (test/run.sh
    sets it where it could install the missing thing): then the test fails, saying what is missing."""
    if reason and os.environ.get(require_env) == "1":
        pytest.fail(f"{require_env}=1 (test/run.sh as root with apt-get) but {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """A private single-node Slurm cluster (test/slurm_cluster.py), started once for every test that needs it."""
    from slurm_cluster import Cluster, unavailable

    need(unavailable(), "SQE_REQUIRE_SLURM")
    c = Cluster(tmp_path_factory.mktemp("slurm")).start()
    yield c
    c.stop()


@pytest.fixture(scope="session")
def tiny_package(tmp_path_factory) -> Path:
    """A tiny contrastive model trained on generated audio (about 11 s on 2 cores) and packed; read-only."""
    from model_factories import tiny_package as make

    return make(tmp_path_factory.mktemp("tiny_package"))


class StageRun:
    """Exit status and output of ``python -m sqe.bin.<verb>`` run in this process, in ``cwd`` if given (no
    interpreter start-up: many calls stay fast). Its stdout and stderr are captured here, logging included
    (sqe.utils.log writes to whatever sys.stderr is)."""

    def __init__(self, verb: str, args, cwd: Path | None = None):
        import contextlib
        import importlib
        import io

        main = importlib.import_module(f"sqe.bin.{verb}").main
        out, err, before = io.StringIO(), io.StringIO(), os.getcwd()
        try:
            if cwd is not None:
                os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    self.returncode = main([str(a) for a in args])
                except SystemExit as exit_:  # argparse's usage errors
                    self.returncode = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            os.chdir(before)
        self.stdout, self.stderr = out.getvalue(), err.getvalue()


class CodePayload:
    """Unpickling this runs ``os.mkdir(target)``: what a crafted checkpoint could do."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (self.target,))
