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
