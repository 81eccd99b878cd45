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


def test_flite_pseudo_speakers_change_pitch_and_rate():
    assert tts.flite_pseudo_speaker("slt", 0, 5) == (1.0, None)  # the voice itself
    speed, f0 = tts.flite_pseudo_speaker("slt", 2, 5)
    assert tts.flite_pseudo_speaker("slt", 2, 5) == (speed, f0)
    assert (0.87 <= speed <= 1.15) and (0.8 * 170 <= f0 <= 1.25 * 170)
    text = "The quick brown fox jumps over the lazy dog near the river bank."
    base = tts.synthesize("slt", text)
    low = tts.synthesize("slt", text, speed=0.9, f0=120.0)
    high = tts.synthesize("slt", text, speed=1.1, f0=220.0)
    np.testing.assert_array_equal(low, tts.synthesize("slt", text, speed=0.9, f0=120.0))
    assert low.size > base.size > high.size  # slower speech is longer
    assert _median_f0(low) < _median_f0(base) < _median_f0(high)


def _median_f0(x: np.ndarray) -> float:
    """Median autocorrelation pitch of the voiced 64 ms blocks (60-400 Hz)."""
    f0 = []
    for i in range(0, x.size - 1024, 512):
        s = x[i:i + 1024]
        if s.std() < 0.02:
            continue
        ac = np.correlate(s, s, "full")[1023:]
        lo, hi = tts.SR // 400, tts.SR // 60
        f0.append(tts.SR / (lo + int(np.argmax(ac[lo:hi]))))
    return float(np.median(f0))
