"""Where a monitored stream comes from: raw PCM on a pipe, or a WAV/FLAC file that is still being written.

Each source yields raw little-endian PCM bytes in a :class:`PcmFormat`; ``None`` from ``read`` is the end of
the stream. A growing WAV file is read from its data chunk on (its size fields are only right once the writer
closes it); a growing FLAC file is fed to sox's FLAC decoder as it grows (libsndfile cannot read a FLAC file
whose header does not know its length yet). A file has ended when its header states a length that has been
read, or when it has not grown for ``idle_timeout_s``.
"""
from __future__ import annotations

import os
import struct
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sqe.utils.errors import SqeError

ENCODINGS = {"s16le": ("<i2", 32768.0), "s24le": (None, 8388608.0), "s32le": ("<i4", 2147483648.0),
             "f32le": ("<f4", 1.0)}
MIN_RATE, MAX_RATE = 4000, 384000
READ_BYTES = 1 << 16
CLOSED = "closed by its writer (its header states the length, all read)"


@dataclass(frozen=True)
class PcmFormat:
    encoding: str  # s16le | s24le | s32le | f32le
    rate: int
    channels: int

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise SqeError(f"--format {self.encoding!r}: not one of {', '.join(ENCODINGS)}")
        if not MIN_RATE <= self.rate <= MAX_RATE:
            raise SqeError(f"--rate {self.rate}: a sample rate must lie in [{MIN_RATE}, {MAX_RATE}] Hz")
        if not 1 <= self.channels <= 64:
            raise SqeError(f"--channels {self.channels}: must lie in [1, 64]")

    @property
    def frame_bytes(self) -> int:
        """Bytes of one sample frame (one sample of every channel)."""
        return (3 if self.encoding == "s24le" else 2 if self.encoding == "s16le" else 4) * self.channels

    def decode(self, data: bytes) -> np.ndarray:
        """``(frames, channels)`` float32 in [-1, 1] (f32le as given) of whole sample frames of ``data``."""
        dtype, scale = ENCODINGS[self.encoding]
        if self.encoding == "s24le":
            b = np.frombuffer(data, np.uint8).reshape(-1, 3).astype(np.int32)
            ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8  # sign-extend 24 bits
            x = ints.astype(np.float32) / np.float32(scale)
        else:
            x = np.frombuffer(data, dtype).astype(np.float32)
            if scale != 1.0:
                x /= np.float32(scale)
        return x.reshape(-1, self.channels)


class PipeSource:
    """Bytes of a pipe or any readable file descriptor as they arrive; ``None`` once the writer has closed it
    (or died: the same end of file)."""

    end_reason = "end of input (the writer closed the pipe or died)"

    def __init__(self, fmt: PcmFormat, stream):
        self.format, self.stream = fmt, stream  # a file object (stdin); its descriptor is taken at the first read

    def read(self) -> bytes | None:
        data = os.read(self.stream.fileno(), READ_BYTES)  # what has arrived, without waiting for a full block
        return data or None

    def close(self) -> None:
        pass


def parse_wav_header(head: bytes, where: str) -> tuple[PcmFormat, int, int | None] | None:
    """(format, offset of the samples, their byte count or None while unknown) of a WAV header; None if the
    header is not complete yet."""
    if len(head) < 12:
        return None
    if head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        raise SqeError(f"{where}: not a WAV file (no RIFF/WAVE header); --follow reads WAV and FLAC")
    pos, fmt = 12, None
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if cid == b"data":
            if fmt is None:
                raise SqeError(f"{where}: WAV data chunk before its fmt chunk")
            known = size if head[:4] == b"RIFF" and 0 < size < 0xFFFFFFFF else None
            return fmt, pos + 8, known
        if cid == b"fmt ":
            if pos + 8 + 16 > len(head):
                return None
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", head[pos + 8:pos + 24])
            if tag == 0xFFFE and pos + 8 + 26 <= len(head):  # WAVE_FORMAT_EXTENSIBLE: the subformat's tag
                tag = struct.unpack("<H", head[pos + 32:pos + 34])[0]
            encoding = {(1, 16): "s16le", (1, 24): "s24le", (1, 32): "s32le", (3, 32): "f32le"}.get((tag, bits))
            if encoding is None:
                raise SqeError(f"{where}: WAV format tag {tag} with {bits} bits is not supported "
                               "(PCM 16/24/32 bit or float 32 bit)")
            fmt = PcmFormat(encoding, rate, channels)
        pos += 8 + size + (size & 1)
    return None


class FollowWav:
    """The samples of a WAV file as its writer appends them."""

    end_reason = "interrupted"

    def __init__(self, path: Path, poll_s: float = 0.05, idle_timeout_s: float = 10.0):
        self.path, self.poll_s, self.idle_timeout_s = path, poll_s, idle_timeout_s
        self.file = _open_when_there(path, idle_timeout_s)
        self.format, self.start, _ = _header(self.file, 1 << 16, lambda h: parse_wav_header(h, str(path)),
                                             f"{path}: no complete WAV header", idle_timeout_s, poll_s)
        self.pos = self.start
        self.last_growth = time.monotonic()

    def _known_end(self) -> int | None:
        self.file.seek(0)
        header = parse_wav_header(self.file.read(self.start), str(self.path))
        return None if header is None or header[2] is None else self.start + header[2]

    def read(self) -> bytes | None:
        while True:
            end = self._known_end()
            size = os.fstat(self.file.fileno()).st_size
            if size < self.pos:
                raise SqeError(f"{self.path}: the file shrank while being followed ({size} < {self.pos} bytes)")
            stop = size if end is None else min(size, end)
            if stop > self.pos:
                self.file.seek(self.pos)
                data = self.file.read(min(stop - self.pos, READ_BYTES))
                self.pos += len(data)
                self.last_growth = time.monotonic()
                return data
            if end is not None and self.pos >= end:
                self.end_reason = CLOSED
                return None
            if time.monotonic() - self.last_growth > self.idle_timeout_s:
                self.end_reason = f"no growth for {self.idle_timeout_s:g} s (--idle_timeout_s)"
                return None
            time.sleep(self.poll_s)

    def close(self) -> None:
        self.file.close()


