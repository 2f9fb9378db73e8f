"""The ``ringbus`` command line.

Design contract:
- every subcommand lives in its own module under :mod:`replay.commands` and is imported only when
  it runs, so ``ringbus --help`` and ``ringbus inspect`` start fast;
- exit codes: 0 success, 1 a finding (corruption, divergence, violation), 2 usage errors and
  inputs that cannot be opened;
- ``--json`` output is one JSON object on stdout (JSON lines for streaming commands).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from typing import Any

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
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 on usage errors; keep that
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _available() -> dict[str, tuple[str, str]]:
    """Returns the subcommands whose modules are installed."""
    found = {}
    for name, (module, help_text) in COMMANDS.items():
        if importlib.util.find_spec(f"replay.commands.{module}") is not None:
            found[name] = (module, help_text)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ringbus",
        description="Event-sourced trading engine: every command and event is a record in a "
        "ring buffer, journaled to LMDB; all state is a replay of that journal.",
    )
    parser.add_argument("--version", action="version", version=f"ringbus {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_text) in _available().items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(f"replay.commands.{module}").add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None, *, isolate: bool | None = None) -> int:
    """Runs the command line; returns the process exit code.

    Commands whose module sets ``READS_JOURNAL`` run in a child process when ``isolate`` is
    true (by default: when called as the ``ringbus`` program, ``argv`` None), so a damaged
    journal page cannot kill the command (:mod:`replay.isolation`)."""
    isolate = argv is None if isolate is None else isolate
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 2
    args = parser.parse_args(argv)
    module = importlib.import_module(f"replay.commands.{_available()[args.command][0]}")
    if isolate and getattr(module, "READS_JOURNAL", False):
        from replay.isolation import run_isolated

        return run_isolated(args.command, lambda: _run(module, args),
                            bool(getattr(args, "json", False)))
    try:
        return _run(module, args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _run(module: Any, args: argparse.Namespace) -> int:
    """Runs a command; a journal held by another writer (exit 2) or a full disk (exit 1)
    ends it with one line rather than a traceback, whichever command met it."""
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
