"""The incident walkthrough, end to end: a buggy run, bisect to the bad seq, inspect the state,
trace the cause, fix the strategy, re-execute the original inputs with the fix, diff.

    python examples/incident/run_incident.py [--workdir DIR] [--json]

Each step prints the ``ringbus`` command that does the same from a shell (with this folder on
``PYTHONPATH``, so the strategy and invariant modules import). Exit 0 when the walkthrough went
as documented (the bug is found, the fix removes it), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the strategy and invariant modules of this example

PARAMS = {"period": 50, "threshold": 0.00005, "trade_size": 100_000, "max_position": 200_000,
          "cooldown": 20}
INVARIANT = "incident_checks:position_within_limit"


def demo_data() -> Path:
    import replay

    return Path(replay.__file__).resolve().parent / "demo_data" / "eurusd-histdata-20200101.csv.gz"


def step(title: str, command: str) -> None:
    print(f"\n== {title}\n$ PYTHONPATH={HERE} {command}")


def walkthrough(workdir: Path) -> dict[str, Any]:
    """Runs every step; returns what each found (plain data)."""
    from incident_strategy_fixed import MeanReverter as Fixed

    from journal.reader import JournalReader
    from journal.store import Journal
    from replay.backtest import BacktestNode
    from replay.bisect import bisect
    from replay.config import BacktestConfig, DataConfig, StrategyConfig
    from replay.diff import diff
    from replay.reexecute import reexecute
    from replay.state_report import format_report
    from replay.trace import trace

    original, fixed = workdir / "incident", workdir / "incident-fixed"
    for path in (original, fixed):
        shutil.rmtree(path, ignore_errors=True)
    config = BacktestConfig(
        data=[DataConfig(str(demo_data()), instrument_id="EUR/USD.SIM")],
        strategies=[StrategyConfig("incident_strategy_buggy:MeanReverter", dict(PARAMS))],
        journal=str(original))
    toml = workdir / "incident.toml"
    toml.write_text(
        f'[[data]]\npath = "{demo_data()}"\ninstrument_id = "EUR/USD.SIM"\n\n'
        f'[[strategies]]\nname = "incident_strategy_buggy:MeanReverter"\n'
        f"params = {{ {', '.join(f'{k} = {v!r}' for k, v in PARAMS.items())} }}\n")
    step("1. the run with the buggy strategy",
         f"ringbus backtest --config {toml} --journal {original}")
    run = BacktestNode(config).run()
    print(f"{run.n_records} records, {run.result.summary['n_fills']} fills, "
          f"state_hash {run.state_hash:016x}")

    step("2. the first seq where a position exceeds its limit",
         f"ringbus bisect {original} --invariant {INVARIANT}")
    found = bisect(original, INVARIANT)
    print(f"{found.invariant} first fails at seq {found.seq}: {found.message}")

    step("3. the state there", f"ringbus replay {original} --to-seq {found.seq}")
    print(format_report(found.state) if found.state else "(no state)")

    step("4. what caused it", f"ringbus trace {original} --seq {found.seq}")
    with Journal.open(original) as journal:
        chain = trace(JournalReader(journal), found.seq)
    print(chain.format())

    step("5. re-execute the original inputs with the fixed strategy, into a new journal",
         f"ringbus verify {original} --reexecute --strategy incident_strategy_fixed:MeanReverter "
         + " ".join(f"--param {k}={v}" for k, v in PARAMS.items()) + f" --out {fixed}")
    redo = reexecute(original, strategies=[Fixed(**PARAMS)], out=fixed)
    print(f"{redo.n_inputs} inputs re-executed: {redo.n_records} records, "
          f"state_hash {redo.state_hash:016x}")

    step("6. what the fix changed", f"ringbus diff {original} {fixed}")
    with Journal.open(original) as a, Journal.open(fixed) as b:
        changed = diff(JournalReader(a), JournalReader(b))
    print(changed.format())

    step("7. the invariant holds on the fixed run", f"ringbus bisect {fixed} --invariant {INVARIANT}")
    after = bisect(fixed, INVARIANT)
    print("holds" if not after.failed else f"still fails at seq {after.seq}: {after.message}")
    return {
        "journal": str(original), "fixed_journal": str(fixed), "bad_seq": found.seq,
        "message": found.message, "state": found.state,
        "chain_kinds": [r["kind_name"] for r in chain.to_dict()["chain"]],
        "first_divergent_seq": changed.seq, "diff_kinds": {k: list(v) for k, v in changed.kinds.items()},
        "fixed_holds": not after.failed, "original_state_hash": f"{run.state_hash:016x}",
        "fixed_state_hash": f"{redo.state_hash:016x}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="runs", help="where the journals go (default runs/)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    args = parser.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    out = walkthrough(workdir)
    if args.json:
        print(json.dumps(out, sort_keys=True))
    ok = out["bad_seq"] > 0 and out["fixed_holds"] and out["first_divergent_seq"] > 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
