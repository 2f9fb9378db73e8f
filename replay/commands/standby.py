"""``ringbus standby JOURNAL --config sandbox.toml [--json]``: a hot standby of a sandbox node
(:mod:`replay.nodes.standby`).

Prints one status line per folded batch (seq and state hash, as ``tail --state``), then
``takeover last_seq_seen=N`` when it takes over; the new node runs until SIGINT / SIGTERM and
its summary is printed (exit 0). Stopped before a takeover: exit 0 with nothing more.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="the primary's journal directory")
    parser.add_argument("--config", required=True, help="the primary's sandbox TOML file")
    parser.add_argument("--poll-s", type=float, default=0.05,
                        help="how often the primary's writer lock is checked (seconds)")
    parser.add_argument("--json", action="store_true", help="print JSON lines")


def run(args: argparse.Namespace) -> int:
    import json
    import signal
    import sys
    import threading
    import tomllib

    from replay.nodes.standby import Standby, Takeover
    from replay.tail_state import summary_line

    def status(report: dict) -> None:
        line = json.dumps({"status": "following", **report}) if args.json \
            else summary_line(report)
        print(line, flush=True)

    def takeover(t: Takeover) -> None:
        print(json.dumps({"status": "takeover", "last_seq_seen": t.last_seq_seen}) if args.json
              else f"takeover last_seq_seen={t.last_seq_seen}", flush=True)

    try:
        with open(args.config, "rb") as f:
            config = tomllib.load(f)
        standby = Standby(args.journal, config, on_status=status, on_takeover=takeover,
                          poll_s=args.poll_s)
    except (OSError, ValueError) as exc:
        print(f"ringbus standby: {args.config}: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stop.set())
    done = standby.run(stop)
    if done is not None and done.run is not None:
        doc = done.run.to_json_dict()
        print(json.dumps({"status": "ended", **doc}) if args.json else
              f"ended {doc['journal']} last_seq={doc['last_seq']} state_hash={doc['state_hash']}",
              flush=True)
    return 0
