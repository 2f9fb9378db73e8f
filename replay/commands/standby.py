"""``ringbus standby JOURNAL --config sandbox.toml [--heartbeat-timeout S] [--on-silence
fence|report] [--json]``: a hot standby of a live or sandbox node
(:mod:`replay.nodes.standby`); a live node's FIX password comes from the environment / file its
config names, as for ``ringbus live``.

Prints one status line per folded batch (seq and state hash, as ``tail --state``);
``primary_silent`` / ``primary_resumed`` lines when a heartbeating primary goes silent past the
timeout while it holds the writer lock (and speaks again); then ``takeover last_seq_seen=N
reason=R`` when it takes over; the new node runs until SIGINT / SIGTERM and its summary is
printed (exit 0). Stopped before a takeover, or the primary ended its run: exit 0.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("journal", help="the primary's journal directory")
    parser.add_argument("--config", required=True,
                        help="the primary's TOML file (a live node's or a sandbox's)")
    parser.add_argument("--poll-s", type=float, default=0.05,
                        help="how often the primary's writer lock is checked (seconds)")
    parser.add_argument("--heartbeat-timeout", type=float, default=2.0,
                        help="seconds without a new record after which a primary that writes "
                        "heartbeats is silent (at least twice its heartbeat interval)")
    parser.add_argument("--on-silence", choices=("fence", "report"), default="fence",
                        help="a silent primary still holding the writer lock: fence = SIGKILL "
                        "it and take over; report = print primary_silent and keep following")
    parser.add_argument("--json", action="store_true", help="print JSON lines")


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    import tomllib

    from replay.commands.stopping import stop_on_signals
    from replay.nodes.standby import Standby, Takeover
    from replay.tail_state import summary_line

    def status(report: dict) -> None:
        if "status" in report:  # an event about the primary
            line = json.dumps(report) if args.json else \
                " ".join([report["status"], *(f"{k}={v}" for k, v in report.items()
                                              if k != "status")])
        else:
            line = json.dumps({"status": "following", **report}) if args.json \
                else summary_line(report)
        print(line, flush=True)

    def takeover(t: Takeover) -> None:
        doc = {"status": "takeover", "last_seq_seen": t.last_seq_seen,
               "reason": t.reason.name, "old_writer_pid": t.old_writer_pid,
               "silent_s": round(t.silent_s, 3)}
        print(json.dumps(doc) if args.json else " ".join(
            ["takeover", *(f"{k}={v}" for k, v in doc.items() if k != "status")]), flush=True)

    try:
        with open(args.config, "rb") as f:
            config = tomllib.load(f)
        standby = Standby(args.journal, config, on_status=status, on_takeover=takeover,
                          poll_s=args.poll_s, heartbeat_timeout=args.heartbeat_timeout,
                          on_silence=args.on_silence)
    except (OSError, ValueError) as exc:
        print(f"ringbus standby: {args.config}: {exc}", file=sys.stderr)
        return 2

    stop = stop_on_signals()
    done = standby.run(stop)
    if standby.primary_ended:
        print(json.dumps({"status": "primary_ended", "seq": standby.last_seq}) if args.json
              else f"primary_ended seq={standby.last_seq}", flush=True)
    if done is not None and done.run is not None:
        doc = done.run.to_json_dict()
        print(json.dumps({"status": "ended", **doc}) if args.json else
              f"ended {doc['journal']} last_seq={doc['last_seq']} state_hash={doc['state_hash']}",
              flush=True)
    return 0
