"""The collector policy of a node's loop: thresholds set and restored, and runs unchanged by it."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from replay.gc_policy import GEN0_THRESHOLD, collector_for_batch, collector_for_runs
from tests.unit.test_backtest_helpers import quotes, random_walk, run_quotes
from tests.unit.test_backtest_node import journal_records


def test_inside_the_block_gen0_waits_longer_and_everything_is_restored_after() -> None:
    before = gc.get_threshold()
    with collector_for_runs():
        assert gc.get_threshold() == (GEN0_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_thresholds_are_restored_when_the_block_raises() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError, match="boom"), collector_for_runs(gen0=5000):
        raise RuntimeError("boom")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_caller_that_froze_objects_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_for_runs():
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_a_gen0_threshold_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="gen0 must be >= 1, got 0"), collector_for_runs(gen0=0):
        raise AssertionError("the block must not run")


def test_a_backtest_journals_the_same_records_under_the_default_collector(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = quotes(random_walk(4000, seed=3))
    tuned = run_quotes(tmp_path / "tuned", recs)
    with monkeypatch.context() as mp:  # the node's block becomes CPython's default policy
        mp.setattr("replay.backtest.collector_for_runs", lambda: collector_for_runs(gen0=700))
        default = run_quotes(tmp_path / "default", recs)
    assert tuned.result.summary["n_orders"] > 20
    assert tuned.state_hash == default.state_hash
    assert journal_records(tuned.journal).tobytes() == journal_records(default.journal).tobytes()


def test_the_batch_policy_sets_gen0_only_and_restores_it() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError, match="boom"), collector_for_batch(gen0=5000):
        assert gc.get_threshold() == (5000, *before[1:])
        assert gc.get_freeze_count() == 0
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_a_backtest_command_imports_and_reports_without_young_collections(tmp_path: Path) -> None:
    csv = tmp_path / "audusd.csv"
    csv.write_text("timestamp,bid,ask\n" + "".join(
        f"{i},0.{70000 + i % 7},0.{70010 + i % 7}\n" for i in range(1, 2001)))
    code = (
        "import gc, sys\n"
        "seen = []\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and seen.append(1))\n"
        "from replay.cli import main\n"
        "before = len(seen)\n"
        f"code = main(['backtest', '--strategy', 'ema_cross', '--data', {str(csv)!r}, "
        f"'--journal', {str(tmp_path / 'j')!r}, '--report', {str(tmp_path / 'r')!r}, '--quiet'])\n"
        "print(code, len(seen) - before, gc.get_threshold()[0], file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    code, collections, gen0_after = out.stderr.strip().splitlines()[-1].split()
    assert (code, gen0_after) == ("0", "700")
    # only before the policy starts (the command's module is imported to find its flag); under
    # CPython's default threshold (700) this command collects about 40 times
    assert int(collections) <= 3
