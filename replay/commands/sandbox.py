"""``ringbus sandbox --config sandbox.toml [--journal DIR] [--seconds S] [--json]``: run
strategies against the simulated exchange on live market data (:mod:`replay.nodes.sandbox`).

The config is a backtest config plus a ``[binance]`` feeds table (one or more symbols) and an
optional ``[sandbox]`` table (``heartbeat_interval_s``). The run ends on
SIGINT / SIGTERM or after ``--seconds`` and prints the backtest's summary (exit 0); bad config
exits 2.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="sandbox TOML file")
    parser.add_argument("--journal", default=None, help="journal directory")
    parser.add_argument("--seconds", type=float, default=None,
                        help="stop after this many seconds (default: until SIGINT / SIGTERM)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    import threading
    import tomllib

    from replay.commands.stopping import stop_on_signals
    from replay.nodes.sandbox import SandboxNode

    try:
        with open(args.config, "rb") as f:
            node = SandboxNode(tomllib.load(f), journal=args.journal)
    except (OSError, ValueError, TypeError) as exc:
        print(f"ringbus sandbox: {args.config}: {exc}", file=sys.stderr)
        return 2
    stop = stop_on_signals()
    timer = threading.Timer(args.seconds, stop.set) if args.seconds is not None else None
    if timer is not None:
        timer.start()
    try:
        result = node.run(stop)
    finally:
        if timer is not None:
            timer.cancel()
    if args.json:
        print(json.dumps(result.to_json_dict(), sort_keys=True))
    else:
        from replay.report import format_report

        print(format_report(result))
    return 0
