import pytest

from sqe.utils.atomic import atomic_write, write_text_atomic


def test_failed_write_keeps_old_content_and_leaves_no_temp(tmp_path):
    p = tmp_path / "out.txt"
    write_text_atomic(p, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_write(p) as f:
            f.write("half")
            raise RuntimeError("killed")
    assert p.read_text() == "old\n"
    assert [q.name for q in tmp_path.iterdir()] == ["out.txt"]


def test_creates_parent_dirs(tmp_path):
    p = tmp_path / "a" / "b" / "c.txt"
    write_text_atomic(p, "x")
    assert p.read_text() == "x"


def test_permissions_follow_the_umask(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "f.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o644


def full_disk(*_args, **_kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_names_the_file_and_leaves_the_old_one(tmp_path, monkeypatch):
    from sqe.utils.errors import DiskFullError

    p = tmp_path / "out.txt"
    write_text_atomic(p, "old\n")
    monkeypatch.setattr("sqe.utils.atomic.os.fsync", full_disk)  # the data reach the disk at fsync
    with pytest.raises(DiskFullError, match=f"^no space left on device writing {p}$"):
        write_text_atomic(p, "new\n")
    assert p.read_text() == "old\n" and [q.name for q in tmp_path.iterdir()] == ["out.txt"]


def test_a_full_disk_while_writing_an_ark_names_the_ark_and_writes_no_scp(tmp_path, monkeypatch):
    import kaldiio
    import numpy as np

    from sqe.data.arks import write_arrays
    from sqe.utils.errors import DiskFullError

    real = kaldiio.WriteHelper

    class FillsUp(real):
        def __call__(self, key, value):
            full_disk()

    monkeypatch.setattr(kaldiio, "WriteHelper", FillsUp)
    with pytest.raises(DiskFullError, match=f"writing {tmp_path.resolve() / 'q.ark'}$"):
        write_arrays(tmp_path, "q", {"a": np.zeros(3, np.float32)})
    assert not (tmp_path / "q.scp").exists() and not list(tmp_path.glob(".q.scp.*"))
