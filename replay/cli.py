"""The ``ringbus`` command line.

Design contract:
- every subcommand lives in its own module under :mod:`replay.commands` and is imported only when
  it runs, so ``ringbus --help`` and ``ringbus inspect`` start fast;
- exit codes: 0 success, 1 a finding (corruption, divergence, violation), 2 usage errors and
  inputs that cannot be opened;
- ``--json`` output is one JSON object on stdout (JSON lines for streaming commands); under
  ``--json`` every error is JSON too: a command that fails (exit != 0) without printing to
  stdout, a usage error and an unexpected exception print ``{"error": ..., "exit_code": N,
  "command": ...}`` on stdout (the text still goes to stderr);
- the ``ringbus`` program (``main()`` without arguments) ends with its output flushed and its
  atexit handlers run, but without the interpreter's module teardown (see ``_exit_now``).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import importlib.util
import json
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from typing import Any, TextIO

from ringbus._version import __version__

#: Subcommand name -> (module under replay.commands, one-line help).
COMMANDS: dict[str, tuple[str, str]] = {
    "inspect": ("inspect", "summarise a journal: seq range, kinds, runs, size"),
    "verify": ("verify", "check a journal's integrity (and re-execute it with --reexecute)"),
    "tail": ("tail", "print records as another process commits them"),
    "demo": ("demo", "run a backtest on the bundled data, print its report and replay-check it"),
    "backtest": ("backtest", "run a backtest and write its journal and report"),
    "replay": ("replay", "rebuild the state of a journal at a seq or time"),
    "bisect": ("bisect", "find the first seq at which an invariant fails"),
    "diff": ("diff", "compare two journals record by record"),
    "trace": ("trace", "show the causal chain of a record"),
    "check": ("check", "run invariants over a journal after every record"),
    "ingest": ("ingest", "validate and convert data files once into a journal-format catalog"),
    "catalog": ("catalog", "list a data catalog's instruments, time ranges and record counts"),
    "export": ("export", "write a catalog's market data as a NautilusTrader Parquet catalog"),
    "sweep": ("sweep", "run a backtest per point of a parameter grid, on Dask, into a table"),
    "live": ("live", "run strategies live against a FIX venue (journaled, replayable)"),
    "sandbox": ("sandbox", "run strategies on the simulated exchange with live market data"),
    "standby": ("standby", "follow a sandbox node's journal and take over when it is lost"),
    "record": ("record", "journal live market data with no strategies (backtest data later)"),
}


class _Parser(argparse.ArgumentParser):
    #: set by :func:`main` when ``--json`` is on the command line: usage errors print JSON too
    json_errors = False

    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; keep that
        self.print_usage(sys.stderr)
        if _Parser.json_errors:
            _json_error(self.prog.removeprefix("ringbus").strip() or None, 2, message)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _json_error(command: str | None, code: int, message: str) -> None:
    print(json.dumps({"command": command, "error": message, "exit_code": code},
                     sort_keys=True), file=sys.stdout, flush=True)


class _Watch:
    """Passes writes through to ``stream``, remembering them (stderr) or that there were any."""

    def __init__(self, stream: TextIO, keep: bool) -> None:
        self._stream, self._keep = stream, keep
        self.text: list[str] = []
        self.written = False

    def write(self, s: str) -> int:
        self.written = self.written or bool(s)
        if self._keep:
            self.text.append(s)
        return self._stream.write(s)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _available() -> dict[str, tuple[str, str]]:
    """Returns the subcommands whose modules are installed."""
    found = {}
    for name, (module, help_text) in COMMANDS.items():
        if importlib.util.find_spec(f"replay.commands.{module}") is not None:
            found[name] = (module, help_text)
    return found


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Returns the command line's parser; with ``only`` (a subcommand's name) it holds that
    subcommand alone, so running one command imports no other command's module."""
    parser = _Parser(
        prog="ringbus",
        description="Event-sourced trading engine: every command and event is a record in a "
        "ring buffer, journaled to LMDB; all state is a replay of that journal.",
    )
    parser.add_argument("--version", action="version", version=f"ringbus {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in _available().items():
        if only is not None and name != only:
            continue
        command = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(f"replay.commands.{module}").add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None, *, isolate: bool | None = None) -> int:
    """Runs the command line; returns the process exit code.

    Commands whose module sets ``READS_JOURNAL`` run in a child process when ``isolate`` is
    true (by default: when called as the ``ringbus`` program, ``argv`` None), so a damaged
    journal page cannot kill the command (:mod:`replay.isolation`)."""
    as_program = argv is None
    if as_program:
        single_threaded_blas(os.environ)
    code = _main(argv, as_program if isolate is None else isolate)
    if as_program:
        # The process ends right after this: the collector's final passes at exit would walk
        # every object the command made (a backtest's orders, fills, positions: 0.1-0.3 s for
        # ema_cross over 100 k quotes) to free what the OS frees anyway. Frozen objects are
        # skipped.
        gc.freeze()
        _exit_now(code)
    return code


