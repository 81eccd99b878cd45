"""Reading what users feed the analysis: formats, rates, channels, lists, data dirs, and bad files."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from conftest import noise, sine, write_audio

from sqe.analyze.inputs import Input, collect_inputs, read_signal
from sqe.audio.io import AudioError
from sqe.audio.resample import resample
from sqe.utils.errors import SqeError


def test_stereo_48k_flac_is_mixed_or_picked_and_resampled(tmp_path):
    left, right = sine(300, 2.0, 48000), noise(2.0, 48000, seed=1)
    path = write_audio(tmp_path / "st.flac", np.stack([left, right], 1), 48000, "PCM_24")
    mixed = read_signal(Input("st", str(path)))
    assert (mixed.sample_rate, mixed.channels, mixed.resampled, mixed.wav.size) == (48000, 2, True, 32000)
    stored = sf.read(path, dtype="float32")[0]
    np.testing.assert_allclose(mixed.wav, resample(stored.mean(1), 48000, 16000), atol=2e-4)
    picked = read_signal(Input("st", str(path)), channel="1")
    np.testing.assert_allclose(picked.wav, resample(stored[:, 1], 48000, 16000), atol=2e-4)
    with pytest.raises(AudioError, match="channel 2 asked for, the file has 2"):
        read_signal(Input("st", str(path)), channel="2")


def test_long_file_is_streamed_in_blocks_to_the_same_samples(tmp_path, monkeypatch):
    import sqe.analyze.inputs as inputs

    x = noise(3.0, 44100, seed=2)
    path = write_audio(tmp_path / "n.wav", x, 44100, "FLOAT")
    whole = read_signal(Input("n", str(path)))
    monkeypatch.setattr(inputs, "BLOCK", 1000)  # 133 blocks
    blocks = read_signal(Input("n", str(path)))
    assert blocks.wav.size == whole.wav.size == 48000
    np.testing.assert_allclose(blocks.wav, whole.wav, atol=1e-5)
    monkeypatch.setattr(inputs, "INITIAL_SAMPLES", 500)  # the output buffer grows many times while reading
    grown = read_signal(Input("n", str(path)))
    np.testing.assert_array_equal(grown.wav, blocks.wav)
    np.testing.assert_allclose(whole.wav, resample(x, 44100, 16000), atol=1e-4)


def test_bad_files_fail_with_the_reason(tmp_path):
    nan = noise(1.0)
    nan[8000] = np.nan
    cases = {
        "nan.wav": (lambda p: write_audio(p, nan, subtype="FLOAT"), "NaN/Inf sample.*first at sample 8000"),
        "empty.wav": (lambda p: write_audio(p, np.zeros(0, np.float32)), "empty audio"),
        "junk.wav": (lambda p: p.write_bytes(b"RIFF not really a wave file"), "cannot read audio"),
    }
    for name, (make, why) in cases.items():
        make(tmp_path / name)
        with pytest.raises(AudioError, match=why):
            read_signal(Input(name, str(tmp_path / name)))
    with pytest.raises(AudioError, match="file not found"):
        read_signal(Input("gone", str(tmp_path / "gone.wav")))


def test_inputs_from_folders_lists_and_data_dirs(tmp_path):
    for rel in ("a/x.wav", "b/x.wav", "b/c/y.flac", "b/readme.txt"):
        (tmp_path / "in" / rel).parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("txt"):
            (tmp_path / "in" / rel).write_text("not audio")
        else:
            write_audio(tmp_path / "in" / rel, sine(seconds=0.1))
    items = collect_inputs([tmp_path / "in", tmp_path / "in" / "a" / "x.wav"])
    assert [i.name for i in items] == ["a__x", "b__c__y", "b__x", "x"]
    (tmp_path / "list").write_text(f"# takes\n{tmp_path}/in/a/x.wav\nfirst {tmp_path}/in/b/x.wav\n\n"
                                   f"first {tmp_path}/in/b/c/y.flac\n")
    items = collect_inputs([], list_file=tmp_path / "list")
    assert [(i.name, i.entry.split("/in/")[1]) for i in items] == [("x", "a/x.wav"), ("first", "b/x.wav"),
                                                                    ("first.1", "b/c/y.flac")]
    d = tmp_path / "data"
    d.mkdir()
    write_audio(tmp_path / "rec.wav", sine(seconds=2.0))
    (d / "wav.scp").write_text(f"rec {tmp_path}/rec.wav\n")
    (d / "segments").write_text("rec-a rec 0.00 0.50\nrec-b rec 1.00 2.00\n")
    items = collect_inputs([], data=d)
    assert [(i.name, i.start, i.end) for i in items] == [("rec-a", 0.0, 0.5), ("rec-b", 1.0, 2.0)]
    assert read_signal(items[1]).wav.size == 16000
    with pytest.raises(SqeError, match="no audio files"):
        collect_inputs([tmp_path / "data"])


def test_names_stay_unique_when_an_input_is_already_called_like_a_suffixed_one(tmp_path):
    from sqe.analyze.inputs import _unique

    assert _unique(["a", "a", "a.1"]) == ["a", "a.2", "a.1"]
    assert _unique(["x", "x.1", "x", "x"]) == ["x", "x.1", "x.2", "x.3"]
    for n in (["a", "a", "a.1", "a.1", "a"], ["b.1", "b", "b", "b.1"]):
        assert len(set(_unique(n))) == len(n)
    for rel in ("a.wav", "a.flac", "a.1.wav"):  # three inputs, three output names
        write_audio(tmp_path / rel, sine(seconds=0.1))
    items = collect_inputs([tmp_path / "a.wav", tmp_path / "a.flac", tmp_path / "a.1.wav"])
    assert [i.name for i in items] == ["a", "a.2", "a.1"]


def test_folder_scan_knows_the_extensions_of_each_format_and_skips_macos_resource_forks(tmp_path):
    y = sine(seconds=0.1)
    for name, fmt in (("x.aif", "AIFF"), ("y.sph", "NIST"), ("z.snd", "AU"), ("w.wav", "WAV")):
        sf.write(str(tmp_path / name), y, 16000, format=fmt, subtype="PCM_16")
    (tmp_path / "._w.wav").write_bytes(b"\x00\x05\x16\x07 Mac OS X resource fork")
    items = collect_inputs([tmp_path])
    assert [i.name for i in items] == ["w", "x", "y", "z"]
    for i in items:  # every listed file reads
        assert read_signal(i).wav.size == y.size


def test_segments_of_one_recording_decode_it_once(tmp_path, monkeypatch):
    """Issue 24, defect 11: each segment re-read the whole recording."""
    import sqe.analyze.inputs as inputs

    write_audio(tmp_path / "rec.wav", sine(seconds=3.0))
    d = tmp_path / "data"
    d.mkdir()
    (d / "wav.scp").write_text(f"rec {tmp_path}/rec.wav\n")
    (d / "segments").write_text("".join(f"rec-{k} rec {k:.2f} {k + 0.9:.2f}\n" for k in range(3)))
    reads = []
    real = inputs.read_entry
    monkeypatch.setattr(inputs, "read_entry", lambda *a: reads.append(a[0]) or real(*a))
    items = collect_inputs([], data=d)
    whole = read_signal(inputs.Input("whole", str(tmp_path / "rec.wav"))).wav
    cuts = [read_signal(i).wav for i in items]
    assert len(reads) == 1
    for k, cut in enumerate(cuts):
        np.testing.assert_array_equal(cut, whole[k * 16000:k * 16000 + 14400])
    write_audio(tmp_path / "rec.wav", 0.5 * sine(seconds=3.5))  # re-recorded (another size): read again
    assert np.abs(read_signal(items[0]).wav).max() < 0.6 * np.abs(cuts[0]).max() and len(reads) == 2
