"""PCM decoding and the headers of files being written."""
from __future__ import annotations

import struct
import threading

import numpy as np
import pytest
import soundfile as sf

from sqe.monitor.sources import CLOSED, FollowFlac, FollowWav, PcmFormat, flac_streaminfo, parse_wav_header
from sqe.utils.errors import SqeError


@pytest.mark.parametrize("encoding,subtype", [("s16le", "PCM_16"), ("s24le", "PCM_24"), ("s32le", "PCM_32"),
                                              ("f32le", "FLOAT")])
def test_every_encoding_decodes_as_soundfile_reads_it(tmp_path, encoding, subtype):
    x = np.stack([np.linspace(-1, 0.99, 500), -np.linspace(-0.5, 0.5, 500)], 1).astype(np.float32)
    path = tmp_path / "x.wav"
    sf.write(str(path), x, 22050, subtype=subtype)
    head = path.read_bytes()
    fmt, start, size = parse_wav_header(head, str(path))
    assert fmt == PcmFormat(encoding, 22050, 2) and size == 500 * fmt.frame_bytes
    np.testing.assert_allclose(fmt.decode(head[start:start + size]), sf.read(str(path), dtype="float32")[0],
                               atol=1e-7)


def test_a_header_still_being_written_or_foreign(tmp_path):
    sf.write(str(tmp_path / "x.wav"), np.zeros(10, np.float32), 16000, subtype="PCM_16")
    head = (tmp_path / "x.wav").read_bytes()
    assert parse_wav_header(head[:30], "x.wav") is None  # not all there yet
    unknown = head[:40] + b"\x00\x00\x00\x00" + head[44:]
    assert parse_wav_header(unknown, "x.wav")[2] is None  # size not written yet: follow until idle
    with pytest.raises(SqeError, match="x.txt: not a WAV file"):
        parse_wav_header(b"hello, world, this is text", "x.txt")
    alaw = head[:20] + struct.pack("<H", 6) + head[22:]
    with pytest.raises(SqeError, match="format tag 6 with 16 bits is not supported"):
        parse_wav_header(alaw, "x.wav")


@pytest.mark.parametrize("fmt,follower", [("WAV", FollowWav), ("FLAC", FollowFlac)])
def test_the_length_a_closing_writer_puts_into_the_header_ends_the_follow(tmp_path, fmt, follower):
    """A writer that closes the file writes the length into the header, in place, while the follower polls it:
    the follower sees it (a buffered reader kept the header of its first poll and waited for the idle timeout)."""
    x = np.sin(np.arange(3000) / 7).astype(np.float32) * 0.5
    path = tmp_path / f"live.{fmt.lower()}"
    writer = sf.SoundFile(str(path), "w", 16000, 1, format=fmt, subtype="PCM_16")
    writer.write(x)
    writer.flush()  # a WAV header still says "length unknown", FLAC's STREAMINFO 0 samples
    src = follower(path, poll_s=0.01, idle_timeout_s=5.0)
    closer = threading.Timer(0.5, writer.close)  # while the follower polls the header, caught up
    closer.start()
    chunks = []
    while (data := src.read()) is not None:
        chunks.append(data)
    closer.join()
    src.close()
    assert src.end_reason == CLOSED  # not "no growth for 5 s"
    np.testing.assert_allclose(src.format.decode(b"".join(chunks))[:, 0], x, atol=1 / 32767)


def test_flac_streaminfo_gives_rate_channels_and_length(tmp_path):
    path = tmp_path / "x.flac"
    sf.write(str(path), np.zeros((1234, 2), np.float32), 44100, format="FLAC")
    fmt, total = flac_streaminfo(path.read_bytes()[:64], str(path))
    assert fmt == PcmFormat("f32le", 44100, 2) and total == 1234
    assert flac_streaminfo(b"fLaC", "x") is None
    with pytest.raises(SqeError, match="not a FLAC file"):
        flac_streaminfo(b"RIFF" + bytes(40), "x.flac")


@pytest.mark.parametrize("kwargs,message", [({"rate": 100}, "--rate 100"), ({"channels": 0}, "--channels 0"),
                                            ({"encoding": "u8"}, "--format 'u8'")])
def test_impossible_formats_are_refused(kwargs, message):
    with pytest.raises(SqeError, match=message.replace("(", r"\(")):
        PcmFormat(**{"encoding": "s16le", "rate": 16000, "channels": 1, **kwargs})
