"""Quiet runs (engines/quiet.py): the skip path equals handling each record, end to end and
per run.

End to end: the same inputs through a kernel with quiet runs and one without
(``Kernel.quiet_runs`` / ``RINGBUS_QUIET_RUNS=0``) journal byte-identical records and end with
the same state hash (every component and the scheduler), on ema_cross, the bracket example and
real EUR/USD quotes; a node's snapshots land at the same seqs. Per run (hypothesis): for random
EMA periods, bracket settings, resting orders and quotes, the prefix the reactors call quiet
handled one by one emits nothing, leaves the state of every component equal to the skip path's,
and the record after it (when the run goes on) is not quiet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.codec import RAW_STRUCTS, RAW_TUPLES
from domain.enums import OrderSide
from domain.kinds import Kind
from domain.values import Price
from engines.cache import Cache
from engines.kernel import Kernel
from engines.kernel_errors import KernelError
from engines.quiet import QuietColumns, QuietRun
from engines.strategies.ema_cross import EmaCross
from engines.strategy import Strategy
from examples.bracket.strategy import BracketEveryN
from journal.snapshots import snapshot_seqs
from journal.store import Journal
from replay.backtest import BacktestNode
from replay.config import BacktestConfig, DataConfig, StrategyConfig
from replay.equity import EquitySampler
from replay.loop import LoopStats, run
from tests.faults.crash_recovery_proc import content
from tests.unit.kernel_rig import SYMBOL, Tape, build, quotes, shared_eurusd

QUOTE = int(Kind.QUOTE)


def walk(seed: int, n: int, start: int = 110_000, step: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return start + np.cumsum(rng.integers(-step, step + 1, n))


def both_ways(make: Any, bids: Any = None, real: Path | None = None, n: int = 0,
              journal_lag: int = 0) -> tuple[Kernel, Kernel, LoopStats]:
    """Runs the same quotes through a kernel with quiet runs and one without; returns both
    (the quiet one first) and the quiet one's loop counts."""
    kernels, stats = [], LoopStats()
    for quiet in (True, False):
        tape = Tape()
        kernel = build(make(), journal=tape, journal_lag=journal_lag)
        kernel.quiet_runs = quiet
        recs = shared_eurusd(kernel, real, n) if real is not None else quotes(kernel, bids)
        run(kernel, [recs[i : i + 4096] for i in range(0, len(recs), 4096)],
            stats if quiet else None)
        kernel.stop()
        kernel.tape = tape  # type: ignore[attr-defined]
        kernels.append(kernel)
    return kernels[0], kernels[1], stats


def assert_same(quiet: Kernel, plain: Kernel) -> None:
    a, b = quiet.tape.records(), plain.tape.records()  # type: ignore[attr-defined]
    assert len(a) == len(b) and a.tobytes() == b.tobytes()
    assert quiet.state_hash("all") == plain.state_hash("all")


@pytest.mark.parametrize("lag", [0, 64])
def test_ema_cross_journals_the_same_records_and_state_with_quiet_runs(lag: int) -> None:
    quiet, plain, stats = both_ways(lambda: [EmaCross(SYMBOL, fast=5, slow=12,
                                                      trade_size=1000)],
                                    walk(1, 6000), journal_lag=lag)
    assert stats.quiet_inputs > 2000 and stats.quiet_batches > 50  # the path was taken
    assert len(quiet.tape.records()) > 6000 + 500  # and orders were made  # type: ignore[attr-defined]
    assert_same(quiet, plain)


def test_the_bracket_example_journals_the_same_records_and_state_with_quiet_runs() -> None:
    quiet, plain, stats = both_ways(
        lambda: [BracketEveryN(SYMBOL, quantity=10, tp_ticks=3, sl_ticks=3, every=4, on="quote")],
        walk(2, 6000, step=2))
    assert stats.quiet_inputs > 2000
    assert len(quiet.component("bracket").lists) > 300  # type: ignore[attr-defined]
    assert_same(quiet, plain)


