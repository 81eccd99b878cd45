"""The per-file figure: labels of close regions are stacked in lanes and never cover each other."""
from __future__ import annotations

import numpy as np
from model_factories import speech_like

from sqe.analyze.analyzer import FileAnalysis
from sqe.analyze.plot import figure, plot_file
from sqe.analyze.regions import Region

TYPES = ["clip", "lpf", "opus", "bgn", "mnru", "packet_loss"]


def _dense(count: int, step_s: float) -> FileAnalysis:
    rng = np.random.default_rng(0)
    regions = [Region(onset=round(0.2 + i * step_s, 2), offset=round(0.2 + i * step_s + 0.2, 2), score=0.8, mos=2.0,
                      type=TYPES[i % 6], similarity=0.9, nearest=[(TYPES[i % 6], 0.9)]) for i in range(count)]
    n = 600
    return FileAnalysis(name="dense", duration_s=12.0, level_dbfs=-26.0, gain_db=0.0, mos=3.0, mos_speech=3.0,
                        threshold=0.5, regions=regions, q=rng.uniform(1, 5, n).astype(np.float32),
                        score=rng.uniform(0, 1, n).astype(np.float32), speech=np.ones(n, bool))


def _labels(fig):
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in ax.texts if t.get_visible()], ax


def test_close_regions_labels_do_not_overlap(tmp_path):
    import matplotlib.pyplot as plt

    wav = speech_like(12.0, np.random.default_rng(1))
    result = _dense(15, 0.35)  # 15 regions 0.35 s apart: one lane would put the labels on top of each other
    fig = figure(wav, result, "embedding")
    boxes, ax = _labels(fig)
    assert len(boxes) == 15 and "not shown" not in ax.get_title()
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    assert len({round(b.y0) for b in boxes}) > 1  # they needed more than one lane
    plt.close(fig)
    plot_file(tmp_path / "dense.png", wav, result, "embedding")
    assert (tmp_path / "dense.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_labels_that_do_not_fit_are_counted_in_the_title():
    import matplotlib.pyplot as plt

    result = _dense(110, 0.1)  # 110 labels 5 px apart: more lanes than the upper half holds
    fig = figure(speech_like(12.0, np.random.default_rng(1)), result, "embedding")
    boxes, ax = _labels(fig)
    hidden = 110 - len(boxes)
    assert hidden > 0 and f"labels of {hidden} not shown" in ax.get_title()
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)
    plt.close(fig)
