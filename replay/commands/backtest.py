"""``ringbus backtest``: run a backtest, write its journal and report, print the results.

Exit codes: 0 the run completed; 2 bad usage or bad input (config, data file, instrument,
strategy), reported on stderr as one line naming the file, line / record, field and value;
1 the run FAULTED (a strategy's exception or a broken invariant: the journal keeps its clean
prefix, the fault's text and RUN_ENDED FAULTED; the report is written and says so);
130 interrupted by SIGINT (RUN_ENDED INTERRUPTED: the same command resumes the run). Run
again on a journal whose run completed, the command writes the report if it is missing.
"""

from __future__ import annotations

import argparse
from typing import Any

#: a batch job: it runs under the batch collector policy (replay.cli, replay.gc_policy)
BATCH_JOB = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategy", action="append", default=[], metavar="NAME|module:Class",
                        help="built-in strategy (noop, ema_cross, market_maker) or module:Class; "
                        "repeat for several")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="strategy parameter (int, float, true/false or text); repeatable")
    add_run_arguments(parser)
    parser.add_argument("--journal", metavar="DIR", help="journal directory (default: a new "
                        "folder under ./runs/)")
    parser.add_argument("--report", metavar="DIR", help="report directory (default: "
                        "JOURNAL/report); must not exist")
    parser.add_argument("--config", metavar="FILE.toml", help="backtest config file; the "
                        "options above override it")
    parser.add_argument("--plot", action="store_true", help="also draw the report's equity.png "
                        "(matplotlib, extra 'plot'; its import costs 0.5-2 s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the options of a run's data, account and journal (shared with ``ringbus sweep``,
    which applies them to every point)."""
    parser.add_argument("--data", action="append", default=[], metavar="PATH",
                        help="data file (format detected); repeatable")
    parser.add_argument("--data-option", action="append", default=[], metavar="KEY=VALUE",
                        help="loader option for every --data file, e.g. size_precision=7 or "
                        "round_volume=true (an option the format does not take is refused)")
    parser.add_argument("--instrument", metavar="ID",
                        help="instrument of files that do not name one, e.g. AUD/USD.SIM")
    parser.add_argument("--balance", action="append", default=[], metavar="AMOUNT+CCY",
                        help="starting balance, e.g. 1000000USD (default 1000000 USD)")
    parser.add_argument("--durability", choices=("none", "batch", "sync"),
                        help="journal durability (default none)")
    parser.add_argument("--seed", type=int, help="seed of the run's random generators")
    parser.add_argument("--snapshot-every", type=int, metavar="N",
                        help="store a snapshot of the whole kernel in the journal every N "
                        "records (crash recovery starts from the newest; default 0: none)")
    parser.add_argument("--snapshot-interval-ns", type=int, metavar="NS",
                        help="also store a snapshot every NS nanoseconds of ts_init "
                        "(default 0: none)")
    parser.add_argument("--order-history", type=_bound_arg, metavar="N|all",
                        help="closed orders kept in memory for the orders table (default "
                        "100000; [run] order_history)")
    parser.add_argument("--keep-records", type=_bound_arg, metavar="N|all|none",
                        help="fill records and position cycles kept in memory for the fills "
                        "and positions tables (default 100000; none: sums only; [run] "
                        "keep_records)")


def _bound_arg(text: str) -> Any:
    """``all`` -> True, ``none`` -> False, else an int (RunConfig converts and checks it)."""
    words = {"all": True, "none": False}
    if text.lower() in words:
        return words[text.lower()]
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an int, 'all' or 'none', got {text!r}") from None


def build_config(args: argparse.Namespace) -> Any:
    """Returns the BacktestConfig of the command line (a config file, then the options)."""
    import attrs

    from replay.backtest_setup import parse_balance
    from replay.config import BacktestConfig, DataConfig, StrategyConfig, load_toml
    from replay.strategy_registry import parse_params

    config = load_toml(args.config) if args.config else BacktestConfig()
    changes: dict[str, Any] = {}
    if args.strategy:
        params = parse_params(args.param)
        changes["strategies"] = [StrategyConfig(name, params) for name in args.strategy]
    elif args.param:
        changes["strategies"] = [attrs.evolve(s, params={**s.params, **parse_params(args.param)})
                                 for s in config.strategies]
    if args.data:
        options = parse_params(args.data_option)
        changes["data"] = [DataConfig(path, options=options) for path in args.data]
    elif args.data_option:
        options = parse_params(args.data_option)
        changes["data"] = [attrs.evolve(d, options={**d.options, **options}) for d in config.data]
    if args.instrument:
        changes["data"] = [d if d.instrument_id else attrs.evolve(d, instrument_id=args.instrument)
                           for d in changes.get("data", config.data)]
    if args.balance:
        balances = []
        for text in args.balance:
            ccy, _ = parse_balance(text, "--balance")
            balances.append(f"{text.strip()[: -len(ccy.code)].strip()} {ccy.code}")
        changes["venues"] = [attrs.evolve(v, starting_balances=balances) for v in config.venues]
    for name in ("journal", "durability", "seed", "snapshot_every", "snapshot_interval_ns"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    memory = {name: getattr(args, name) for name in ("order_history", "keep_records")
              if getattr(args, name) is not None}
    if memory:
        changes["run"] = attrs.evolve(config.run, **memory)
    return attrs.evolve(config, **changes)


def execute(args: argparse.Namespace, prefix: str = "backtest") -> tuple[Any, Any, bool]:
    """Runs the backtest of ``args`` and writes its report; returns (run, report dir, png)."""
    import sys

    from replay.backtest import BacktestNode
    from replay.backtest_run import REBUILT_NOTE
    from replay.report import check_report_dir, existing_report_of, write_report

    config = build_config(args)
    if args.report:
        check_report_dir(args.report)
    node = BacktestNode(config, progress=not args.quiet and not args.json, journal_prefix=prefix)
    result = node.run()
    for note in result.notes:
        sys.stderr.write(f"note: {note}\n")
    if result.end_reason == "INTERRUPTED":
        return result, None, False
    default_dir = f"{result.journal}/report"
    done = None
    if not args.report and REBUILT_NOTE in result.notes:
        # the same command again after the run completed (or after a kill that landed once its
        # report was written): that report is this run's, so the command succeeds as it did
        done = existing_report_of(result, default_dir)
    if done is not None:
        report_dir, png = done, (done / "equity.png").exists()
    else:
        report_dir, png = write_report(result, args.report or default_dir, plot=args.plot)
    if not args.json and not args.quiet:
        for sym in result.inferred_instruments:
            sys.stderr.write(f"note: instrument {sym} inferred from the data (set it with "
                             "--instrument or a config file)\n")
    return result, report_dir, png


def bad_input_errors() -> tuple[type[BaseException], ...]:
    """The exception types reported as bad input (exit 2)."""
    return (ValueError, OSError, KeyError)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    try:
        result, report_dir, png = execute(args)
    except KeyboardInterrupt:
        sys.stderr.write("ringbus backtest: interrupted before the run started its data; run "
                         "the same command to start (or recover) it\n")
        return 130
    except bad_input_errors() as exc:
        sys.stderr.write(f"ringbus backtest: error: {exc}\n")
        return 2
    except RuntimeError as exc:
        sys.stderr.write(f"ringbus backtest: kernel stopped: {type(exc).__name__}: {exc}\n")
        return 1
    if result.end_reason == "INTERRUPTED":
        sys.stderr.write(f"ringbus backtest: interrupted at seq {result.last_seq} (RUN_ENDED "
                         f"INTERRUPTED, journal {result.journal}): run the same command to "
                         "resume\n")
        if args.json:
            print(json.dumps(result.to_json_dict(), sort_keys=True))
        return 130
    code = 1 if result.end_reason == "FAULTED" else 0
    if code:
        sys.stderr.write(f"ringbus backtest: run FAULTED at seq {result.last_seq}: "
                         f"{result.fault} (journal {result.journal}, report {report_dir})\n")
    if args.json:
        print(json.dumps({**result.to_json_dict(), "report": str(report_dir)}, sort_keys=True))
        return code
    from replay.report import format_report

    print(format_report(result))
    print(f"{'report':<14}  {report_dir}" + ("" if png or not args.plot else
          "  (no equity.png: matplotlib is not installed; pip install ringbus[plot])"))
    return code
