"""``ringbus demo``: the quickstart. An EMA-cross backtest on bundled EUR/USD quotes, its report,
then a replay check: verify the journal, rebuild the state from it, compare state hashes.

Exit codes: 0 the replay reproduced the run's state hash; 1 it did not (or the journal is not
clean); 2 the run could not be made. ``--json`` prints one object: the backtest's (as
``ringbus backtest --json``), its report folder and ``replay_check`` (verify status, records
replayed, both state hashes, ok).
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEMO_DATA = Path(__file__).resolve().parent.parent / "demo_data" / "eurusd-histdata-20200101.csv.gz"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", default="runs", metavar="DIR",
                        help="folder of the demo's journal (default ./runs)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--plot", action="store_true", help="also draw the report's equity.png "
                        "(matplotlib, extra 'plot'; its import costs 0.5-2 s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from replay.backtest import BacktestNode
    from replay.backtest_check import replay_check
    from replay.config import BacktestConfig, DataConfig, StrategyConfig
    from replay.report import format_report, write_report

    config = BacktestConfig(data=[DataConfig(str(DEMO_DATA), instrument_id="EUR/USD.SIM")],
                            strategies=[StrategyConfig("ema_cross")])
    try:
        node = BacktestNode(config, progress=not args.quiet and not args.json, journal_prefix="demo",
                            runs_root=args.runs)
        result = node.run()
        report_dir, png = write_report(result, Path(result.journal) / "report", plot=args.plot)
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"ringbus demo: error: {exc}\n")
        return 2
    if args.json:
        check = replay_check(result.journal, result.run_id, result.venue,
                             config.equity_interval_ns)
        print(json.dumps({**result.to_json_dict(), "report": str(report_dir),
                          "replay_check": check.to_dict()}, sort_keys=True))
        return 0 if check.ok else 1
    print(f"ringbus demo: ema_cross (fast 10, slow 20, 100 000 at market) on {DEMO_DATA.name}\n")
    print(format_report(result))
    print(f"{'report':<14}  {report_dir}")
    if args.plot and not png:
        print("               no equity.png: matplotlib is not installed "
              "(pip install 'ringbus[plot]')")
    print("\nreplay check: verify the journal, rebuild the state from its records ...")
    check = replay_check(result.journal, result.run_id, result.venue, config.equity_interval_ns)
    print(f"  journal verify     {check.verify_status}")
    print(f"  records replayed   {check.n_records:,}")
    print(f"  run state hash     {check.run_state_hash:016x}")
    print(f"  rebuilt state hash {check.rebuilt_state_hash:016x}")
    if check.ok:
        print("  OK: the replay of the journal reproduces the run's state exactly")
        return 0
    print("  MISMATCH: the replay does not reproduce the run's state", file=sys.stderr)
    return 1


def main() -> int:
    """Runs the demo without the ``ringbus`` entry point (``python -m replay.commands.demo``)."""
    parser = argparse.ArgumentParser(prog="ringbus demo", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
