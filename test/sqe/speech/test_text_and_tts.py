import numpy as np
import pytest

from sqe.speech import text, tts
from sqe.utils.errors import SqeError


def test_bundled_sentence_list():
    sentences = text.load_sentences()
    assert len(sentences) >= 600 and len(set(sentences)) == len(sentences)


def test_partition_is_disjoint_proportional_and_seeded():
    sentences = [f"s{i}" for i in range(100)]
    pools = text.partition(sentences, {"a": 0.6, "b": 0.3, "c": 0.1}, seed=3)
    assert [len(p) for p in pools.values()] == [60, 30, 10]
    assert len(set().union(*map(set, pools.values()))) == 100
    assert text.partition(sentences, {"a": 0.6, "b": 0.3, "c": 0.1}, seed=3) == pools


def test_empty_sentence_list_is_an_error(tmp_path):
    (tmp_path / "s.txt").write_text("\n  \n")
    with pytest.raises(SqeError, match="is empty"):
        text.load_sentences(tmp_path / "s.txt")
    with pytest.raises(SqeError, match="cannot read"):
        text.load_sentences(tmp_path / "missing.txt")


def test_unknown_or_missing_voice_is_reported():
    with pytest.raises(SqeError, match="'espeak': unknown voice"):
        tts.check_voices(["hibari", "espeak"])
    assert tts.unavailable("hibari") is None


def test_hibari_is_deterministic_16k():
    a = tts.synthesize("hibari", "A short test sentence for the voice.", *tts.pseudo_speaker(1, 5))
    b = tts.synthesize("hibari", "A short test sentence for the voice.", *tts.pseudo_speaker(1, 5))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and 1.0 < a.size / tts.SR < 5.0
    assert tts.pseudo_speaker(1, 5) != tts.pseudo_speaker(2, 5)
