"""Reading every wav.scp form, checks on bad audio, resampling accuracy and atomic writing."""
from __future__ import annotations

import kaldiio
import numpy as np
import pytest
import soundfile as sf
from conftest import sine, write_audio

from sqe.audio import AudioError, audio_info, load_audio, read_entry, resample, resampled_length, write_wav
from sqe.audio.io import entry_kind


def test_three_wav_scp_forms_give_the_same_samples(tmp_path):
    x = sine(300, 0.5)
    path = write_audio(tmp_path / "a.wav", x)
    expected = load_audio(str(path))
    np.testing.assert_allclose(expected, x, atol=1 / 32768)

    pipe = f"cat {path} |"
    assert entry_kind(pipe) == "pipe"
    np.testing.assert_array_equal(load_audio(pipe, "k"), expected)

    ints, _ = sf.read(str(path), dtype="int16")
    kaldiio.save_ark(str(tmp_path / "a.ark"), {"k": (16000, ints)}, scp=str(tmp_path / "a.scp"))
    ark_entry = (tmp_path / "a.scp").read_text().split(maxsplit=1)[1].strip()
    assert entry_kind(ark_entry) == "ark"
    np.testing.assert_array_equal(load_audio(ark_entry, "k"), expected)


def test_float_wav_at_48k_like_nisqa(tmp_path):
    x = sine(1000, 1.0, sr=48000, amp=0.9)
    path = write_audio(tmp_path / "f.wav", x, sr=48000, subtype="FLOAT")
    info = audio_info(str(path))
    assert (info.sample_rate, info.num_frames, info.channels) == (48000, 48000, 1)
    y = load_audio(str(path))
    assert y.dtype == np.float32 and y.shape == (16000,)


def test_resampling_error_below_1e_3_on_a_known_sine(tmp_path):
    for sr_in in (48000, 44100, 24000, 8000):
        x = sine(1000, 2.0, sr=sr_in)
        y = resample(x, sr_in, 16000)
        ideal = sine(1000, 2.0, sr=16000)
        assert y.shape == ideal.shape == (resampled_length(x.size, sr_in, 16000),)
        mid = slice(800, -800)  # skip the filter's start-up at the edges
        assert np.max(np.abs(y[mid] - ideal[mid])) < 1e-3, sr_in


def test_resample_scipy_fallback_matches_length(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_soxr(name, *args, **kwargs):
        if name == "soxr":
            raise ImportError("no soxr")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_soxr)
    x = sine(1000, 1.0, sr=44100)
    y = resample(x, 44100, 16000)
    assert y.shape == (16000,)
    assert np.max(np.abs(y[800:-800] - sine(1000, 1.0)[800:-800])) < 1e-2


def test_multichannel_is_an_error_unless_downmixed(tmp_path):
    stereo = np.stack([sine(300), sine(300) * 0.5], axis=1)
    path = str(write_audio(tmp_path / "s.wav", stereo))
    with pytest.raises(AudioError, match="key 'k' .*2 channels"):
        load_audio(path, "k")
    mono = load_audio(path, "k", downmix=True)
    np.testing.assert_allclose(mono, sine(300) * 0.75, atol=2 / 32768)


@pytest.mark.parametrize("bad, message", [(np.array([], dtype=np.float32), "empty audio"),
                                          (np.array([0.1, np.inf, np.nan], dtype=np.float32), "2 NaN/Inf")])
def test_empty_and_non_finite_audio_name_the_key(tmp_path, bad, message):
    path = str(write_audio(tmp_path / "b.wav", bad, subtype="FLOAT"))
    with pytest.raises(AudioError, match=f"key 'utt7'.*{message}"):
        load_audio(path, "utt7")


def test_unreadable_entries(tmp_path):
    with pytest.raises(AudioError, match="key 'k' .*file not found"):
        load_audio(str(tmp_path / "nope.wav"), "k")
    (tmp_path / "junk.wav").write_bytes(b"not audio")
    with pytest.raises(AudioError, match="cannot read audio"):
        read_entry(str(tmp_path / "junk.wav"), "k")
    with pytest.raises(AudioError, match="command exited with 3"):
        load_audio("echo oops >&2; exit 3 |", "k")


def test_segment_cut(tmp_path):
    x = np.arange(16000, dtype=np.float32) / 16000
    path = str(write_audio(tmp_path / "r.wav", x, subtype="FLOAT"))
    np.testing.assert_array_equal(load_audio(path, start=0.25, end=0.5), x[4000:8000])
    with pytest.raises(AudioError, match="outside the audio"):
        load_audio(path, "k", start=0.5, end=3.0)


def test_write_wav_refuses_clipping_and_nan_and_is_atomic(tmp_path):
    p = tmp_path / "o.wav"
    write_wav(p, sine(), 16000)
    before = p.read_bytes()
    with pytest.raises(AudioError, match="exceeds full scale"):
        write_wav(p, sine(amp=1.5), 16000)
    with pytest.raises(AudioError, match="NaN"):
        write_wav(p, np.array([np.nan], dtype=np.float32), 16000)
    assert p.read_bytes() == before
    write_wav(p, sine(amp=1.5), 16000, subtype="FLOAT")
    assert np.max(load_audio(str(p))) == pytest.approx(1.5, rel=1e-4)
    assert sorted(q.name for q in tmp_path.iterdir()) == ["o.wav"]


def truncate(path, keep_bytes):
    data = path.read_bytes()[:keep_bytes]
    path.write_bytes(data)
    return path


def test_a_wav_cut_off_in_its_data_is_refused_with_both_lengths(tmp_path):
    """Issue 24, defect 2: libsndfile reads a 2-s WAV cut after 100 bytes as 28 samples without a word."""
    path = truncate(write_audio(tmp_path / "cut.wav", sine(300, 2.0)), 100)
    assert sf.info(str(path)).frames == 28  # what libsndfile makes of it
    with pytest.raises(AudioError, match=r"cut\.wav\): truncated: the header declares 32000 samples \(2\.000 s\), "
                                         r"the file holds 28 \(0\.002 s\)"):
        read_entry(str(path), "k")
    from sqe.audio.header import declared_wav_frames

    assert declared_wav_frames(write_audio(tmp_path / "whole.wav", sine(300, 0.5))) == 8000
    assert declared_wav_frames(write_audio(tmp_path / "x.flac", sine(300, 0.5))) is None


def test_a_streamed_wav_header_is_not_taken_for_truncation(tmp_path):
    """Recorders and pipes that do not know the length write 0xFFFFFFFF as the data size."""
    path = write_audio(tmp_path / "s.wav", sine(300, 0.5))
    data = bytearray(path.read_bytes())
    at = data.index(b"data") + 4
    data[at:at + 4] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    assert load_audio(str(path)).size == 8000


def test_audio_shorter_than_one_frame_window_is_refused(tmp_path):
    """Issue 24, defect 2: 5 samples gave a 1-frame output; 25 ms (400 samples) is the least that has a frame."""
    path = write_audio(tmp_path / "tiny.wav", sine(300, 5 / 16000))
    with pytest.raises(AudioError, match=r"tiny\.wav\): too short: 5 samples .*at least 25 ms"):
        load_audio(str(path), "k")
    assert load_audio(str(write_audio(tmp_path / "ok.wav", sine(300, 0.025)))).size == 400
    seg = write_audio(tmp_path / "seg.wav", sine(300, 1.0))
    with pytest.raises(AudioError, match="too short"):
        load_audio(str(seg), "k", start=0.5, end=0.51)
