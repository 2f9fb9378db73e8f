"""The whole kernel under random data and random strategy commands: every built-in invariant
holds after every record.

The kernel is wired as the backtest node wires it (cache, data engine, risk engine, execution
engine, simulated exchange, a strategy), and the checker folds every record it publishes, as it
is published. Rules move the market one quote at a time (or, on the L3 setup, one book event at
a time: adds, partial cancels, modifies, matched by the exchange's L3 queues) and queue strategy
commands (market, limit, modify, cancel, reduce-only), which the strategy plays on the next
quote or book update.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from domain.enums import BookAction, BookLevel, OrderSide, RecordFlag
from domain.instruments import Instrument
from domain.kinds import Kind
from replay.config import VenueConfig
from replay.testing.check import Checker
from replay.testing.commands import ScriptedStrategy, order_command_lists
from replay.testing.harness import TradingHarness
from replay.testing.pretty import format_stream
from replay.testing.streams import INPUT, T0_NS, build, record
from replay.testing.streams import STREAM_INSTRUMENT_ID as IID

LAST = int(RecordFlag.LAST)

#: name -> (instrument, venue, starting mid in ticks, data: quotes (L1) or L3 book deltas)
SETUPS = {
    "fx-margin": (Instrument.fx_pair("EUR/USD.SIM", lot_size="1000"), VenueConfig(name="SIM"),
                  110_000, "quotes"),
    "equity-cash": (Instrument.equity("AAPL.XNAS"),
                    VenueConfig(name="XNAS", account_type="CASH"), 18_000, "quotes"),
    "inverse-perp": (Instrument.crypto_perpetual("BTCUSD-PERP.BITMEX", is_inverse=True,
                                                 quote="USD", size_precision=0),
                     VenueConfig(name="BITMEX", starting_balances=("10 BTC",)), 400_000, "quotes"),
    "future-l3": (Instrument.future("ESH4.GLBX", price_precision=2, tick_size="0.25"),
                  VenueConfig(name="GLBX"), 19_000, "l3"),
}


class WholeKernel(RuleBasedStateMachine):
    """A running kernel; the checker sees each record right after the kernel published it."""

    @initialize(setup=st.sampled_from(sorted(SETUPS)), seed=st.integers(0, 3))
    def start(self, setup: str, seed: int) -> None:
        self.instrument, venue, self.mid, self.data = SETUPS[setup]
        l3 = self.data == "l3"
        self.strategy = ScriptedStrategy([], on="book" if l3 else "quote")
        self.harness = TradingHarness(self.instrument, [self.strategy], venue=venue, seed=seed,
                                      book_level=BookLevel.L3 if l3 else BookLevel.L1)
        self.resting: dict[int, list[int]] = {}  # L3 data: order id -> [side, price, size]
        self.next_id = 1
        self.checker = Checker()
        self.ts = T0_NS
        self._check(self.harness.tap.take_new())

    def _check(self, records) -> None:
        found = self.checker.feed(records)
        if found is not None or self.checker.result.errors:
            log = self.harness.log()
            raise AssertionError(
                f"{self.checker.result.to_dict()}\nlog:\n{format_stream(log, limit=500)}")

    @precondition(lambda self: self.data == "quotes")
    @rule(move=st.integers(-2, 2), spread=st.integers(1, 2), size_lots=st.integers(1, 20),
          dt_ms=st.integers(0, 2000))
    def quote(self, move: int, spread: int, size_lots: int, dt_ms: int) -> None:
        self.mid = max(10, self.mid + move)
        self.ts += dt_ms * 1_000_000
        tick, lot = self.instrument.tick_size.raw, self.instrument.lot_size.raw
        q = record(Kind.QUOTE, self.ts, instrument_id=IID,
                   price_precision=self.instrument.price_precision,
                   size_precision=self.instrument.size_precision, bid=self.mid * tick,
                   ask=(self.mid + spread) * tick, bid_size=size_lots * lot,
                   ask_size=size_lots * lot)
        self._check(self.harness.feed(build(self.instrument, [q])))

    @precondition(lambda self: self.data == "l3")
    @rule(op=st.sampled_from(("add", "add", "cancel", "modify")),
          side=st.sampled_from((OrderSide.BUY, OrderSide.SELL)), offset=st.integers(0, 4),
          lots=st.integers(1, 20), pick=st.integers(0, 50), dt_ms=st.integers(0, 2000))
    def book_event(self, op: str, side: int, offset: int, lots: int, pick: int,
                   dt_ms: int) -> None:
        """One venue event of the L3 data: an add, a (partial) cancel or a modify; never
        crossed (bids below the mid, asks at or above it)."""
        tick, lot = self.instrument.tick_size.raw, self.instrument.lot_size.raw
        self.ts += dt_ms * 1_000_000
        if op == "add" or not self.resting:
            oid, self.next_id = self.next_id, self.next_id + 1
            price = (self.mid - 1 - offset if side == OrderSide.BUY else self.mid + offset) * tick
            self.resting[oid] = [int(side), price, lots * lot]
            action, size = BookAction.ADD, lots * lot
        else:
            oid = sorted(self.resting)[pick % len(self.resting)]
            side, price, size_now = self.resting[oid]
            if op == "cancel":
                action, size = BookAction.CANCEL, min(size_now, lots * lot)
                if size == size_now:
                    del self.resting[oid]
                else:
                    self.resting[oid][2] = size_now - size
            else:
                action, size = BookAction.MODIFY, lots * lot
                self.resting[oid][2] = size
        d = record(Kind.BOOK_DELTA, self.ts, INPUT | LAST, instrument_id=IID,
                   price_precision=self.instrument.price_precision,
                   size_precision=self.instrument.size_precision, action=int(action),
                   side=int(side), level=3, price=price, size=size, order_id=oid)
        self._check(self.harness.feed(build(self.instrument, [d])))

    @rule(commands=order_command_lists(min_size=1, max_size=3))
    def queue_commands(self, commands: list[tuple]) -> None:
        self.strategy.commands.extend(commands)

    @invariant()
    def every_invariant_held_so_far(self) -> None:
        if hasattr(self, "checker"):
            assert self.checker.result.ok

    def teardown(self) -> None:
        if not hasattr(self, "harness"):
            return
        self._check(self.harness.finish())
        result = self.checker.finish()
        assert result.ok, result.to_dict()
        assert result.n_records == len(self.harness.log())


WholeKernel.TestCase.settings = settings(max_examples=40, stateful_step_count=40, deadline=None)
test_whole_kernel = WholeKernel.TestCase
