"""No command race can stop the kernel (issue 12, item 4).

A strategy fires bursts of commands in one callback, at any order it ever built, open or not
(brackets among them, so the order manager's cascades race the strategy's commands too):
double cancels, a modify after a cancel, a cancel of a filled, expired or unknown order, a modify
that makes a resting order marketable followed by a cancel, cancel-all next to a cancel, orders
that expire (GTD) while commands are in flight. The venue has latency or not. After every input
the kernel has not faulted, and every built-in invariant of the checker held; every CANCEL_ORDER
is answered by a record it caused (a PENDING_CANCEL, a CANCEL_REJECTED, or the CANCELED of an
OTO child still held by the order manager).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.enums import OrderSide, TimeInForce
from domain.instruments import Instrument
from domain.kinds import Kind
from engines.market_data import QuoteTick
from engines.strategy import Strategy
from replay.config import LatencyConfig, VenueConfig
from replay.testing.check import Checker
from replay.testing.harness import TradingHarness
from replay.testing.pretty import format_stream
from replay.testing.streams import STREAM_INSTRUMENT_ID as IID
from replay.testing.streams import T0_NS, build, record

INSTRUMENT = Instrument.fx_pair("EUR/USD.SIM", lot_size="1000")
_SIDES = st.sampled_from((OrderSide.BUY, OrderSide.SELL))
_PICK = st.one_of(st.integers(0, 2), st.integers(0, 12))
#: One command of a burst; ``pick`` counts back from the newest order the strategy built (any
#: status); ``pick`` past the oldest means an id that was never built; ``open`` plays a cancel,
#: double cancel or modify at an order the cache shows open.
COMMAND = st.one_of(
    st.tuples(st.just("market"), _SIDES, st.integers(1, 3)),
    st.tuples(st.just("limit"), _SIDES, st.sampled_from((-1, 0, 5, 20)), st.integers(1, 3),
              st.booleans()),
    st.tuples(st.just("cancel"), _PICK),
    st.tuples(st.just("cancel_twice"), _PICK),
    st.tuples(st.just("open"), st.sampled_from(("cancel", "cancel_twice", "modify")), _PICK,
              st.sampled_from((-1, 0, 5, 20))),
    st.tuples(st.just("modify"), _PICK, st.sampled_from((-1, 0, 5, 20)), st.integers(1, 3)),
    st.tuples(st.just("cancel_all"), st.sampled_from((0, int(OrderSide.BUY)))),
    st.tuples(st.just("bracket"), _SIDES, st.sampled_from((None, -1, 0, 5)), st.integers(1, 3),
              st.integers(1, 6), st.integers(1, 6)),
)


class Racer(Strategy):
    """Plays one burst of commands per quote, all in the same callback."""

    def __init__(self) -> None:
        super().__init__("racer")
        self.bursts: list[list[tuple]] = []
        self.ids: list[int] = []
        self.iid = 0

    def on_start(self) -> None:
        self.iid = min(self.cache.instruments)
        self.subscribe_quotes(self.iid)

    def on_quote(self, quote: QuoteTick) -> None:
        if self.bursts:
            for command in self.bursts.pop(0):
                self.play(command, quote)

    def _pick(self, pick: int) -> int:
        return self.ids[-1 - pick] if pick < len(self.ids) else (1 << 40) + 999_000 + pick

    def play(self, command: tuple, quote: QuoteTick) -> None:
        op, f = command[0], self.order_factory
        lot, tick = INSTRUMENT.lot_size.raw, INSTRUMENT.tick_size.raw
        if op == "market":
            self.ids.append(self.submit_order(f.market(self.iid, command[1],
                                                       INSTRUMENT.make_qty(command[2] * 1000))))
        elif op == "limit":
            side, offset, lots, gtd = command[1:]
            touch = quote.bid_raw - offset * tick if side == OrderSide.BUY \
                else quote.ask_raw + offset * tick
            kw: dict[str, Any] = {}
            if gtd:
                kw = {"time_in_force": TimeInForce.GTD,
                      "expire_time_ns": self.clock.now_ns() + 1_500_000_000}
            self.ids.append(self.submit_order(f.limit(
                self.iid, side, INSTRUMENT.make_qty(lots * 1000),
                INSTRUMENT.make_price(touch / 10**INSTRUMENT.price_precision), **kw)))
        elif op == "bracket":  # entry (market, or limit ``offset`` ticks behind the touch)
            side, offset, lots, tp_ticks, sl_ticks = command[1:]
            sign = 1 if side == OrderSide.BUY else -1
            ref = quote.ask_raw if side == OrderSide.BUY else quote.bid_raw
            entry = None if offset is None else ref - sign * offset * tick
            base = ref if entry is None else entry

            def px(raw: int) -> Any:
                return INSTRUMENT.make_price(raw / 10**INSTRUMENT.price_precision)

            order_list = f.bracket(self.iid, side, INSTRUMENT.make_qty(lots * 1000),
                                   take_profit=px(base + sign * tp_ticks * tick),
                                   stop_loss=px(base - sign * sl_ticks * tick),
                                   entry_price=None if entry is None else px(entry))
            self.submit_order_list(order_list)
            self.ids.extend(order_list.client_order_ids)
        elif op == "cancel":
            self.cancel_order(self._pick(command[1]))
        elif op == "cancel_twice":
            self.cancel_order(self._pick(command[1]))
            self.cancel_order(self._pick(command[1]))
        elif op == "modify":
            coid = self._pick(command[1])
            order = self.cache.order(coid)
            base = quote.bid_raw if order is None or order.side == OrderSide.BUY else quote.ask_raw
            sign = 1 if order is None or order.side == OrderSide.BUY else -1
            price = base - sign * command[2] * tick
            self.modify_order(coid, quantity=command[3] * lot // lot * 1000,
                              price=INSTRUMENT.make_price(price / 10**INSTRUMENT.price_precision))
        elif op == "open":  # the same, aimed at an order open in the cache
            open_ids = [o.client_order_id for o in self.orders_open(self.iid)]
            if open_ids:
                self.ids.append(open_ids[command[2] % len(open_ids)])
                self.play((command[1], 0, command[3], 1) if command[1] == "modify"
                          else (command[1], 0), quote)
                self.ids.pop()
        else:
            self.cancel_all_orders(self.iid, OrderSide(command[1]))


class CommandRaces(RuleBasedStateMachine):
    @initialize(latency_ms=st.sampled_from((0, 0, 1, 3)), seed=st.integers(0, 2))
    def start(self, latency_ms: int, seed: int) -> None:
        lat = latency_ms * 1_000_000
        venue = VenueConfig(name="SIM", latency=LatencyConfig(submit_ns=lat, modify_ns=lat,
                                                              cancel_ns=lat))
        self.racer = Racer()
        self.harness = TradingHarness(INSTRUMENT, [self.racer], venue=venue, seed=seed)
        self.checker = Checker()
        self.mid = 110_000
        self.ts = T0_NS
        self._check(self.harness.tap.take_new())

    def _check(self, records: Any) -> None:
        assert self.harness.kernel.faulted is None, self.harness.kernel.faulted
        found = self.checker.feed(records)
        if found is not None or self.checker.result.errors:
            raise AssertionError(f"{self.checker.result.to_dict()}\nlog:\n"
                                 f"{format_stream(self.harness.log(), limit=400)}")

    @rule(move=st.integers(-2, 2), dt_ms=st.integers(0, 1500))
    def quote(self, move: int, dt_ms: int) -> None:
        self.mid = max(100, self.mid + move)
        self.ts += dt_ms * 1_000_000
        q = record(Kind.QUOTE, self.ts, instrument_id=IID, price_precision=5, size_precision=0,
                   bid=self.mid, ask=self.mid + 1, bid_size=50_000, ask_size=50_000)
        self._check(self.harness.feed(build(INSTRUMENT, [q])))

    @rule(burst=st.lists(COMMAND, min_size=1, max_size=5))
    def queue_burst(self, burst: list[tuple]) -> None:
        self.racer.bursts.append(burst)

    @invariant()
    def kernel_running(self) -> None:
        if hasattr(self, "harness"):
            assert self.harness.kernel.faulted is None

    def teardown(self) -> None:
        if not hasattr(self, "harness"):
            return
        self._check(self.harness.finish())
        assert self.checker.finish().ok
        log = self.harness.log()
        n_cancels = int((log["kind"] == int(Kind.CANCEL_ORDER)).sum())
        assert _cancel_answers(log) == n_cancels, "a CANCEL_ORDER went unanswered"


def _cancel_answers(log: Any) -> int:
    """PENDING_CANCEL (forwarded), CANCEL_REJECTED (refused) or CANCELED (a held OTO child),
    one per CANCEL_ORDER whose cause is that command."""
    cancels = set(int(s) for s in log["seq"][log["kind"] == int(Kind.CANCEL_ORDER)])
    answers = log[np.isin(log["kind"], (int(Kind.ORDER_PENDING_CANCEL),
                                        int(Kind.ORDER_CANCEL_REJECTED), int(Kind.ORDER_CANCELED)))]
    return len({int(c) for c in answers["cause"] if int(c) in cancels})


CommandRaces.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
test_command_races = CommandRaces.TestCase