def single_threaded_blas(environ: Any) -> None:
    """Pins OpenBLAS (numpy's linear algebra) to one thread in the ``ringbus`` program unless
    the user chose a count (``OPENBLAS_NUM_THREADS`` already set): ringbus makes no BLAS call,
    yet OpenBLAS starts and spins a thread per core when numpy loads (~0.1 s of CPU per
    command, taken from the CSV reader's threads on a 2-core machine), and a threaded BLAS
    may sum in a different order from run to run. Must run before numpy is imported."""
    environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _exit_now(code: int) -> None:
    """Ends the ``ringbus`` program with ``code`` once its output is flushed and its atexit
    handlers have run, without the interpreter's teardown of every module (numpy, pyarrow,
    the engine's: 30-60 ms of each command, for memory the OS frees anyway). Returns (the
    normal exit then follows) when a thread other than the main one is alive, whose end the
    interpreter would wait for, when a profiler, tracer or monitoring tool is attached (cProfile,
    coverage, a debugger: they write their results after the program returns), or when flushing
    the output fails (the interpreter reports it as it always does)."""
    if threading.active_count() > 1 or _observed():
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: left to the normal exit
        return
    atexit._run_exitfuncs()
    os._exit(code)


def _observed() -> bool:
    """True when a profiler, a tracer or a ``sys.monitoring`` tool watches this process."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)  # Python >= 3.12
    return monitoring is not None and any(monitoring.get_tool(i) is not None for i in range(6))


def _main(argv: Sequence[str] | None, isolate: bool) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    if not argv:
        parser.print_help()
        return 2
    _Parser.json_errors = "--json" in argv
    try:
        args = parser.parse_args(argv)
    finally:
        _Parser.json_errors = False
    module = importlib.import_module(f"replay.commands.{_available()[args.command][0]}")
    if isolate and getattr(module, "READS_JOURNAL", False):
        from replay.isolation import run_isolated

        return run_isolated(args.command, lambda: _dispatch(module, args),
                            bool(getattr(args, "json", False)))
    return _dispatch(module, args)


def _dispatch(module: Any, args: argparse.Namespace) -> int:
    """Runs a command, under ``--json`` with its errors as JSON; Ctrl-C exits 130, a closed
    pipe 0."""
    try:
        return _run_json(module, args) if getattr(args, "json", False) else _run(module, args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _run_json(module: Any, args: argparse.Namespace) -> int:
    """Runs a command under ``--json``; an error it only wrote to stderr becomes JSON too."""
    out, err = _Watch(sys.stdout, keep=False), _Watch(sys.stderr, keep=True)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    try:
        code = _run(module, args)
    except (KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:  # an unexpected error: still one JSON object, the trace on stderr
        traceback.print_exc()
        code, err.text = 1, [f"{type(exc).__name__}: {exc}"]
    finally:
        sys.stdout, sys.stderr = saved
    if code != 0 and not out.written:
        message = "".join(err.text).strip() or f"exit code {code}"
        message = message.removeprefix(f"ringbus {args.command}: ").removeprefix("error: ")
        _json_error(args.command, code, message)
    return code


def _run(module: Any, args: argparse.Namespace) -> int:
    """Runs a command; a journal held by another writer (exit 2) or a full disk (exit 1)
    ends it with one line rather than a traceback, whichever command met it. A command whose
    module sets ``BATCH_JOB`` runs under :func:`replay.gc_policy.collector_for_batch`: its
    imports (numpy, the engine: some 10^5 objects, all kept) then make no young collections."""
    if getattr(module, "BATCH_JOB", False):
        from replay.gc_policy import collector_for_batch

        with collector_for_batch():
            return _run_command(module, args)
    return _run_command(module, args)


def _run_command(module: Any, args: argparse.Namespace) -> int:
    from journal.errors import JournalFullError, WriterLockedError

    try:
        return int(module.run(args))
    except WriterLockedError as exc:
        sys.stderr.write(f"ringbus {args.command}: {exc}; stop it or choose another "
                         f"journal\n")
        return 2
    except JournalFullError as exc:
        sys.stderr.write(f"ringbus {args.command}: journal full: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
