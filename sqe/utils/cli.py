"""The shared entry point of every ``python -m sqe.bin.<verb>`` stage.

Contract (README "Stage entry points"):

    python -m sqe.bin.<verb> [--conf FILE.yaml] [--set KEY.PATH=VALUE ...] [--<top-level key> VALUE ...]
                             [--out DIR] [stage arguments] [--print_conf] [--dry_run] [--overwrite]

- The config is a dataclass; defaults < ``--conf`` YAML(s, later files overlay earlier ones) < ``--<key>``
  flags and ``--set`` overrides.
  Unknown or mistyped keys exit with status 2 before any work starts.
- ``--print_conf`` prints the resolved config (usable as ``--conf`` again) and exits.
- ``--dry_run`` checks config and inputs, writes nothing.
- With ``--out``, the stage is idempotent: ``<out>/.done`` holds a hash of the verb, the resolved config,
  the stage arguments and the identity of every input. An unchanged stage says "up to date" and skips;
  ``--overwrite`` forces a rerun. ``config.yaml`` and ``env.json`` are written next to the outputs. ``.done``
  also lists the files the stage made in --out and its outputs elsewhere (declared, or ``ctx.written``): while
  one is missing, the stage is not up to date and runs again.
- Exit status: 0 ok, 1 runtime failure (message names the file/key), 2 usage or config error.

A stage module looks like::

    STAGE = Stage("my_verb", __doc__, MyConf)
    STAGE.add_argument("data_dir")

    def main(argv=None):
        return STAGE.main(argv, inputs=lambda a, c: [a.data_dir], run=_run)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Sequence

from sqe.utils.atomic import write_text_atomic
from sqe.utils.config import ConfigError, dump_yaml, load_config, to_dict
from sqe.utils.errors import DISK_FULL, SqeError, disk_full_message
from sqe.utils.log import get_logger, setup_logging
from sqe.utils.provenance import environment_record, file_identity, fingerprint

# Arguments every stage has; they never change what a stage computes, so they are not hashed.
_COMMON = {"conf", "set", "print_conf", "dry_run", "overwrite", "log_level", "out"}
DONE_FILE = ".done"
STAMP_FILE = ".stamp"  # written when a run starts: what the outputs in --out are being made from
_BOOL_WORDS = {"true", "false", "yes", "no", "on", "off"}


@dataclass
class StageContext:
    """What a stage body receives."""

    args: argparse.Namespace
    conf: Any
    out: Path | None
    log: logging.Logger
    resume: bool = False  # an earlier run with the same stamp was interrupted: keep its finished work
    stamp: str | None = None  # fingerprint of verb, config, arguments and inputs of this run
    written: list[Path] = field(default_factory=list)  # outputs outside --out the body made (e.g. data dirs):
    # recorded in .done, and the stage is not "up to date" while one is missing
    prepared: Any = None  # what ``check`` found (e.g. the resolved input list) for the body to use


def _scalar_flag_type(tp: Any) -> bool:
    """Whether a top-level config field is simple enough to be a ``--name VALUE`` flag."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return all(_scalar_flag_type(a) for a in typing.get_args(tp))
    return tp in (bool, int, float, str, Path, type(None)) or origin is Literal