def _open_when_there(path: Path, timeout_s: float):
    started = time.monotonic()
    while not path.exists():
        if time.monotonic() - started > timeout_s:
            raise SqeError(f"{path}: no such file (waited {timeout_s:g} s for it to appear)")
        time.sleep(0.05)
    # unbuffered: a buffered reader's seek(0) inside its buffer returns the header as it was when buffered, so a
    # length the writer puts into the header when it closes the file would never be seen
    return open(path, "rb", buffering=0)


def _header(file, size: int, parse, missing: str, timeout_s: float, poll_s: float):
    """``parse(the file's first size bytes)`` once it is not None: a writer may not have written its header yet."""
    started = time.monotonic()
    while True:
        file.seek(0)
        header = parse(file.read(size))
        if header is not None:
            return header
        if time.monotonic() - started > timeout_s:
            raise SqeError(f"{missing} after {timeout_s:g} s")
        time.sleep(poll_s)


def flac_streaminfo(head: bytes, where: str) -> tuple[PcmFormat, int] | None:
    """(format of sox's float output, total samples or 0 while unknown) from a FLAC file's first bytes."""
    if len(head) < 4 + 4 + 18:
        return None
    if head[:4] != b"fLaC":
        raise SqeError(f"{where}: not a FLAC file (no fLaC marker); --follow reads WAV and FLAC")
    info = int.from_bytes(head[18:26], "big")  # rate 20 bits, channels-1 3, bits-1 5, total samples 36
    rate, channels, total = info >> 44, ((info >> 41) & 7) + 1, info & ((1 << 36) - 1)
    return PcmFormat("f32le", rate, channels), total


class FollowFlac:
    """The samples of a FLAC file as its writer appends them, decoded by ``sox`` reading the bytes from a pipe."""

    end_reason = "interrupted"

    def __init__(self, path: Path, poll_s: float = 0.05, idle_timeout_s: float = 10.0):
        self.path, self.poll_s, self.idle_timeout_s = path, poll_s, idle_timeout_s
        self.file = _open_when_there(path, idle_timeout_s)
        self.format = _header(self.file, 64, lambda h: flac_streaminfo(h, str(path)),
                              f"{path}: no complete FLAC header", idle_timeout_s, poll_s)[0]
        try:
            self.sox = subprocess.Popen(["sox", "-q", "-t", "flac", "-", "-t", "raw", "-e", "floating-point",
                                         "-b", "32", "-L", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        except FileNotFoundError:
            raise SqeError("--follow of a FLAC file needs sox (apt-get install sox libsox-fmt-all; "
                           "tools/install.sh installs it)") from None
        self.feeder = threading.Thread(target=self._feed, daemon=True)
        self.feeder.start()

    def _feed(self) -> None:
        pos, last = 0, time.monotonic()
        try:
            while True:
                self.file.seek(0)
                total = flac_streaminfo(self.file.read(64), str(self.path))[1]
                size = os.fstat(self.file.fileno()).st_size
                if size > pos:
                    self.file.seek(pos)
                    data = self.file.read(size - pos)
                    self.sox.stdin.write(data)
                    self.sox.stdin.flush()
                    pos, last = pos + len(data), time.monotonic()
                elif total > 0:
                    self.end_reason = CLOSED
                    break
                elif time.monotonic() - last > self.idle_timeout_s:
                    self.end_reason = f"no growth for {self.idle_timeout_s:g} s (--idle_timeout_s)"
                    break
                else:
                    time.sleep(self.poll_s)
        except (BrokenPipeError, OSError):
            pass
        finally:
            try:
                self.sox.stdin.close()
            except OSError:
                pass

    def read(self) -> bytes | None:
        data = os.read(self.sox.stdout.fileno(), READ_BYTES)
        return data or None

    def close(self) -> None:
        if self.sox.poll() is None:
            self.sox.kill()
        self.sox.wait()
        self.file.close()


def follow(path: Path, idle_timeout_s: float = 10.0):
    """The follower of a growing WAV or FLAC file (by its first bytes, waiting for them)."""
    with _open_when_there(path, idle_timeout_s) as f:
        head = _header(f, 4, lambda h: h if len(h) == 4 else None, f"{path}: empty (no WAV or FLAC header)",
                       idle_timeout_s, 0.05)
    if head == b"fLaC":
        return FollowFlac(path, idle_timeout_s=idle_timeout_s)
    if head in (b"RIFF", b"RF64"):
        return FollowWav(path, idle_timeout_s=idle_timeout_s)
    raise SqeError(f"{path}: neither WAV nor FLAC (first bytes {head!r}); for raw PCM pipe it to stdin "
                   "with --format/--rate/--channels")
