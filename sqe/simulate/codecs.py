"""Speech codecs through sox (``amrnb``, ``gsm``, ``g711``), libsndfile (``opus``) and fast-mp3-augment
(``mp3``).

Every round trip is compensated to stay sample-aligned with the input and of equal length: sox's
resampler has no net delay, the codecs pad to whole frames (trimmed here), and AMR-NB has a constant
80-sample lag at 16 kHz (measured by GCC-PHAT on four voices and several modes),
removed by shifting. A codec whose encoder is missing here reports why (``available``) and is skipped.
"""
from __future__ import annotations

import functools
import io
import shutil
import subprocess
from typing import Any

import numpy as np
import soundfile as sf

from sqe.simulate.base import SR, Context, Degradation, Param, SimulationError, fit_length, register

AMRNB_LAG = 80


@functools.lru_cache(maxsize=None)
def sox_formats() -> frozenset[str]:
    if shutil.which("sox") is None:
        return frozenset()
    out = subprocess.run(["sox", "-h"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if line.startswith("AUDIO FILE FORMATS:"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def _needs_sox(fmt: str) -> str | None:
    if shutil.which("sox") is None:
        return "sox is not installed (Debian package sox)"
    if fmt not in sox_formats():
        return f"sox cannot write {fmt} (Debian package libsox-fmt-all)"
    return None


def _sox(args: list[str], data: bytes) -> bytes:
    # -D: no dither. sox dithers by default when it reduces the word length, which is random noise:
    # with it the same parameters would not give the same file.
    proc = subprocess.run(["sox", "-V1", "-D", *args], input=data, capture_output=True)
    if proc.returncode != 0:
        raise SimulationError(f"sox {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def _wav_bytes(x: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, np.clip(x, -1.0, 1.0), SR, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def sox_roundtrip(x: np.ndarray, encode: list[str], decode: list[str], lag: int = 0) -> np.ndarray:
    """Encode with ``sox -t wav - <encode> -`` and decode with ``sox <decode> - -r 16000 ... -t wav -``."""
    coded = _sox(["-t", "wav", "-", *encode, "-"], _wav_bytes(x))
    out = _sox([*decode, "-", "-r", str(SR), "-e", "signed", "-b", "16", "-t", "wav", "-"], coded)
    y, sr = sf.read(io.BytesIO(out), dtype="float32")
    if sr != SR:
        raise SimulationError(f"sox decoded at {sr} Hz, expected {SR}")
    return fit_length(y[lag:], x.size)


def _amrnb(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    return sox_roundtrip(x, ["-r", "8000", "-C", str(p["mode"]), "-t", "amr-nb"], ["-t", "amr-nb"], AMRNB_LAG)


def _gsm(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    return sox_roundtrip(x, ["-r", "8000", "-t", "gsm"], ["-t", "gsm", "-r", "8000", "-c", "1"])


def _g711(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    law = {"a": "a-law", "u": "u-law"}[p["law"]]
    return sox_roundtrip(x, ["-r", "8000", "-e", law, "-t", "wav"], ["-t", "wav"])


def _mp3_available() -> str | None:
    try:
        import fast_mp3_augment  # noqa: F401
    except ImportError:
        return "fast-mp3-augment is not installed (pip extra 'data')"
    return None


def _mp3(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    import fast_mp3_augment

    y = fast_mp3_augment.compress_roundtrip(np.ascontiguousarray(x, dtype=np.float32), SR, int(p["kbps"]),
                                           preserve_delay=False)
    return fit_length(y, x.size)


def _opus_available() -> str | None:
    if "OPUS" not in sf.available_subtypes("OGG"):
        return f"this libsndfile ({sf.__libsndfile_version__}) cannot write Ogg Opus"
    return None


def _opus(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    """Ogg Opus at 16 kHz through libsndfile: its compression level sets the bit rate (0.97: about 15 kbit/s,
    1.0: about 8 kbit/s, measured on flite speech); the decoder removes Opus's pre-skip, so no lag remains."""
    buf = io.BytesIO()
    sf.write(buf, np.clip(x, -1.0, 1.0), SR, format="OGG", subtype="OPUS", compression_level=float(p["level"]))
    buf.seek(0)
    y, sr = sf.read(buf, dtype="float32")
    if sr != SR:
        raise SimulationError(f"Opus decoded at {sr} Hz, expected {SR}")
    return fit_length(y, x.size)


register(Degradation("amrnb", _amrnb, {"mode": Param("int", 0, 7)}, group="codec", is_codec=True,
                     available=lambda: _needs_sox("amr-nb"), doc="AMR-NB (sox -C 0..7 = 4.75-12.2 kbit/s)"))
register(Degradation("gsm", _gsm, {}, group="codec", is_codec=True, available=lambda: _needs_sox("gsm"),
                     doc="GSM 06.10 full rate"))
register(Degradation("g711", _g711, {"law": Param("choice", choices=("a", "u"))}, group="codec", is_codec=True,
                     available=lambda: _needs_sox("wav"), doc="G.711 A-law or mu-law at 8 kHz"))
register(Degradation("opus", _opus, {"level": Param("float", 0.97, 1.0)}, group="codec", is_codec=True,
                     available=_opus_available, doc="Ogg Opus (libsndfile compression level 0.97-1.0: ~15-8 kbit/s)"))
register(Degradation("mp3", _mp3, {"kbps": Param("choice", choices=(8, 16, 24, 32))}, group="codec",
                     is_codec=True, available=_mp3_available, doc="MP3 (fast-mp3-augment, no delay)"))