class Stage:
    """Argument parsing, config resolution, provenance and idempotence for one stage verb."""

    def __init__(self, verb: str, doc: str | None, conf_cls: type | None = None, *, writes_out: bool = True,
                 protect_out: bool = False):
        """``protect_out``: refuse (without --overwrite) to write into an --out that holds outputs made from a
        different config or inputs, instead of silently replacing them (corpus-making stages)."""
        self.verb = verb
        self.protect_out = protect_out
        self.conf_cls = conf_cls
        self.writes_out = writes_out
        self.log = get_logger(f"sqe.bin.{verb}")
        self.parser = argparse.ArgumentParser(
            prog=f"python -m sqe.bin.{verb}",
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        common = self.parser.add_argument_group("common stage options")
        if conf_cls is not None:
            common.add_argument("--conf", type=Path, action="append",
                                help="YAML config (see --print_conf for all keys); given again, each file "
                                     "overlays the ones before it (e.g. a model's config, then a set of loss forms)")
            common.add_argument(
                "--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                help="override config keys, e.g. --set optim.lr=5e-5 model.d_z=32 (values in YAML syntax)",
            )
            common.add_argument("--print_conf", action="store_true", help="print the resolved config and exit")
            self._flag_fields = self._add_conf_flags(conf_cls)
        else:
            self._flag_fields = []
        if writes_out:
            common.add_argument("--out", type=Path, required=True, help="output directory")
            common.add_argument("--overwrite", action="store_true", help="rerun even if outputs are up to date")
        common.add_argument("--dry_run", action="store_true", help="check config and inputs; write nothing")
        common.add_argument("--log_level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    def _add_conf_flags(self, conf_cls: type) -> list[str]:
        group = self.parser.add_argument_group("config keys (shortcuts for --set KEY=VALUE)")
        hints = typing.get_type_hints(conf_cls)
        names = []
        for fld in dataclasses.fields(conf_cls):
            tp = hints[fld.name]
            if not fld.init or not _scalar_flag_type(tp):
                continue
            kwargs: dict[str, Any] = {"dest": f"conf__{fld.name}", "default": None, "metavar": "VALUE"}
            if tp is bool:  # "--fix" alone means true; "--fix false" is also accepted (Kaldi style)
                kwargs.update(nargs="?", const="true")
            group.add_argument(f"--{fld.name}", **kwargs)
            names.append(fld.name)
        return names

    def _normalize_argv(self, argv: list[str]) -> list[str]:
        """Make two conveniences unambiguous for argparse: ``--set a=1 b=2`` takes every following
        ``KEY=VALUE`` token (becomes ``--set a=1 --set b=2``), and a bare boolean flag (``--fix DIR``)
        gets the value ``true`` instead of swallowing the next argument."""
        hints = typing.get_type_hints(self.conf_cls) if self.conf_cls is not None else {}
        flags = {f"--{n}" for n in self._flag_fields if hints[n] is bool}
        out: list[str] = []
        i = 0
        while i < len(argv):
            arg = argv[i]
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            if arg == "--set" and self.conf_cls is not None:
                i += 1
                while i < len(argv) and "=" in argv[i] and not argv[i].startswith("-"):
                    out += ["--set", argv[i]]
                    i += 1
                if not out or out[-2:-1] != ["--set"]:
                    out.append("--set")  # let argparse report the missing value
                continue
            out.append(arg)
            if arg in flags and (nxt is None or nxt.lower() not in _BOOL_WORDS):
                out.append("true")
            i += 1
        return out

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return self.parser.add_argument(*args, **kwargs)

    # -- config -------------------------------------------------------------------------------------
    def resolve_conf(self, args: argparse.Namespace) -> Any:
        if self.conf_cls is None:
            return None
        overrides = list(args.set)
        overrides += [
            f"{name}={getattr(args, 'conf__' + name)}"
            for name in self._flag_fields
            if getattr(args, "conf__" + name) is not None
        ]
        return load_config(self.conf_cls, args.conf, overrides)

    def _stage_args(self, args: argparse.Namespace) -> dict[str, Any]:
        return {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(args).items()
            if k not in _COMMON and not k.startswith("conf__")
        }

    # -- main ---------------------------------------------------------------------------------------
    def main(
        self,
        argv: Sequence[str] | None,
        *,
        run: Callable[[StageContext], int | None],
        inputs: Callable[[argparse.Namespace, Any], Iterable[str | Path]] = lambda a, c: (),
        check: Callable[[StageContext], None] | None = None,
        outputs: Callable[[argparse.Namespace, Any], Iterable[str | Path]] = lambda a, c: (),
        out_dir: Callable[[argparse.Namespace], Path] | None = None,
        identity: Callable[[StageContext], Any] | None = None,
    ) -> int:
        """Parse ``argv`` and run the stage; returns the process exit status.

        ``inputs`` must exist and identify what the stage reads; ``check`` validates the request before any
        work (also in --dry_run); ``outputs`` lists outputs outside --out that must exist for "up to date";
        ``out_dir`` moves the provenance and ``.done`` of this call elsewhere (e.g. one dir per JOB of an array);
        ``identity`` (after ``check``) adds what else the stamp must cover, e.g. each audio file of an analysis by
        size and mtime, where a missing or unreadable one is reported per file and must not stop the stage."""
        args = self.parser.parse_args(self._normalize_argv(list(sys.argv[1:] if argv is None else argv)))
        setup_logging(args.log_level)
        log = self.log
        try:
            conf = self.resolve_conf(args)
        except ConfigError as err:
            log.error("config error: %s", err)
            return 2
        if getattr(args, "print_conf", False):
            sys.stdout.write(dump_yaml(conf))
            return 0

        out: Path | None = out_dir(args) if out_dir is not None else getattr(args, "out", None)
        primary = os.environ.get("RANK", "0") == "0"  # under torchrun only rank 0 writes provenance and .done
        ctx = StageContext(args=args, conf=conf, out=out, log=log)
        try:
            input_paths = [Path(p) for p in inputs(args, conf)]
            missing = [str(p) for p in input_paths if not p.exists()]
            if missing:
                raise SqeError(f"missing input(s): {', '.join(missing)}")
            if check is not None:
                check(ctx)
            if args.dry_run:
                log.info("dry run: config and %d input(s) OK; nothing written", len(input_paths))
                return 0

            stamp = None
            if out is not None:
                stamp = fingerprint({
                    "verb": self.verb,
                    "conf": to_dict(conf),
                    "args": self._stage_args(args),
                    "inputs": [_identity(p) for p in input_paths],
                    **({"identity": identity(ctx)} if identity is not None else {}),
                })
                done = out / DONE_FILE
                extra = [Path(p) for p in outputs(args, conf)]
                record = _read_done(done)
                if not args.overwrite and record.get("stamp") == stamp:
                    gone = [str(p) for p in extra if not p.exists()] + _missing_outputs(out, record)
                    if not gone:
                        log.info("%s: %s is up to date, skipping (use --overwrite to force)", self.verb, out)
                        return 0
                    log.info("%s: %d output(s) of the earlier run are missing (e.g. %s): running again",
                             self.verb, len(gone), gone[0])
                previous = _read_text(out / STAMP_FILE)
                if previous not in (None, stamp) and not done.exists() and not _made_outputs(out):
                    log.info("%s: the earlier attempt in %s stopped before writing any output: running with "
                             "this config", self.verb, out)
                    previous = None  # nothing of it to protect
                if self.protect_out and previous not in (None, stamp) and not args.overwrite:
                    raise SqeError(
                        f"{out} holds outputs made from a different config or inputs (see {out}/config.yaml); "
                        "remove it or pass --overwrite to replace them"
                    )
                ctx.stamp = stamp
                ctx.resume = previous == stamp and not args.overwrite
                if ctx.resume:
                    log.info("%s: resuming the interrupted run in %s", self.verb, out)
                if primary:
                    done.unlink(missing_ok=True)
                    out.mkdir(parents=True, exist_ok=True)
                    write_text_atomic(out / STAMP_FILE, stamp + "\n")
                    if conf is not None:
                        write_text_atomic(out / "config.yaml", dump_yaml(conf))
                    write_text_atomic(out / "env.json", json.dumps(environment_record(), indent=2) + "\n")

            start = time.monotonic()
            status = run(ctx) or 0
            if status == 0 and out is not None and primary:
                record = {"stage": self.verb, "stamp": stamp, "seconds": round(time.monotonic() - start, 1),
                          "files": output_files(out),
                          "outputs": sorted({str(p) for p in [*outputs(args, conf), *ctx.written]})}
                write_text_atomic(out / DONE_FILE, json.dumps(record) + "\n")
            return status
        except ConfigError as err:
            log.error("config error: %s", err)
            return 2
        except SqeError as err:
            log.error("%s", err)
            return 1
        except OSError as err:
            if err.errno not in DISK_FULL:
                raise
            log.error("%s", disk_full_message(err))  # a write outside the atomic helpers (audio, logs)
            return 1
        except KeyboardInterrupt:
            log.error("interrupted")
            return 130


def _identity(path: Path) -> dict[str, Any]:
    try:
        return file_identity(path)
    except OSError as err:
        raise SqeError(f"cannot read input {err.filename or path}: {err.strerror or err}") from None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _read_done(done: Path) -> dict[str, Any]:
    try:
        record = json.loads(done.read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def output_files(out: Path) -> list[str]:
    """Files a stage made in ``out`` (relative paths): everything but its own bookkeeping, the launcher's
    ``log/`` and subdirectories that hold another stage's outputs (they have their own ``.done``/``.stamp``)."""
    files = []
    for root, dirs, names in os.walk(out):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not (here == out and d == "log")
                         and not (here / d / DONE_FILE).exists() and not (here / d / STAMP_FILE).exists())
        files += [str((here / n).relative_to(out)) for n in sorted(names)
                  if not (here == out and n in (DONE_FILE, STAMP_FILE)) and not n.endswith(".tmp")]
    return files


def _made_outputs(out: Path) -> list[str]:
    """Outputs in ``out`` besides the provenance every attempt writes first (config.yaml, env.json)."""
    return [f for f in output_files(out) if f not in ("config.yaml", "env.json")] if out.is_dir() else []


def _missing_outputs(out: Path, record: dict[str, Any]) -> list[str]:
    """Outputs listed in a ``.done`` that no longer exist."""
    gone = [str(out / f) for f in record.get("files", []) if not (out / f).exists()]
    return gone + [p for p in record.get("outputs", []) if not Path(p).exists()]


def run_main(main: Callable[[Sequence[str] | None], int]) -> None:
    """``if __name__ == "__main__": run_main(main)`` with the exit status passed on."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(None))


__all__ = ["Stage", "StageContext", "run_main", "DONE_FILE"]
