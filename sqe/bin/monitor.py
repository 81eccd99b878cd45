"""Watch a live stream with a model package: where speech is degraded and by what, while the audio arrives.

Input: raw PCM on stdin (--format s16le|s24le|s32le|f32le --rate R --channels C), or a WAV/FLAC file that is
still being written (--follow FILE; format and rate from its header). Output on stdout, one JSON object per
line, flushed at once:
  {"event": "start", ...}   the input format, warm-up, look-ahead, step, region mode and threshold in use
  {"event": "region", "id", "revision", "onset", "offset", "type", "similarity", "nearest", "score", "mos",
   "stream_s"}              a degraded region as soon as it ends (stream_s: audio received then); a degraded
                            run that follows within --merge_gap_s is merged into it and the region written
                            again, same id, revision + 1 (keep the last line of each id: offline's regions).
                            --regions final: each region once, --merge_gap_s later
  {"event": "mos", "start", "end", "mos", "mos_speech", "speech_share", "stream_s"}   every --report_s
  {"event": "end", "duration_s", "frames", "mos", "mos_speech", "regions", "stopped_by"}
End of input, a writer that dies and Ctrl-C/SIGTERM flush what is open and exit 0. Messages go to stderr.

The per-file statistics of offline analysis (sqe.bin.analyze) become running ones after --warmup_s of audio;
the look-ahead is the model's receptive field and the score filter's half-width (sqe.monitor.stream). The
package's detector, threshold and median filter apply as in offline analysis.

Usage:
    arecord -f S16_LE -r 16000 -c 1 -t raw | python -m sqe.bin.monitor --model con1.sqe.zip --rate 16000
    sox call.wav -t raw -e signed -b 16 -r 8000 -c 1 - | python -m sqe.bin.monitor --model PKG --rate 8000
    python -m sqe.bin.monitor --model PKG --follow recording.wav --backend onnx > events.jsonl
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from sqe.monitor.stream import MonitorConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("monitor", __doc__, MonitorConf, writes_out=False)
STAGE.add_argument("--model", type=Path, required=True, help="model package (directory or .zip)")
STAGE.add_argument("--follow", type=Path, help="a WAV or FLAC file being written (instead of stdin)")
STAGE.add_argument("--format", default="s16le", help="raw stdin: s16le, s24le, s32le or f32le (default s16le)")
STAGE.add_argument("--rate", type=int, help="raw stdin: sample rate in Hz (required); with --follow: a check")
STAGE.add_argument("--channels", type=int, default=1, help="raw stdin: interleaved channels (default 1)")
STAGE.add_argument("--channel", default="mix", help="'mix' (average the channels) or a channel index")
STAGE.add_argument("--idle_timeout_s", type=float, default=10.0,
                   help="--follow: the file has ended when it has not grown for this long (or its header says so)")


def _source(args):
    from sqe.monitor.sources import PcmFormat, PipeSource, follow
    from sqe.utils.errors import SqeError

    if args.follow is None:
        if args.rate is None:
            raise SqeError("raw PCM on stdin needs --rate (and --format, --channels if not s16le mono)")
        return PipeSource(PcmFormat(args.format, args.rate, args.channels), sys.stdin)
    source = follow(args.follow, args.idle_timeout_s)
    if args.rate is not None and args.rate != source.format.rate:
        source.close()
        raise SqeError(f"--rate {args.rate} but {args.follow} is {source.format.rate} Hz (its header); "
                       "leave --rate out to use the file's")
    return source


def _run(ctx: StageContext) -> int:
    from sqe.analyze.analyzer import Analyzer
    from sqe.monitor.session import run_session
    from sqe.monitor.stream import StreamAnalyzer

    source = _source(ctx.args)  # before loading the model: a wrong input fails fast
    stream = StreamAnalyzer(Analyzer.from_package(ctx.args.model, ctx.conf.analyze_conf()), ctx.conf)
    try:
        end = run_session(source, stream, sys.stdout, ctx.args.channel, ctx.log.warning)
    except BrokenPipeError:
        ctx.log.error("stdout was closed by its reader: stopped")
        return 1
    ctx.log.info("%s: %.1f s analysed, %d regions (%s)", ctx.args.follow or "stdin", end["duration_s"],
                 end["regions"], end["stopped_by"])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.model, *([a.follow] if a.follow else [])])


if __name__ == "__main__":
    run_main(main)
