"""``ringbus inspect JOURNAL``: seq range, counts by kind, time range, runs, size, schema."""

from __future__ import annotations

import argparse

#: run in a child process by the command line (replay.isolation): the journal may be damaged
READS_JOURNAL = True

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="journal directory")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import json
    import struct
    import sys

    import lmdb

    from journal.errors import CorruptionError, JournalError
    from journal.store import Journal
    from journal.summary import summarize

    try:
        journal = Journal.open(args.journal, readonly=True)
    except CorruptionError as exc:  # LMDB's own pages are damaged: a finding
        _fail(args, str(exc), seq_range=list(exc.seq_range))
        return 1
    except JournalError as exc:
        _fail(args, str(exc))
        return 2
    with journal:
        try:
            summary = summarize(journal)
        except CorruptionError as exc:
            _fail(args, str(exc), seq_range=list(exc.seq_range))
            return 1
        except (lmdb.Error, struct.error) as exc:  # LMDB refuses one of its own pages
            _fail(args, f"journal structure damaged: {type(exc).__name__}: {exc}")
            return 1
    status = 1 if summary["unknown_kinds"] else 0  # a record this build cannot read: a finding
    if args.json:
        print(json.dumps(summary, sort_keys=True))
        return status
    out = sys.stdout
    out.write(f"journal      {summary['path']}\n")
    out.write(f"seq          {summary['first_seq']}..{summary['last_seq']} "
              f"({summary['n_records']} records in {summary['n_batches']} batches)\n")
    if summary["time_range"]:
        tr = summary["time_range"]
        out.write(f"ts_init      {tr['first_iso']} .. {tr['last_iso']}\n")
        out.write(f"             {tr['first_ts_init']} .. {tr['last_ts_init']} ns\n")
    out.write(f"size         {summary['size_on_disk_bytes']} bytes on disk\n")
    out.write(f"durability   {summary['durability']}\n")
    out.write(f"schema       {summary['schema_fingerprint']} (format {summary['format_version']})\n")
    out.write(f"writer       {summary['writer_pid'] or 'none'}\n")
    out.write("kinds\n")
    for name, count in sorted(summary["counts_by_kind"].items(), key=lambda kv: -kv[1]):
        out.write(f"  {name:<24}{count:>14}\n")
    out.write(f"runs         {len(summary['runs'])}\n")
    for r in summary["runs"]:
        out.write(f"  run {r['run_id']:<20} seq {r['first_seq']}..{r['last_seq']}  "
                  f"{r['end_state']}  parent {r['parent_run_id']}\n")
        if r["manifest"]:
            m = r["manifest"]
            out.write(f"    version {m['version']} seed {m['seed']} config_hash "
                      f"{m['config_hash']:016x} config {json.dumps(m['config'], sort_keys=True)}\n")
    for code, seq in summary["unknown_kinds"].items():
        sys.stderr.write(f"ringbus inspect: unknown record kind {code} at seq {seq} (first of "
                         f"its kind): a journal of a newer build or a damaged one\n")
    return status


def _fail(args: argparse.Namespace, message: str, **extra: object) -> None:
    import json
    import sys

    if args.json:
        print(json.dumps({"error": message, **extra}, sort_keys=True))
    else:
        print(f"ringbus inspect: {message}", file=sys.stderr)
