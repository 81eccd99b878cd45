"""One PNG per analysed file: the spectrogram with the degraded regions shaded and labelled with their type, and
below it the frame MOS and the detection score with the threshold (non-speech frames greyed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sqe.analyze.analyzer import FileAnalysis
from sqe.analyze.labels import label_lanes
from sqe.audio.io import TARGET_SR
from sqe.audio.speech import FRAME_S
from sqe.utils.atomic import atomic_path

DPI = 80
DYNAMIC_DB = 80.0  # spectrogram colour range below its 99.5th percentile
MAX_COLUMNS = 3000  # spectrogram columns drawn, whatever the length (a long file is subsampled in time)


def spectrogram(wav: np.ndarray, n_fft: int = 512) -> tuple[np.ndarray, float]:
    """Log power (dB) of at most MAX_COLUMNS Hann-windowed frames, and the seconds between columns."""
    hop = max(160, -(-wav.size // MAX_COLUMNS))
    count = max(1, (wav.size - n_fft) // hop + 1) if wav.size >= n_fft else 1
    padded = wav if wav.size >= n_fft else np.pad(wav, (0, n_fft - wav.size))
    idx = np.arange(count)[:, None] * hop + np.arange(n_fft)[None, :]
    frames = padded[idx] * np.hanning(n_fft).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return 10 * np.log10(power.T + 1e-10), hop / TARGET_SR


def colour_range(spec: np.ndarray) -> tuple[float, float]:
    """(vmin, vmax) of a dB spectrogram's colours: DYNAMIC_DB below its 99.5th percentile."""
    top = float(np.percentile(spec, 99.5))
    return top - DYNAMIC_DB, top


def plot_file(path: Path, wav: np.ndarray, result: FileAnalysis, detector: str) -> None:
    import matplotlib.pyplot as plt

    fig = figure(wav, result, detector)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    plt.close(fig)


def figure(wav: np.ndarray, result: FileAnalysis, detector: str):
    """The matplotlib figure of one analysed file (the caller closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spec, col_s = spectrogram(wav)
    t = np.arange(result.q.size) * FRAME_S + FRAME_S / 2
    width = min(24.0, 6.0 + result.duration_s / 4)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(width, 6), dpi=DPI, sharex=True,
                                   gridspec_kw={"height_ratios": [3, 2]})
    vmin, vmax = colour_range(spec)
    ax1.imshow(spec, origin="lower", aspect="auto", cmap="magma", vmin=vmin, vmax=vmax,
               extent=(0, spec.shape[1] * col_s, 0, 8000))
    for r in result.regions:
        ax1.axvspan(r.onset, r.offset, color="cyan", alpha=0.25)
    ax1.set_ylabel("Hz")
    ax1.set_xlim(0, result.duration_s)
    ax1.set_ylim(0, 8000)
    title = f"{result.name}: MOS {result.mos:.2f}, {len(result.regions)} degraded region(s)"
    ax1.set_title(title)
    ax2.plot(t, result.q, color="tab:blue", lw=1, label="frame MOS")
    ax2.set_ylabel("MOS")
    ax2.set_ylim(0.8, 5.2)
    ax3 = ax2.twinx()
    label = "1 - cos(enrollment, frame)" if detector == "embedding" else "-MOS"
    ax3.plot(t, result.score, color="tab:red", lw=1, label=label)
    ax3.axhline(result.threshold, color="tab:red", ls="--", lw=1, label="threshold")
    ax3.set_ylabel("detection score")
    silent = ~result.speech
    for a, b in _spans(silent):
        ax2.axvspan(a * FRAME_S, b * FRAME_S, color="0.85", zorder=0)
    ax2.set_xlabel("time (s)")
    lines = ax2.get_lines() + ax3.get_lines()
    ax2.legend(lines, [ln.get_label() for ln in lines], loc="lower left", fontsize=8)
    fig.tight_layout()
    hidden = _label_regions(fig, ax1, result)
    if hidden:
        ax1.set_title(f"{title} (labels of {hidden} not shown: too dense, see regions.tsv)")
    return fig


def _label_regions(fig, ax, result: FileAnalysis) -> int:
    """Each region's label ("type similarity") at its onset, close regions' labels in lanes below each other so
    none covers another; labels of lanes that would leave the spectrogram's upper half are left out (counted)."""
    renderer = fig.canvas.get_renderer()
    style = {"fontsize": 8, "color": "white", "ha": "left", "va": "top", "clip_on": True,
             "bbox": {"facecolor": "black", "alpha": 0.6, "pad": 1, "lw": 0}}
    texts = [ax.text(r.onset, 7900, f"{r.type} {r.similarity:.2f}", **style) for r in result.regions]
    boxes = [t.get_window_extent(renderer) for t in texts]
    lanes = label_lanes([(b.x0, b.x1) for b in boxes], gap=6.0)
    to_data = ax.transData.inverted()
    height = max((b.height for b in boxes), default=0.0) + 3.0
    step = 7900 - to_data.transform((0, ax.transData.transform((0, 7900))[1] - height))[1]
    hidden = 0
    for text, lane in zip(texts, lanes):
        y = 7900 - lane * step
        if y - step < 4000:  # keep the labels in the upper half: the speech below stays visible
            text.set_visible(False)
            hidden += 1
        else:
            text.set_y(y)
    return hidden


def _spans(mask: np.ndarray) -> list[tuple[int, int]]:
    from sqe.analyze.regions import runs

    return runs(mask)
