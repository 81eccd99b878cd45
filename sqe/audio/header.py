"""What a WAV header promises, read without libsndfile: libsndfile quietly shortens the frame count of a file cut
off in the middle of its data to what is there, so a truncated download or an interrupted copy would otherwise
be read as a few samples and analysed as if it were whole."""
from __future__ import annotations

import struct
from pathlib import Path

STREAMING_SIZES = (0, 0xFFFFFFFF)  # data sizes that writers of unknown length (pipes, recorders) leave


def declared_wav_frames(path: str | Path) -> int | None:
    """Sample frames the ``data`` chunk of a RIFF/WAVE file declares; None for other formats, RF64, streamed
    headers (size 0 or 0xFFFFFFFF) or a header too damaged to tell (libsndfile then reports the damage)."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            block_align = None
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"fmt ":
                    body = f.read(min(size, 16))
                    if len(body) < 14:
                        return None
                    block_align = struct.unpack("<H", body[12:14])[0]
                    f.seek(size - len(body) + (size & 1), 1)
                elif cid == b"data":
                    if block_align in (None, 0) or size in STREAMING_SIZES:
                        return None
                    return size // block_align
                else:
                    f.seek(size + (size & 1), 1)
    except OSError:
        return None
