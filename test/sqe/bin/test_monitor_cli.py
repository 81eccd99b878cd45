"""sqe.bin.monitor end to end: raw PCM through a pipe, growing WAV and FLAC files, Ctrl-C, a writer that dies,
a stream cut mid-sample, bad arguments, and the ONNX backend without torch."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile as sf
from conftest import REPO, StageRun
from model_factories import speech_like, spliced
from no_torch import SCRIPT as NO_TORCH

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
MONITOR = [sys.executable, "-m", "sqe.bin.monitor"]


@pytest.fixture(scope="module")
def take():
    rng = np.random.default_rng(7)
    return np.concatenate([speech_like(3.0, rng), spliced(6.0, "clip", 2.0, 3.5, rng)[0]])  # clip at 5.0-6.5 s


def s16(x: np.ndarray) -> bytes:
    return (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()


def events_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def regions(events: list[dict]) -> list[tuple]:
    return [(e["onset"], e["offset"], e["type"]) for e in events if e["event"] == "region"]


def the_clip(events: list[dict]) -> bool:
    """One region: the clipped span 5.0-6.5 s, typed clip (edges within 2 frames: the tiny model)."""
    found = regions(events)
    return len(found) == 1 and abs(found[0][0] - 5.0) <= 0.04 and abs(found[0][1] - 6.5) <= 0.04 \
        and found[0][2] == "clip"


def test_a_pipe_cut_mid_sample_is_analysed_to_its_end(tiny_package, take):
    run = subprocess.run([*MONITOR, "--model", tiny_package, "--rate", "16000", "--report_s", "4"],
                         input=s16(take) + b"\x07", capture_output=True, env=ENV, cwd=REPO)
    assert run.returncode == 0, run.stderr.decode()
    events = events_of(run.stdout.decode())
    assert [e["event"] for e in events] == ["start", "mos", "region", "mos", "mos", "end"]
    assert events[0]["rate"] == 16000 and events[0]["lookahead_s"] == 0.32  # 5 + 10 + 0 + 1 frames (early lines)
    assert the_clip(events)
    assert events[-1] | {"mos": 0, "mos_speech": 0} == {"event": "end", "duration_s": 9.0, "frames": 450, "mos": 0,
                                                       "mos_speech": 0, "regions": 1, "stopped_by": "end of input"}
    assert "ended mid-sample: 1 byte(s)" in run.stderr.decode() and b"Traceback" not in run.stderr


def test_another_rate_and_channels_are_converted(tiny_package, take):
    import soxr

    x48 = soxr.resample(take, 16000, 48000)
    stereo = np.stack([x48, np.zeros_like(x48)], 1).astype("<f4").tobytes()
    run = subprocess.run([*MONITOR, "--model", tiny_package, "--format", "f32le", "--rate", "48000", "--channels",
                          "2", "--channel", "0"], input=stereo, capture_output=True, env=ENV, cwd=REPO)
    assert run.returncode == 0, run.stderr.decode()
    events = events_of(run.stdout.decode())
    assert events[-1]["duration_s"] == pytest.approx(9.0, abs=0.01)
    assert the_clip(events)


def test_ctrl_c_and_a_dying_writer_end_with_the_regions_so_far(tiny_package, take, tmp_path):
    proc = subprocess.Popen([*MONITOR, "--model", tiny_package, "--rate", "16000"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=REPO)
    proc.stdin.write(s16(take[:16000 * 8]))
    proc.stdin.flush()
    lines = [proc.stdout.readline()]
    while b'"region"' not in lines[-1]:  # the region is reported while the pipe is still open
        lines.append(proc.stdout.readline())
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    events = events_of(b"".join(lines + [out]).decode())
    assert proc.returncode == 0, err.decode()
    assert the_clip(events)
    assert events[-1]["stopped_by"] == "interrupt" and events[-1]["frames"] == 400 and b"Traceback" not in err
    # a writer killed mid-stream: the pipe ends, the monitor reports what it had and exits 0
    data_file = tmp_path / "take.raw"
    data_file.write_bytes(s16(take[:16000 * 7]))
    writer = (f"import os, sys, signal; sys.stdout.buffer.write(open({str(data_file)!r}, 'rb').read()); "
              "sys.stdout.flush(); os.kill(os.getpid(), signal.SIGKILL)")
    shell = f"{sys.executable} -c \"{writer}\" | {sys.executable} -m sqe.bin.monitor --model {tiny_package} --rate 16000"
    run = subprocess.run(["bash", "-c", shell], capture_output=True, env=ENV, cwd=REPO)
    assert run.returncode == 0, run.stderr.decode()
    events = events_of(run.stdout.decode())
    assert the_clip(events) and events[-1]["duration_s"] == 7.0


def grow(path, x: np.ndarray, fmt: str, block_s: float = 0.5, pause_s: float = 0.1) -> threading.Thread:
    """Write ``x`` into ``path`` block by block (flushed, with pauses), as a recorder does."""
    def write():
        with sf.SoundFile(str(path), "w", 16000, 1, format=fmt, subtype="PCM_16") as f:
            for a in range(0, x.size, int(block_s * 16000)):
                f.write(x[a:a + int(block_s * 16000)])
                f.flush()
                time.sleep(pause_s)
    t = threading.Thread(target=write)
    t.start()
    return t


@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_a_file_being_written_is_followed_until_its_writer_closes_it(tiny_package, take, tmp_path, fmt):
    path = tmp_path / f"live.{fmt.lower()}"
    writer = grow(path, take, fmt)
    run = subprocess.run([*MONITOR, "--model", tiny_package, "--follow", path, "--idle_timeout_s", "30"],
                         capture_output=True, env=ENV, cwd=REPO, timeout=120)
    writer.join()
    assert run.returncode == 0, run.stderr.decode()
    assert "input ended: closed by its writer" in run.stderr.decode()  # by the header, not the idle timeout
    events = events_of(run.stdout.decode())
    assert the_clip(events) and events[-1]["duration_s"] == 9.0
    wrong = StageRun("monitor", ["--model", tiny_package, "--follow", path, "--rate", "8000"])
    assert wrong.returncode == 1 and f"--rate 8000 but {path} is 16000 Hz" in wrong.stderr


def test_bad_arguments_get_clear_messages(tiny_package, tmp_path):
    def fails(*args):
        run = StageRun("monitor", ["--model", tiny_package, *args])
        assert run.returncode in (1, 2) and "Traceback" not in run.stderr
        return run.stderr

    assert "needs --rate" in fails()
    assert "--rate 100: a sample rate must lie in [4000, 384000] Hz" in fails("--rate", "100")
    assert "--format 's8': not one of" in fails("--rate", "16000", "--format", "s8")
    (tmp_path / "notes.txt").write_text("hello, world")
    assert "neither WAV nor FLAC" in fails("--follow", tmp_path / "notes.txt")
    assert "no model.onnx" in fails("--rate", "16000", "--backend", "onnx")


def test_the_onnx_backend_monitors_without_torch(tiny_package, tmp_path, take):
    package = tmp_path / "tiny.sqe"
    shutil.copytree(tiny_package, package)
    assert StageRun("export_onnx", ["--model", package]).returncode == 0
    args = ["--model", package, "--rate", "16000"]
    torch_run = subprocess.run([*MONITOR, *args], input=s16(take), capture_output=True, env=ENV, cwd=REPO)
    onnx_run = subprocess.run([sys.executable, "-c", NO_TORCH, "monitor", *args, "--backend", "onnx"],
                              input=s16(take), capture_output=True, env=ENV, cwd=REPO)
    assert onnx_run.returncode == 0, onnx_run.stderr.decode()
    lines = onnx_run.stdout.decode().splitlines()
    assert lines[-1] == "TORCH_IMPORTED False"
    a, b = events_of(torch_run.stdout.decode()), events_of("\n".join(lines[:-1]))
    assert regions(a) == regions(b) and the_clip(a)
    assert b[-1]["mos"] == pytest.approx(a[-1]["mos"], abs=1e-3)


def test_a_file_whose_writer_stops_without_closing_ends_after_the_idle_timeout(tiny_package, take, tmp_path):
    path = tmp_path / "crashed.wav"
    with sf.SoundFile(str(path), "w", 16000, 1, format="WAV", subtype="PCM_16") as f:
        f.write(take)
    raw = bytearray(path.read_bytes())
    raw[40:44] = b"\x00\x00\x00\x00"  # the data size a recorder leaves before it closes the file
    path.write_bytes(bytes(raw))
    started = time.monotonic()
    run = subprocess.run([*MONITOR, "--model", tiny_package, "--follow", path, "--idle_timeout_s", "1.5"],
                         capture_output=True, env=ENV, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stderr.decode()
    events = events_of(run.stdout.decode())
    assert the_clip(events) and events[-1]["duration_s"] == 9.0
    assert time.monotonic() - started >= 1.5 and "input ended: no growth for 1.5 s" in run.stderr.decode()
