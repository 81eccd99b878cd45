"""The report page as HTML (the browser test checks it rendered): self-contained, every region listed, names
and types escaped, long tracks reduced to a bounded number of points, files without assets say why."""
from __future__ import annotations

import re

import numpy as np
from test_writers import _result

from sqe.analyze import report
from sqe.analyze.regions import Region
from sqe.analyze.report_assets import asset_paths, has_assets, write_assets
from sqe.analyze.writers import failed_row, region_lines, summary_row, write_file_outputs, write_summary


def _analysis(out, frames=1003, with_assets=True):
    first = _result(frames)
    second = _result(200)
    second.name = "odd"
    second.regions = [Region(onset=1.0, offset=1.5, score=0.9, mos=1.5, type="<b>&co", similarity=0.5,
                             nearest=[("<b>&co", 0.5)])]
    rows, lines = [], []
    for result in (first, second):
        write_file_outputs(out, result, f"/audio/{result.name}.wav", "pkg")
        rows.append(summary_row(result, f"/audio/{result.name}.wav"))
        lines += region_lines(result)
    rows.append(failed_row("bad", "/audio/bad.wav", "too short: 0.200 s"))
    write_summary(out, rows, lines, {"package": "pkg", "detector": "embedding", "threshold": 0.5})
    if with_assets:
        write_assets(out, "take", np.random.default_rng(0).standard_normal(frames * 320).astype(np.float32) * 0.1)
    return report.build_report(out)


def test_page_is_self_contained_and_lists_every_region(tmp_path):
    page = _analysis(tmp_path)
    assert not re.search(r"(src|href)=\"(https?:|//)", page) and "http://" not in page and "https://" not in page
    assert page.count('class="region-row"') == len((tmp_path / "regions.tsv").read_text().splitlines()) - 1 == 2
    assert 'src="report_files/take.spec.png"' in page and 'src="report_files/take.flac"' in page
    assert "&lt;b&gt;&amp;co" in page and "<b>&co" not in page  # a type is text, never markup
    assert "No spectrogram or audio for this file" in page  # "odd" has no assets
    assert "too short: 0.200 s" in page and "{{" not in page
    assert "<script>" in page and "function setup(section)" in page and "--lane" in page  # inlined


def test_long_tracks_are_binned(tmp_path):
    page = _analysis(tmp_path, frames=9000)
    mos = re.search(r'<polyline class="mos" points="([^"]*)"', page).group(1).split()
    assert len(mos) == report.MAX_POINTS
    times = [float(p.split(",")[0]) for p in mos]
    assert times == sorted(times) and 0 < times[0] < 0.2 and 179.8 < times[-1] < 180.0


def test_binning_averages():
    t, v = report._binned([1.0, 3.0, 5.0, 7.0], points=2)
    np.testing.assert_allclose(v, [2.0, 6.0])
    np.testing.assert_allclose(t, [1.0, 3.0])


def test_assets_are_flac_and_png(tmp_path):
    import soundfile as sf

    wav = np.clip(np.random.default_rng(1).standard_normal(16000).astype(np.float32), -2, 2)
    write_assets(tmp_path, "x", wav)
    spec, audio = asset_paths(tmp_path, "x")
    assert has_assets(tmp_path, "x") and spec.read_bytes()[:4] == b"\x89PNG"
    back, sr = sf.read(audio)
    assert sr == 16000 and back.size == 16000 and np.abs(back).max() <= 1.0
    np.testing.assert_allclose(back, np.clip(wav, -1, 1), atol=1 / 32767)
