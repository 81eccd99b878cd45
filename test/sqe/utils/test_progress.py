import logging

from sqe.utils.progress import progress


def test_progress_yields_everything_and_logs_without_a_terminal(caplog):
    caplog.set_level(logging.INFO, logger="sqe.progress")
    assert list(progress(range(5), desc="items", log_every_s=0.0)) == [0, 1, 2, 3, 4]
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0].startswith("items: 1/5 it (20%")
    assert "\r" not in "".join(lines)
    assert list(progress(iter([1, 2]), enabled=False)) == [1, 2]
