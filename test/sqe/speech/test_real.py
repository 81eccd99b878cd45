"""The vendored real speech (sqe/speech/librispeech): complete, unaltered, licensed, and split by speaker."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import soundfile as sf

from sqe.corpora.mini_conf import MiniDataConf
from sqe.corpora.mini_speech import real_speakers
from sqe.speech import real
from sqe.utils.errors import SqeError

MAX_VENDORED_BYTES = 25_000_000


def test_every_vendored_file_is_listed_present_and_unaltered():
    excerpts = real.load_excerpts()  # verifies the SHA-256 of every file
    listed = {e.path.resolve() for e in excerpts}
    on_disk = {p.resolve() for p in real.VENDORED.rglob("*.flac")}
    assert listed == on_disk
    assert {e.subset for e in excerpts} == {"train-clean-100", "test-other"}
    assert len(real.speakers([e for e in excerpts if e.subset == "train-clean-100"])) == 125
    assert len(real.speakers([e for e in excerpts if e.subset == "test-other"])) == 10
    assert sum(p.stat().st_size for p in on_disk) <= MAX_VENDORED_BYTES


def test_licence_and_attribution_sit_beside_the_audio():
    text = (real.VENDORED / "LICENSE.md").read_text()
    assert "CC BY 4.0" in text and "creativecommons.org/licenses/by/4.0" in text
    assert "LibriSpeech" in (real.VENDORED / "README.md").read_text()
    assert "Panayotov" in text


def test_excerpts_are_16k_mono_and_match_their_listed_span():
    for e in real.load_excerpts()[::20]:
        info = sf.info(str(e.path))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        assert info.frames == pytest.approx(e.duration_s * 16000, abs=1)
        assert e.utt.startswith(e.speaker + "-") and e.source == e.utt


def test_default_splits_have_disjoint_real_speakers():
    conf = MiniDataConf()
    by_split = real_speakers(conf, real.read_manifest())
    assert set(by_split) == {"train", "val", "test_real", "val_ood", "test_ood", "enroll_ood"}
    for name, spks in by_split.items():
        assert len(spks) == getattr(conf.speech.splits, name).real_speakers
    names = list(by_split)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not set(by_split[a]) & set(by_split[b]), (a, b)
    assert by_split == real_speakers(conf, real.read_manifest())  # seeded: the same every time


def test_asking_for_more_speakers_than_there_are_fails_clearly():
    conf = MiniDataConf()
    conf.speech.splits.test_real.real_speakers = 100
    with pytest.raises(SqeError, match="ask for 190 speakers of 'train-clean-100'.* has 125"):
        real_speakers(conf, real.read_manifest())


@pytest.fixture
def copy(tmp_path):
    excerpts = real.read_manifest()[:3]
    out = tmp_path / "real"
    for e in excerpts:
        (out / e.subset).mkdir(parents=True, exist_ok=True)
        shutil.copy(e.path, out / e.subset / e.path.name)
    lines = (real.VENDORED / real.MANIFEST).read_text().splitlines()[:4]
    (out / real.MANIFEST).write_text("\n".join(lines) + "\n")
    return out, excerpts


def test_a_missing_file_is_named(copy):
    out, excerpts = copy
    (out / excerpts[1].subset / excerpts[1].path.name).unlink()
    with pytest.raises(SqeError, match=f"{excerpts[1].utt}.flac: vendored file missing"):
        real.load_excerpts(out)


def test_an_altered_file_is_named(copy):
    out, excerpts = copy
    path = out / excerpts[2].subset / excerpts[2].path.name
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(SqeError, match=f"{excerpts[2].utt}.flac: checksum differs"):
        real.load_excerpts(out)


def test_a_malformed_list_names_file_and_line(copy):
    out, _ = copy
    manifest = out / real.MANIFEST
    manifest.write_text(manifest.read_text() + "x\ty\n")
    with pytest.raises(SqeError, match=r"excerpts.tsv:5: 2 columns"):
        real.read_manifest(out)


def test_excerpt_bounds_cut_in_the_quietest_pause():
    sr = 1000
    x = np.ones(12 * sr, dtype=np.float32)
    x[5000:5100] = 0.1
    x[7000:7100] = 0.0  # the quieter pause wins
    assert real.excerpt_bounds(x, sr, 5.0, 8.0) == (0, 7050)
    y = real.fade_out(np.ones(1000, np.float32), sr)
    assert y[-1] == 0.0 and y[-21] == 1.0 and 0 < y[-10] < 1
