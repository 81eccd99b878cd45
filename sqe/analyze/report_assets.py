"""What the HTML report shows of one file besides its numbers, written beside the page in ``report_files/``:
the spectrogram as a bare image (time and labels are drawn by the page) and the audio as the model heard it
(16 kHz mono FLAC)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.utils.atomic import atomic_path

ASSET_DIR = "report_files"


def asset_paths(out: Path, name: str) -> tuple[Path, Path]:
    """(spectrogram PNG, audio FLAC) of file ``name`` under the analysis folder ``out``."""
    folder = out / ASSET_DIR
    return folder / f"{name}.spec.png", folder / f"{name}.flac"


def has_assets(out: Path, name: str) -> bool:
    return all(p.is_file() for p in asset_paths(out, name))


def write_assets(out: Path, name: str, wav: np.ndarray) -> None:
    """Spectrogram image (frequency upwards, at most ``plot.MAX_COLUMNS`` columns over the whole file) and audio."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import soundfile as sf

    from sqe.analyze.plot import colour_range, spectrogram

    spec_path, audio_path = asset_paths(out, name)
    spec, _ = spectrogram(wav)
    vmin, vmax = colour_range(spec)
    with atomic_path(spec_path) as tmp:  # the same colours as the PNG figures
        plt.imsave(tmp, spec[::-1], cmap="magma", vmin=vmin, vmax=vmax, format="png")
    with atomic_path(audio_path) as tmp:  # float beyond +-1 would wrap around in PCM: clip it
        sf.write(tmp, np.clip(wav, -1.0, 1.0), TARGET_SR, format="FLAC", subtype="PCM_16")
