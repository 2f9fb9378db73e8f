"""``ema_cross``: a fast / slow EMA crossover of the mid price, trading at market.

Contract (issue 6 item 3, exactly):
- ``mid = (float(bid) + float(ask)) / 2``; ``ema = alpha * mid + (1 - alpha) * ema`` with
  ``alpha = 2 / (period + 1)``; each EMA is seeded with the first mid;
- no signal until the slow EMA has seen ``slow`` mids (the first possible signal is on the
  ``slow``-th quote);
- fast > slow and not long: if short, close the position with a market order, then buy
  ``trade_size`` at market; fast < slow and not short: symmetric; equal EMAs do nothing.
  "Long" / "short" is the strategy's netting position as the cache holds it (with zero venue
  latency a market order has filled before the next quote).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.codec import RAW_TUPLES
from domain.enums import OrderSide
from domain.kinds import Kind
from engines.cache_trading import netting_position_id
from engines.market_data import QuoteTick
from engines.strategy import Strategy

#: 10 ** precision for every precision a record's u1 field can carry (an int power per quote
#: is a measurable share of this strategy's time)
_POW10 = tuple(10**p for p in range(256))
#: 10.0 ** p for the precisions whose power of ten a double holds exactly (p <= 22)
_DEN = np.array([float(10**p) for p in range(23)])
#: ints of at most this size are doubles exactly (Python's int / int then divides the doubles)
_EXACT = 1 << 53
_BUY, _SELL = OrderSide.BUY, OrderSide.SELL  # enum members off the class are slow on 3.11
_QUOTE = int(Kind.QUOTE)
# A QuoteTick is the raw QUOTE record's fields in the same order: these positions read both.
_BID, _ASK, _PRICE_PRECISION = (RAW_TUPLES[_QUOTE]._fields.index(name)
                                for name in ("bid", "ask", "price_precision"))


def mid_prices(quotes: np.ndarray) -> list[float]:
    """Each QUOTE's ``(bid / 10**p + ask / 10**p) / 2`` as :meth:`EmaCross.on_quote_record`
    computes it: in numpy when every operand is a double exactly (then both divide the same
    doubles, correctly rounded), else in Python, quote by quote."""
    bid, ask, prec = quotes["bid"], quotes["ask"], quotes["price_precision"]
    if len(prec) and int(prec.max()) < len(_DEN) and \
            min(int(bid.min()), int(ask.min())) >= -_EXACT and \
            max(int(bid.max()), int(ask.max())) <= _EXACT:
        den = _DEN[prec]
        return ((bid / den + ask / den) / 2).tolist()
    return [(b / _POW10[p] + a / _POW10[p]) / 2
            for b, a, p in zip(bid.tolist(), ask.tolist(), prec.tolist(), strict=True)]


class EmaCross(Strategy):
    """Trades ``trade_size`` of ``instrument`` (default: the first instrument in the cache)."""

    def __init__(self, instrument: str | None = None, fast: int = 10, slow: int = 20,
                 trade_size: int | str = 100_000, component_id: str = "ema_cross") -> None:
        super().__init__(component_id)
        if not 0 < fast < slow:
            raise ValueError(f"ema_cross: need 0 < fast < slow, got fast={fast}, slow={slow}")
        self.instrument = instrument
        self.fast, self.slow = int(fast), int(slow)
        self.trade_size = trade_size
        self.alpha_fast = 2.0 / (self.fast + 1)
        self.alpha_slow = 2.0 / (self.slow + 1)
        self.ema_fast = 0.0
        self.ema_slow = 0.0
        self.count = 0
        self.iid = 0
        self.position_id = 0

    def on_start(self) -> None:
        if self.instrument is None:
            if not self.cache.instruments:
                raise ValueError("ema_cross: no instrument in the cache to trade")
            self.iid = min(self.cache.instruments)
        else:
            self.iid = self.instrument_id(self.instrument)
        self.position_id = netting_position_id(self.iid, self.strategy_id)
        self.subscribe_quotes(self.iid)

    def handlers(self) -> dict[int, Any]:
        """The strategy's handlers, a QUOTE record handed to :meth:`on_quote_record` as it is
        (the raw record, no QuoteTick built per quote: the same fields at the same positions),
        unless a subclass overrides :meth:`on_quote` (then it gets its QuoteTick as usual)."""
        handlers = super().handlers()
        if type(self).on_quote is EmaCross.on_quote:
            handlers[_QUOTE] = self.on_quote_record
        return handlers

    def on_quote(self, quote: QuoteTick) -> None:
        self.on_quote_record(quote)

    def on_quote_record(self, quote: tuple[Any, ...], ctx: Any = None) -> None:
        """The contract's step for one quote: a QuoteTick or the raw QUOTE record."""
        # float(Price(raw, p)) is raw / 10**p (correctly rounded): the same value, no allocation
        den = _POW10[quote[_PRICE_PRECISION]]
        mid = (quote[_BID] / den + quote[_ASK] / den) / 2
        count = self.count + 1
        self.count = count
        if count == 1:
            self.ema_fast = self.ema_slow = mid
            fast = slow = mid
        else:  # the same float operations as the contract's, on locals (once per quote)
            af, as_ = self.alpha_fast, self.alpha_slow
            self.ema_fast = fast = af * mid + (1 - af) * self.ema_fast
            self.ema_slow = slow = as_ * mid + (1 - as_) * self.ema_slow
        if count < self.slow or fast == slow:
            return
        position = self.ctx.cache.position(self.position_id)  # ``self.cache`` without its call
        signed = position.signed_raw if position is not None else 0
        if fast > slow:
            if signed <= 0:
                self._enter(_BUY, position, signed)
        elif signed >= 0:
            self._enter(_SELL, position, signed)

    # --- quiet runs (engines/quiet.py) ----------------------------------------------------------
    def quiet_count(self, kind: int, run: Any, ctx: Any) -> int:
        """The leading quotes of ``run`` on which :meth:`on_quote_record` would not trade: the
        EMAs stepped as it steps them, the position read once (a quiet run changes none)."""
        if kind != _QUOTE or not self._own_quote_path():
            return 0
        position = ctx.cache.position(self.position_id)
        folded = run.memo[self] = self._fold(run, position.signed_raw if position is not None
                                             else 0)
        return folded[0]

    def skip_quiet(self, kind: int, run: Any, ctx: Any) -> None:
        """Steps the EMAs and the count over ``run`` exactly as :meth:`on_quote_record` does
        (the fold ``quiet_count`` made, when it answered this run whole)."""
        folded = run.memo.get(self)
        if folded is None or folded[0] != len(run):
            folded = self._fold(run, None)
        _, self.count, self.ema_fast, self.ema_slow = folded

    def _fold(self, run: Any, signed: int | None) -> tuple[int, int, float, float]:
        """Steps (count, fast, slow) over ``run`` with :meth:`on_quote_record`'s float
        operations; with ``signed`` (the position) stops before the first quote that trades.
        Returns (quotes stepped, count, fast, slow)."""
        count = self.count
        fast, slow = self.ema_fast, self.ema_slow
        af, as_ = self.alpha_fast, self.alpha_slow
        bf, bs = 1 - af, 1 - as_  # the same doubles as the contract's ``(1 - alpha)``
        mids = run.derived("ema_cross.mid", mid_prices)
        start = i = run.start
        stop = run.stop
        if count == 0 and i < stop:  # the first mid seeds both EMAs (and never trades)
            fast = slow = mids[i]
            count, i = 1, i + 1
        # quotes step without a check before the slow EMA has seen ``slow`` mids, and all of
        # them without ``signed`` (the run is skipped whole)
        warm = stop if signed is None else min(stop, i + max(0, self.slow - 1 - count))
        for j in range(i, warm):
            mid = mids[j]
            fast, slow = af * mid + bf * fast, as_ * mid + bs * slow
        count += warm - i
        i = warm
        if signed is None:
            return stop - start, count, fast, slow
        # then each quote is checked: flat trades on any difference, long when fast < slow,
        # short when fast > slow (``on_quote_record``'s rule, per position side)
        if signed == 0:
            for j in range(i, stop):
                mid = mids[j]
                f, s = af * mid + bf * fast, as_ * mid + bs * slow
                if f != s:
                    return j - start, count + j - i, fast, slow
                fast, slow = f, s
        elif signed > 0:
            for j in range(i, stop):
                mid = mids[j]
                f, s = af * mid + bf * fast, as_ * mid + bs * slow
                if f < s:
                    return j - start, count + j - i, fast, slow
                fast, slow = f, s
        else:
            for j in range(i, stop):
                mid = mids[j]
                f, s = af * mid + bf * fast, as_ * mid + bs * slow
                if f > s:
                    return j - start, count + j - i, fast, slow
                fast, slow = f, s
        return stop - start, count + stop - i, fast, slow

    def _own_quote_path(self) -> bool:
        """True when quotes reach this class's own step (no subclass override of it)."""
        cls = type(self)
        return cls.on_quote is EmaCross.on_quote and \
            cls.on_quote_record is EmaCross.on_quote_record

    def _enter(self, side: OrderSide, position: Any, signed: int) -> None:
        if signed:
            self.close_position(position)
        self.submit_order(self.order_factory.market(self.iid, side, self.trade_size))

    def on_save(self) -> dict[str, Any]:
        return {"ema_fast": self.ema_fast, "ema_slow": self.ema_slow, "count": self.count,
                "iid": self.iid, "position_id": self.position_id}

    def on_load(self, state: dict[str, Any]) -> None:
        self.ema_fast, self.ema_slow = state["ema_fast"], state["ema_slow"]
        self.count, self.iid = state["count"], state["iid"]
        self.position_id = state["position_id"]
