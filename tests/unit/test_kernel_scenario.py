"""A small kernel run: cache, data engine, a test venue, and strategies that subscribe and trade.

The venue here is a test double of a venue (it accepts and fills market orders at the last
quote); everything else is the real kernel, ring and cache.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from domain.codec import as_kind, empty, encode
from domain.enums import BarAggregation, LiquiditySide, OrderSide, PriceType, RecordFlag
from domain.instruments import Instrument
from domain.kinds import Kind
from domain.order_fsm import OrderStatus
from engines.cache import Cache, CacheError
from engines.component import Reactor
from engines.data_engine import DataEngine
from engines.kernel import Kernel
from engines.strategy import Strategy
from replay.loop import run

SYMBOL = "EUR/USD.SIM"


class FillAtQuoteVenue(Reactor):
    """Test venue: submits, accepts and fills every market order at the last quote."""

    handles = (int(Kind.SUBMIT_ORDER),)

    def __init__(self) -> None:
        super().__init__("test_venue")
        self.kernel: Any = None
        self.trade_id = 0

    def on_register(self, kernel: Any) -> None:
        self.kernel = kernel

    def react(self, rec: Any, ctx: Any) -> None:
        order = ctx.cache.order(rec.client_order_id)
        quote = ctx.cache.quote(rec.instrument_id)
        ref = {"client_order_id": rec.client_order_id, "instrument_id": rec.instrument_id,
               "strategy_id": rec.strategy_id}
        ctx.emit(Kind.ORDER_SUBMITTED, self.source_id, account_id=0, **ref)
        ctx.emit(Kind.ORDER_ACCEPTED, self.source_id, venue_order_id=rec.client_order_id, **ref)
        self.trade_id += 1
        px = quote.ask if order.side == OrderSide.BUY else quote.bid
        ctx.emit(Kind.ORDER_FILLED, self.source_id, venue_order_id=rec.client_order_id,
                 trade_id=self.trade_id, side=int(order.side),
                 liquidity_side=int(LiquiditySide.TAKER), price_precision=5, size_precision=0,
                 last_qty=order.quantity_raw, last_px=px, **ref)


class EveryThirdQuoteBuys(Strategy):
    """Buys 1000 on every third quote, sells everything on a timer; records what it saw."""

    def __init__(self) -> None:
        super().__init__("buyer")
        self.n_quotes = 0
        self.events: list[int] = []
        self.timers: list[tuple[str, int]] = []
        self.bars: list[tuple[int, int, int]] = []

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)
        self.subscribe_bars(SYMBOL, BarAggregation.SECOND, 1, PriceType.MID)
        self.clock.set_timer("flatten", 2_500_000_000, start_ns=10**9)

    def on_quote(self, quote: Any) -> None:
        self.n_quotes += 1
        if self.n_quotes % 3 == 0:
            self.submit_order(self.order_factory.market(SYMBOL, OrderSide.BUY, 1000))

    def on_bar(self, bar: Any) -> None:
        self.bars.append((bar.ts_open, bar.ts_event, bar.close_raw))

    def on_timer(self, name: str, ts_event: int) -> None:
        self.timers.append((name, ts_event))
        self.close_all_positions()

    def on_order_event(self, rec: Any) -> None:
        self.events.append(rec.kind)


def instrument_record(kernel: Kernel) -> np.ndarray:
    iid = kernel.intern(SYMBOL)
    fields = Instrument.fx_pair(SYMBOL).to_fields(iid)
    return encode(Kind.INSTRUMENT, ts_init=10**9, ts_event=10**9, flags=int(RecordFlag.INPUT),
                  **fields)


def quotes(iid: int, n: int, start_ns: int = 10**9, step_ns: int = 100_000_000) -> np.ndarray:
    recs = empty(Kind.QUOTE, n)
    q = as_kind(recs, Kind.QUOTE)
    ts = start_ns + np.arange(1, n + 1, dtype=np.int64) * step_ns
    q["ts_event"] = ts
    q["ts_init"] = ts
    q["flags"] = int(RecordFlag.INPUT)
    q["instrument_id"] = iid
    q["price_precision"] = 5
    q["bid"] = 110_000 + (np.arange(n) % 7)
    q["ask"] = q["bid"] + 2
    q["bid_size"] = 1_000_000
    q["ask_size"] = 1_000_000
    return recs


def build(with_strategy: bool = True) -> tuple[Kernel, Any]:
    kernel = Kernel(capacity=1 << 12)
    kernel.register(Cache())
    kernel.register(DataEngine())
    kernel.register(FillAtQuoteVenue())
    strategy = kernel.register(EveryThirdQuoteBuys()) if with_strategy else None
    return kernel, strategy


def run_scenario(n_quotes: int = 60) -> tuple[Kernel, Any, np.ndarray]:
    """Runs the scenario; returns the kernel, the strategy and every record of the log."""
    kernel, strategy = build()
    collected: list[np.ndarray] = []
    kernel.publish_setup()
    inst = instrument_record(kernel)
    iid = int(as_kind(inst, Kind.INSTRUMENT)["instrument_id"][0])
    kernel.publish_one(inst[0])
    kernel.start()
    run(kernel, [quotes(iid, n_quotes)])
    kernel.stop()
    for view in kernel.ring.views(1, kernel.last_seq):
        collected.append(view.copy())
    return kernel, strategy, np.concatenate(collected)


def test_strategy_orders_are_filled_and_positions_follow_the_fills() -> None:
    kernel, strategy, log = run_scenario()
    cache = kernel.ctx.cache
    orders = cache.orders(strategy_id=strategy.strategy_id)
    assert len(orders) >= 20
    assert all(o.status == OrderStatus.FILLED for o in orders)
    assert strategy.events.count(int(Kind.ORDER_FILLED)) == len(orders)
    # The timer closed positions at 3.5 s and 6.0 s: net position is what was bought after it.
    pos = cache.positions(strategy_id=strategy.strategy_id)
    assert len(pos) == 1
    bought_after = sum(o.quantity_raw for o in orders
                       if o.side == OrderSide.BUY and o.ts_init > 6 * 10**9)
    assert pos[0].signed_raw == bought_after


def test_reactions_are_sequenced_right_after_the_quote_that_caused_them() -> None:
    _, _, log = run_scenario()
    seqs = log["seq"]
    assert (np.diff(seqs.astype(np.int64)) == 1).all() and seqs[0] == 1
    assert (np.diff(log["ts_init"]) >= 0).all()
    kinds = log["kind"]
    for i in np.flatnonzero(kinds == Kind.ORDER_INITIALIZED):
        cause = int(log["cause"][i])
        # The cause is the latest QUOTE or TIMER before the order, and nothing INPUT between.
        between = log[(seqs > cause) & (seqs < seqs[i])]
        assert not (between["flags"] & RecordFlag.INPUT).any()
        assert int(kinds[seqs == cause][0]) in (Kind.QUOTE, Kind.TIMER)


def test_time_bars_close_at_bucket_ends_and_timers_fire_on_schedule() -> None:
    _, strategy, _ = run_scenario()
    assert strategy.timers == [("flatten", 3_500_000_000), ("flatten", 6_000_000_000)]
    assert strategy.bars[0][:2] == (10**9, 2 * 10**9)
    for ts_open, ts_event, _ in strategy.bars:
        assert ts_event - ts_open == 10**9 and ts_open % 10**9 == 0


def test_the_same_run_gives_identical_records_and_state_hash() -> None:
    k1, _, log1 = run_scenario()
    k2, _, log2 = run_scenario()
    assert log1.tobytes() == log2.tobytes()
    assert k1.state_hash() == k2.state_hash()
    assert k1.state_hash("all") == k2.state_hash("all")


def test_rebuilding_the_log_in_state_mode_reaches_the_same_state_hash() -> None:
    k1, _, log = run_scenario()
    rebuild = Kernel(capacity=1 << 12, mode="rebuild")
    rebuild.register(Cache())
    rebuild.start()
    rebuild.publish(log)
    assert rebuild.state_hash() == k1.state_hash()


def test_a_fill_for_an_unknown_order_stops_the_kernel_with_the_seq() -> None:
    kernel, _ = build(with_strategy=False)
    kernel.start()
    bad = encode(Kind.ORDER_FILLED, ts_init=5, client_order_id=99, instrument_id=1,
                 last_qty=1, last_px=1)
    with pytest.raises(CacheError, match=r"seq \d+: ORDER_FILLED for unknown client_order_id 99"):
        kernel.publish_one(bad[0])
    assert kernel.faulted is not None
