"""``ringbus record --config feeds.toml --journal DIR [--seconds S]``: journal live market data.

The feeds file has a ``[binance]`` table (the adapter's settings, see docs/live-data.md) with
``[[binance.symbols]]`` tables (``symbol``, ``price_precision``, ``size_precision``). The run
ends on SIGINT / SIGTERM or after ``--seconds``, with RUN_ENDED; exit 0. The journal is backtest
data: ``ringbus backtest --data DIR``.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="feeds TOML file")
    parser.add_argument("--journal", required=True, help="journal directory")
    parser.add_argument("--seconds", type=float, default=None,
                        help="stop after this many seconds (default: until SIGINT / SIGTERM)")
    parser.add_argument("--durability", choices=("none", "batch", "sync"), default="sync")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import signal
    import sys
    import tomllib

    from journal.runs import format_run_id
    from replay.nodes.record import RecordNode

    try:
        with open(args.config, "rb") as f:
            feeds = tomllib.load(f)
        node = RecordNode(feeds, args.journal, durability=args.durability)
    except (OSError, ValueError, TypeError) as exc:
        print(f"ringbus record: {args.config}: {exc}", file=sys.stderr)
        return 2

    async def main() -> object:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if args.seconds is not None:
            loop.call_later(args.seconds, stop.set)
        return await node.run(stop)

    done = asyncio.run(main())
    doc = {"journal": done.journal, "run_id": format_run_id(done.run_id),
           "first_seq": done.first_seq, "last_seq": done.last_seq, "n_inputs": done.n_inputs,
           "resyncs": done.resyncs}
    print(json.dumps(doc) if args.json else
          " ".join(f"{k}={v}" for k, v in doc.items()))
    return 0