def test_live_sized_takes_under_group_commit_give_the_same_records_and_state() -> None:
    """Takes of 1-8 records (a live node's inbox: ``_small_keys``), each ended by
    ``end_batch`` with the journal's flush deferred, as ``NodeDriver.feed_live`` runs them."""
    sizes = np.random.default_rng(5).integers(1, 9, 2000)
    found = []
    for quiet in (True, False):
        tape = Tape()
        kernel = build([EmaCross(SYMBOL, fast=4, slow=9, trade_size=1000)], journal=tape)
        kernel.quiet_runs = quiet
        recs = quotes(kernel, walk(4, int(sizes.sum())))
        stats, at = LoopStats(), 0
        kernel.defer_flush = True
        for size in sizes.tolist():
            run(kernel, [recs[at : at + size]], stats)
            kernel.end_batch()
            at += size
        kernel.defer_flush = False
        kernel.stop()
        found.append((tape.records().tobytes(), kernel.state_hash("all"), stats.quiet_inputs))
    assert found[0][2] > 2000 and found[1][2] == 0
    assert found[0][:2] == found[1][:2]


@pytest.mark.parametrize("make", [
    lambda: [EmaCross(SYMBOL, fast=10, slow=20, trade_size=1000)],
    lambda: [BracketEveryN(SYMBOL, quantity=10, tp_ticks=2, sl_ticks=2, every=5, on="quote")],
], ids=["ema_cross", "bracket"])
def test_real_eurusd_quotes_give_the_same_records_and_state_with_quiet_runs(
        make: Any, shared_data: Path) -> None:
    quiet, plain, stats = both_ways(make, real=shared_data, n=9500)
    assert stats.quiet_inputs > 1000
    assert_same(quiet, plain)


def ema_cross_both_ways(tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch,
                        n_lines: int, **config: Any) -> list[tuple[Any, np.ndarray]]:
    """Runs ema_cross on the first ``n_lines`` of the shared EUR/USD quotes through a backtest
    node with quiet runs and without (in that order); returns each run and its records."""
    lines = (shared_data / "quote_tick_data.csv").read_text().splitlines()[:n_lines]
    data = tmp_path / "eurusd.csv"
    data.write_text("\n".join(lines) + "\n")
    found = []
    for flag in ("1", "0"):
        monkeypatch.setenv("RINGBUS_QUIET_RUNS", flag)
        cfg = BacktestConfig(
            data=[DataConfig(str(data), instrument_id="EUR/USD.SIM")],
            strategies=[StrategyConfig("ema_cross", {"fast": 5, "slow": 20})],
            journal=str(tmp_path / f"j{flag}"), **config)
        result = BacktestNode(cfg).run()
        found.append((result, content(Path(result.journal))))
    return found


