"""BVCC (VoiceMOS 2022 main track) in the real layout: ``main/DATA/wav/<sys>-<utt>.wav`` (16 kHz, 16 bit) and
``main/DATA/sets/{train,val,test}_mos_list.txt`` (``sys64e2f-utt9c183cd.wav,3.625``, no header).

BVCC's systems are speech synthesisers; here a "system" is natural speech or one fixed simulator condition
(every utterance of a system sounds alike, as a synthesiser's do), applied to real read speech. The MOS is
PESQ-WB against the clean excerpt rounded to eighths, as a mean of eight listeners' votes would be. Not
written: the per-listener files (TRAINSET, DEVSET, TESTSET), which prepare_bvcc does not read.
"""
from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import soundfile as sf
from layout_nisqa import apply_steps, runnable, with_seeds
from layout_speech import mos_label, speech, take

from sqe.audio.level import normalize_loudness

# system -> its steps (fixed parameters; the random streams get a seed per utterance)
SYSTEMS: dict[str, list] = {
    "natural": [],
    "lowpass": [("lpf", {"cutoff_hz": 3000.0})],
    "noisy": [("mnru", {"q_db": 18.0})],
    "glitchy": [("tclip", {"fer": 0.08, "nburst": 2})],
    "buzzy": [("clip", {"threshold": 0.03})],
    "lowrate": [("opus", {"level": 1.0})],
}
SPLITS = ("train", "val", "test")


def system_id(name: str) -> str:
    return f"sys{zlib.crc32(name.encode()) & 0xFFFFF:05x}"


def write_bvcc(main: Path, n_train: int = 16, n_val: int = 4, n_test: int = 4, seed: int = 0) -> Path:
    """BVCC's ``main`` directory with ``n_<split>`` utterances per split, the systems in turn; returns ``main``
    (db.sh: BVCC)."""
    main = Path(main)
    wav, sets = main / "DATA" / "wav", main / "DATA" / "sets"
    wav.mkdir(parents=True, exist_ok=True)
    sets.mkdir(parents=True, exist_ok=True)
    systems = [s for s, steps in SYSTEMS.items() if runnable(steps)]
    sizes = dict(zip(SPLITS, (n_train, n_val, n_test)))
    refs = iter(take("bvcc", sum(sizes.values()), seed, reuse=True))
    for split in SPLITS:
        lines = []
        for i in range(sizes[split]):
            ex, system = next(refs), systems[i % len(systems)]
            key = f"{seed}:{split}:{i}:{ex.utt}:{system}"
            utt = f"utt{zlib.crc32(key.encode()):08x}"[:10]
            steps = with_seeds(SYSTEMS[system], np.random.default_rng(zlib.crc32(key.encode())))
            ref = speech(ex)
            deg = normalize_loudness(apply_steps(ref, steps), -26.0)  # a synthesiser's output level is its own
            name = f"{system_id(system)}-{utt}.wav"
            sf.write(str(wav / name), np.clip(deg, -1.0, 1.0), 16000, subtype="PCM_16")
            mos = min(5.0, max(1.0, round(8 * mos_label(ref, deg)) / 8))
            lines.append(f"{name},{mos:.3f}\n")
        (sets / f"{split}_mos_list.txt").write_text("".join(lines))
    return main
