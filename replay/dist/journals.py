"""Many-journal jobs: ``ringbus check`` / ``ringbus verify`` over many journals in parallel.

Design contract:
- each journal is checked by the very command that checks one journal (its ``run`` on a copy
  of the parsed arguments naming that journal), on a worker; its exit code and the exact text
  it printed come back (never the journal) and are printed here in the order given;
- the aggregate: a summary line on stderr, ``--json`` one object with every journal's parsed
  output and exit code; exit 1 when any journal has a finding, else 2 when any could not be
  opened, else 0.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

import attrs

from domain.digest import blake2b
from replay.dist.capture import captured
from replay.dist.cluster import open_client
from replay.dist.tasks import map_tasks


@attrs.frozen
class JournalTask:
    command: str  # module under replay.commands: check or verify
    args: argparse.Namespace  # the command's parsed arguments, ``journal`` = [one journal]


@attrs.frozen
class JournalReport:
    journal: str
    exit_code: int
    stdout: str
    stderr: str


def add_fanout_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds ``--scheduler`` and ``--workers`` for commands taking several journals."""
    parser.add_argument("--scheduler", metavar="ADDR",
                        help="with several journals: a running Dask scheduler "
                        "(tcp://host:8786) whose workers see the journals' paths")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="with several journals: local worker processes (default: the CPU "
                        "count; 0: one after the other in this process)")


def check_one(task: JournalTask) -> JournalReport:
    """Runs the command on one journal in this process, capturing what it prints."""
    module = importlib.import_module(f"replay.commands.{task.command}")
    with captured() as out:
        code = int(module.run(argparse.Namespace(**vars(task.args))))
    return JournalReport(task.args.journal[0], code, out["stdout"].getvalue(),
                         out["stderr"].getvalue())


def aggregate_exit(codes: list[int]) -> int:
    """Returns 1 if any journal has a finding, else 2 if any could not be opened, else 0."""
    return 1 if 1 in codes else 2 if any(codes) else 0


def run_many(command: str, args: argparse.Namespace, journals: list[str]) -> int:
    """Runs ``ringbus COMMAND`` over ``journals`` (see the module contract); returns the exit
    code."""
    options = {**vars(args), "scheduler": None, "workers": None}
    tasks = [JournalTask(command, argparse.Namespace(**{**options, "journal": [j]}))
             for j in journals]
    keys = [f"ringbus-{command}-{i}-" + blake2b(j.encode(), digest_size=6).hexdigest()
            for i, j in enumerate(journals)]
    with open_client(args.scheduler, args.workers) as client:
        reports = map_tasks(check_one, tasks, keys, client, retries=1)
    codes = [r.exit_code for r in reports]
    if getattr(args, "json", False):
        docs = []
        for r in reports:
            try:
                doc = json.loads(r.stdout) if r.stdout.strip() else None
            except ValueError:
                doc = None
            docs.append({"journal": r.journal, "exit_code": r.exit_code, "result": doc,
                         "stderr": r.stderr})
        print(json.dumps({"journals": docs, "summary": _summary(reports)}, sort_keys=True,
                         default=str))
    else:
        for r in reports:
            sys.stdout.write(r.stdout)
            sys.stderr.write(r.stderr)
        s = _summary(reports)
        named = "".join(f"\n  {k}: {', '.join(v)}" for k, v in
                        (("findings", s["with_findings"]), ("unreadable", s["unreadable"])) if v)
        out = sys.stdout if s["exit_code"] == 0 else sys.stderr
        out.write(f"{command}: {s['n_journals']} journals: {s['n_ok']} ok, "
                         f"{len(s['with_findings'])} with findings, {len(s['unreadable'])} "
                         f"unreadable{named}\n")
    return aggregate_exit(codes)


def _summary(reports: list[JournalReport]) -> dict[str, Any]:
    return {"n_journals": len(reports), "n_ok": sum(r.exit_code == 0 for r in reports),
            "with_findings": [r.journal for r in reports if r.exit_code == 1],
            "unreadable": [r.journal for r in reports if r.exit_code not in (0, 1)],
            "exit_code": aggregate_exit([r.exit_code for r in reports])}
