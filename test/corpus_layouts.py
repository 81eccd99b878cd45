"""Small corpora laid out exactly like the real downloads that egs/nisqa and egs/libriaugmented read (NISQA,
BVCC, LibriSpeech, LibriTTS, CHiME-3 backgrounds), made from the real read speech vendored in
sqe/speech/librispeech and the project's degradation simulator. Deterministic for a seed; the defaults write
everything in seconds, small enough for a tiny model to train on in CI.

    write_nisqa_corpus(root)        NISQA_Corpus (test/layout_nisqa.py)
    write_bvcc(main)                BVCC's main/DATA (test/layout_bvcc.py)
    write_librispeech(root)         root/LibriSpeech/{dev-clean,test-clean} (test/layout_libri.py)
    write_libritts(root)            root/LibriTTS/dev-clean
    write_chime3_backgrounds(root)  root/CHiME3/data/audio/16kHz/backgrounds
    write_paper_corpora(folder)     all of them, with the db.sh variables that point at them

Speakers are dealt out in disjoint groups (test/layout_speech.py), so no speaker is in two corpora or in two
of NISQA's subsets.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from layout_bvcc import write_bvcc
from layout_libri import write_chime3_backgrounds, write_librispeech, write_libritts
from layout_nisqa import NisqaRow, plan_nisqa, write_nisqa_corpus
from layout_speech import take

__all__ = ["CorpusSizes", "NisqaRow", "plan_nisqa", "write_bvcc", "write_chime3_backgrounds", "write_librispeech",
           "write_libritts", "write_nisqa_corpus", "write_paper_corpora"]


@dataclass(frozen=True)
class CorpusSizes:
    """How much of each corpus to write (the writers' defaults)."""

    nisqa_train: int = 40
    nisqa_val: int = 12
    nisqa_test: int = 8  # per test subset (TEST_FOR, TEST_P501)
    nisqa_live: int = 2
    bvcc: tuple[int, int, int] = (16, 4, 4)  # train, val, test
    librispeech: int = 9  # per subset (dev-clean, test-clean); at most 12
    libritts: int = 6  # dev-clean; at most 12
    chime3_seconds: float = 12.0  # per background recording (one per environment, two channels)


def write_paper_corpora(folder: Path, sizes: CorpusSizes = CorpusSizes(), seed: int = 0) -> dict[str, Path]:
    """Every corpus under ``folder``; returns the db.sh variables (NISQA, BVCC, LIBRISPEECH, LIBRITTS,
    CHIME3) and the directories they must be set to."""
    folder = Path(folder)
    for group, n in (("librispeech_dev", sizes.librispeech), ("librispeech_test", sizes.librispeech),
                     ("libritts_dev", sizes.libritts)):
        take(group, n, seed, reuse=False)  # a size beyond the speakers set aside fails before anything is written
    return {
        "NISQA": write_nisqa_corpus(folder / "NISQA_Corpus", sizes.nisqa_train, sizes.nisqa_val, sizes.nisqa_test,
                                    sizes.nisqa_live, seed),
        "BVCC": write_bvcc(folder / "bvcc" / "main", *sizes.bvcc, seed=seed),
        "LIBRISPEECH": write_librispeech(folder, n_utts=sizes.librispeech, seed=seed),
        "LIBRITTS": write_libritts(folder, n_utts=sizes.libritts, seed=seed),
        "CHIME3": write_chime3_backgrounds(folder, seconds=sizes.chime3_seconds, seed=seed),
    }