def test_snapshots_land_at_the_same_seqs_with_quiet_runs(
        tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = ema_cross_both_ways(tmp_path, shared_data, monkeypatch, 1500, snapshot_every=97,
                                snapshot_interval_ns=7_000_000_000)
    (quiet, c1), (plain, c0) = found
    seqs = []
    for result, _ in found:
        with Journal.open(result.journal) as journal:
            seqs.append(snapshot_seqs(journal))
    assert len(seqs[0]) > 20 and seqs[0] == seqs[1]
    assert quiet.loop.quiet_inputs > 300 and plain.loop.quiet_inputs == 0
    assert quiet.state_hash == plain.state_hash and c1.tobytes() == c0.tobytes()


def test_the_equity_curve_is_the_same_when_quiet_runs_apply_only_their_last_quote(
        tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache and the equity sampler apply only the last quote of a quiet run with no grid
    point in it (``Reducer.last_stands``); a run with one falls back to every record. A grid of
    0.5 s puts points inside many runs of real EUR/USD quotes: curve, state, records equal."""
    (quiet, c1), (plain, c0) = ema_cross_both_ways(tmp_path, shared_data, monkeypatch, 6000,
                                                   equity_interval_ns=500_000_000)
    assert quiet.loop.quiet_inputs > 1000 and plain.loop.quiet_inputs == 0
    assert len(quiet.result.equity) > 100
    assert np.array_equal(quiet.result.equity_ts_ns, plain.result.equity_ts_ns)
    assert np.array_equal(quiet.result.equity, plain.result.equity)
    assert quiet.state_hash == plain.state_hash and c1.tobytes() == c0.tobytes()


def test_last_stands_answers_for_the_cache_and_the_equity_sampler() -> None:
    kernel = build([EmaCross(SYMBOL, fast=2, slow=3)])
    rec = quotes(kernel, np.array([110_000, 110_004]))
    make, unpack = RAW_TUPLES[QUOTE]._make, RAW_STRUCTS[QUOTE].unpack_from
    last = make(unpack(rec[1:2].tobytes()))
    assert kernel.cache.last_stands(QUOTE, last)  # a known instrument
    assert not Cache().last_stands(QUOTE, last)  # an unknown one: its error names the record
    assert not kernel.cache.last_stands(int(Kind.TRADE), last)
    sampler = EquitySampler("SIM", "USD", 1_000_000)
    assert not sampler.last_stands(QUOTE, last)  # no grid point yet: the first record sets it
    sampler.next_ns = last.ts_init + 1
    assert sampler.last_stands(QUOTE, last)
    sampler.next_ns = last.ts_init  # a grid point at the last quote: every record applies
    assert not sampler.last_stands(QUOTE, last)


# --- per run: quiet_count / skip_quiet against one by one ------------------------------------
class RestingOrders(Strategy):
    """Buys at market on its first quote, then rests the orders given (side, limit / stop /
    market-if-touched, ticks from the touch) on its second; afterwards every quote is quiet
    for it."""

    def __init__(self, orders: list[tuple[int, str, int]]) -> None:
        super().__init__("resting")
        self.orders = orders
        self.seen = 0

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        self.seen += 1
        iid = self.instrument_id(SYMBOL)
        if self.seen == 1:
            self.submit_order(self.order_factory.market(iid, OrderSide.BUY, 1000))
        elif self.seen == 2:
            f = self.order_factory
            for side, how, ticks in self.orders:
                s = OrderSide(side)
                if how == "limit":
                    ref = quote.bid_raw - ticks if s == OrderSide.BUY else quote.ask_raw + ticks
                    self.submit_order(f.limit(iid, s, 10, Price(ref, 5)))
                elif how == "stop":
                    ref = quote.ask_raw + ticks if s == OrderSide.BUY else quote.bid_raw - ticks
                    self.submit_order(f.stop_market(iid, s, 10, Price(ref, 5)))
                else:  # market-if-touched: a buy below the ask, a sell above the bid
                    ref = quote.ask_raw - ticks if s == OrderSide.BUY else quote.bid_raw + ticks
                    self.submit_order(f.market_if_touched(iid, s, 10, Price(ref, 5)))

    def quiet_count(self, kind: int, run_: Any, ctx: Any) -> int:
        return len(run_) if self.seen >= 2 else 0

    def skip_quiet(self, kind: int, run_: Any, ctx: Any) -> None:
        self.seen += len(run_)

    def on_save(self) -> dict[str, Any]:
        return {"seen": self.seen}

    def on_load(self, state: dict[str, Any]) -> None:
        self.seen = state["seen"]


def check_run(make: Any, prefix: np.ndarray, bids: np.ndarray) -> int:
    """Feeds ``prefix`` one by one to two equal kernels, then the run of ``bids``: one by one
    for its quiet prefix in one, ``publish_quiet`` in the other; checks the contract; returns
    the quiet count."""
    one, skip = build(make()), build(make())
    for kernel in (one, skip):
        kernel.quiet_runs = False
        run(kernel, [quotes(kernel, prefix)])
    recs = quotes(skip, bids, t0=int(quotes(skip, prefix)["ts_init"][-1]) + 1_000_000)
    iid = skip.strings.id_of(SYMBOL)
    skip.quiet_runs = True
    reactors = skip.quiet_reactors(QUOTE, iid)
    assert reactors is not None
    whole = QuietRun(QuietColumns(recs.view(one.ring.buffer.dtype)), QUOTE, 0, len(recs))
    before = skip.state_hash("all")
    k = len(recs)
    for comp in reversed(reactors):
        k = min(k, comp.quiet_count(QUOTE, whole.head(k), skip.ctx))
    assert skip.state_hash("all") == before  # quiet_count is pure
    seq0 = one.last_seq
    if k:
        run(one, [recs[:k]])
        skip.publish_quiet(memoryview(recs[:k].view(np.uint8)), whole.head(k), reactors)
    assert one.last_seq == seq0 + k == skip.last_seq  # nothing emitted one by one
    assert one.state_hash("all") == skip.state_hash("all")
    assert len(one.scheduler) == len(skip.scheduler)
    if k < len(recs):  # the next record is not quiet: handled alone, something is emitted
        run(one, [recs[k : k + 1]])
        assert one.last_seq > seq0 + k + 1
    return k


@given(st.integers(1, 15), st.integers(1, 30), st.integers(0, 2**32 - 1), st.integers(0, 60),
       st.integers(1, 80))
def test_ema_cross_quiet_prefix_equals_one_by_one(fast: int, extra: int, seed: int,
                                                  n_prefix: int, n_run: int) -> None:
    bids = walk(seed, n_prefix + n_run, step=6)
    check_run(lambda: [EmaCross(SYMBOL, fast=fast, slow=fast + extra, trade_size=1000)],
              bids[:n_prefix] if n_prefix else bids[:1], bids[n_prefix:] if n_prefix else bids[1:])


@given(st.integers(1, 9), st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1),
       st.integers(1, 40), st.integers(1, 40))
def test_bracket_quiet_prefix_equals_one_by_one(every: int, tp: int, sl: int, seed: int,
                                                n_prefix: int, n_run: int) -> None:
    bids = walk(seed, n_prefix + n_run, step=2)
    check_run(lambda: [BracketEveryN(SYMBOL, quantity=10, tp_ticks=tp, sl_ticks=sl,
                                     every=every, on="quote")], bids[:n_prefix], bids[n_prefix:])


order = st.tuples(st.sampled_from([int(OrderSide.BUY), int(OrderSide.SELL)]),
                  st.sampled_from(["limit", "stop", "touched"]), st.integers(1, 25))


@given(st.lists(order, min_size=1, max_size=5), st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_exchange_quiet_prefix_equals_one_by_one(orders: list[tuple[int, str, int]], seed: int,
                                                 n_run: int) -> None:
    bids = walk(seed, 3 + n_run, step=5)
    check_run(lambda: [RestingOrders(orders)], bids[:3], bids[3:])


def test_a_reactor_without_the_protocol_keeps_the_one_by_one_path() -> None:
    class Plain(EmaCross):
        def on_quote(self, quote: Any) -> None:  # a subclass's own quote step
            super().on_quote(quote)

    quiet, plain, stats = both_ways(lambda: [Plain(SYMBOL, fast=3, slow=8, trade_size=1000)],
                                    walk(3, 500))
    assert stats.quiet_inputs == 0
    assert_same(quiet, plain)


class WrongAnswer(Strategy):
    """Calls every quote quiet, then trades while skipping them: a wrong ``quiet_count``."""

    def __init__(self) -> None:
        super().__init__("wrong")

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        pass

    def quiet_count(self, kind: int, run_: Any, ctx: Any) -> int:
        return len(run_)

    def skip_quiet(self, kind: int, run_: Any, ctx: Any) -> None:
        self.submit_order(self.order_factory.market(self.instrument_id(SYMBOL), OrderSide.BUY, 10))


def test_a_reactor_that_emits_while_skipping_a_quiet_run_faults_the_kernel_naming_it() -> None:
    kernel = build([WrongAnswer()])
    recs = quotes(kernel, walk(5, 20))
    with pytest.raises(KernelError, match=r"seqs \d+\.\.\d+: a quiet run emitted or scheduled "
                                          r"records .*\['wrong'\]"):
        run(kernel, [recs])
    assert kernel.faulted is not None
