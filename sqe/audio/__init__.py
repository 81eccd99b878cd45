"""Audio I/O without torchaudio: soundfile for reading/writing, soxr (scipy fallback) for resampling."""
from sqe.audio.io import AudioError, audio_info, load_audio, read_entry, write_wav
from sqe.audio.level import normalize_loudness, rms_dbfs, standardize
from sqe.audio.resample import resample, resampled_length

__all__ = [
    "AudioError", "audio_info", "load_audio", "read_entry", "write_wav",
    "normalize_loudness", "rms_dbfs", "standardize", "resample", "resampled_length",
]
