"""``ringbus live --config live.toml [--journal DIR] [--seconds S] [--quotes-stdin] [--json]``:
run strategies live against a FIX venue (:mod:`replay.nodes.live`).

The config is a backtest config (venues, instruments, strategies, risk, seed, journal,
durability) plus ``[fix]`` (the venue's session; the password from ``password_env`` or
``password_file``) and ``[live]`` (stop behaviour). ``--quotes-stdin`` reads market data lines
``SYMBOL.VENUE BID ASK [BID_SIZE ASK_SIZE]`` from stdin into the node (a venue such as QuickFIX
ordermatch publishes none). The node prints ``READY <journal>`` once it takes inputs; it stops
on SIGINT / SIGTERM, after ``--seconds`` or at the end of stdin with ``--quotes-stdin``, and
prints its run (exit 0). A bad config exits 2; a node that cannot start exits 1.
"""

from __future__ import annotations

import argparse
import sys
import threading
from decimal import Decimal, InvalidOperation
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="live node TOML file")
    parser.add_argument("--journal", default=None, help="journal directory (overrides config)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="stop after this many seconds (default: until SIGINT / SIGTERM)")
    parser.add_argument("--quotes-stdin", action="store_true",
                        help="read 'SYMBOL.VENUE BID ASK [BID_SIZE ASK_SIZE]' lines from stdin")
    parser.add_argument("--json", action="store_true", help="print the run as JSON")


def quote_line(node: Any, line: str, where: str) -> Any:
    """Returns the QUOTE record of one stdin line; ValueError names the line and the field."""
    from domain.codec import encode
    from domain.kinds import Kind

    parts = line.split()
    if len(parts) not in (3, 5):
        raise ValueError(f"{where}: expected 'SYMBOL.VENUE BID ASK [BID_SIZE ASK_SIZE]', "
                         f"got {line!r}")
    symbol = parts[0]
    try:
        iid = node.instrument_id(symbol)
    except KeyError:
        raise ValueError(f"{where}: symbol {symbol!r} is not an instrument of the config") from None
    inst = node.kernel.ctx.cache.instrument(iid)
    pp, sp = inst.price_precision, inst.size_precision
    names = ("bid", "ask", "bid_size", "ask_size")
    values = [*parts[1:], "1", "1"][:4] if len(parts) == 3 else parts[1:]
    raw = {}
    for name, text, prec in zip(names, values, (pp, pp, sp, sp), strict=True):
        try:
            value = Decimal(text).scaleb(prec)
        except InvalidOperation:
            raise ValueError(f"{where}: {name} {text!r} is not a number") from None
        if value != value.to_integral_value():
            raise ValueError(f"{where}: {name} {text!r} has more than {prec} decimals")
        raw[name] = int(value)
    return encode(Kind.QUOTE, instrument_id=iid, price_precision=pp, size_precision=sp, **raw)


def _read_quotes(node: Any, stop: threading.Event, errors: list[str]) -> None:
    try:
        for n, line in enumerate(sys.stdin, 1):
            if stop.is_set():
                return
            if line.strip() and not line.lstrip().startswith("#"):
                node.push(quote_line(node, line, f"stdin line {n}"))
    except ValueError as exc:
        errors.append(str(exc))
    finally:
        stop.set()


def run(args: argparse.Namespace) -> int:
    import json

    from replay.commands.stopping import stop_on_signals
    from replay.config import ConfigError, read_toml
    from replay.nodes.live import LiveNode

    try:
        node = LiveNode(read_toml(args.config, "live config"), journal=args.journal)
    except (ConfigError, ValueError, TypeError) as exc:
        print(f"ringbus live: {args.config}: {exc}", file=sys.stderr)
        return 2
    stop = stop_on_signals()
    try:
        node.start()
    except (ConfigError, OSError, TimeoutError) as exc:
        print(f"ringbus live: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    print(f"READY {node.path}", flush=True)
    errors: list[str] = []
    if args.quotes_stdin:
        threading.Thread(target=_read_quotes, args=(node, stop, errors), daemon=True).start()
    timer = threading.Timer(args.seconds, stop.set) if args.seconds is not None else None
    if timer is not None:
        timer.start()
    try:
        while not stop.wait(0.2) and node.running:
            pass
    finally:
        if timer is not None:
            timer.cancel()
    result = node.stop()
    for error in errors:
        print(f"ringbus live: {error}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json_dict(), sort_keys=True))
    else:
        print(f"live run {result.run_id:016x} ended {result.end_reason}: journal {result.journal} "
              f"(session store {result.session_journal}), seqs {result.first_seq}.."
              f"{result.last_seq}, {result.n_inputs} inputs, state_hash {result.state_hash:016x}")
    if result.fault:
        print(f"ringbus live: the run FAULTED: {result.fault}", file=sys.stderr)
    return 1 if errors or result.end_reason == "FAULTED" else 0
