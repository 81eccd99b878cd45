import pytest

from sqe.data import DataDir, DataError, combine
from sqe.data.tables import Segment


def test_load_save_round_trip(data_dir, tmp_path):
    dd = DataDir.load(data_dir)
    assert dd.utts == ["utt1", "utt2", "utt3", "utt4"]
    assert dd["utt2mos"]["utt3"] == 2.5
    dd.save(tmp_path / "copy")
    for name in ("wav.scp", "ref.scp", "utt2mos", "utt2cls", "utt2num_samples"):
        assert (tmp_path / "copy" / name).read_text() == (data_dir / name).read_text()


def test_load_rejects_broken_files(data_dir):
    (data_dir / "utt2mos").write_text("utt1 x\n")
    with pytest.raises(DataError, match="utt2mos:1: key 'utt1': not a number"):
        DataDir.load(data_dir)


def test_subset_filter_and_split(data_dir):
    dd = DataDir.load(data_dir)
    sub = dd.filter(lambda u: dd["utt2cls"][u] != "clean")
    assert sub.utts == ["utt2", "utt3", "utt4"]
    assert set(sub["ref.scp"]) == {"utt2", "utt3", "utt4"}
    parts = dd.split(3)
    assert [p.utts for p in parts] == [["utt1", "utt2"], ["utt3"], ["utt4"]]
    with pytest.raises(DataError, match="cannot split 4"):
        dd.split(5)
    with pytest.raises(DataError, match="not in the data dir"):
        dd.subset(["utt9"])


def test_subset_with_segments_keeps_recordings():
    dd = DataDir({
        "wav.scp": {"r1": "a.wav", "r2": "b.wav"},
        "segments": {"s1": Segment("r1", 0.0, 1.0),
                     "s2": Segment("r2", 0.0, 1.0)},
        "utt2mos": {"s1": 1.0, "s2": 2.0},
    })
    assert dd.utts == ["s1", "s2"]
    sub = dd.subset(["s2"])
    assert sub["wav.scp"] == {"r2": "b.wav"} and sub.utts == ["s2"]
    assert dd.audio_entry("s1") == ("a.wav", 0.0, 1.0)


def test_combine(data_dir, tmp_path):
    a = DataDir.load(data_dir).subset(["utt1", "utt2"])
    b = DataDir.load(data_dir).subset(["utt3"])
    del b.tables["utt2cls"]
    both = combine([a, b], ["a", "b"])
    assert both.utts == ["utt1", "utt2", "utt3"]
    assert "utt2cls" not in both  # not in every input: dropped
    with pytest.raises(DataError, match="'utt1' is in both a and c"):
        combine([a, a], ["a", "c"])
