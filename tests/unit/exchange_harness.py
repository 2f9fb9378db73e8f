"""A real kernel (ring, stages, cache, replay loop) around one SimulatedExchange, for tests.

The only test double is :class:`Router`, which stands in for the execution engine: it hands
every command record straight to the exchange (no risk checks, no position events).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.codec import decode_raw, encode
from domain.enums import BookLevel, OrderOption, OrderType, RecordFlag, TimeInForce
from domain.instruments import Instrument
from domain.kinds import Kind
from domain.schema import NULL_I64
from engines.cache import Cache
from engines.component import Reactor
from engines.exchange import ExchangeConfig, SimulatedExchange
from engines.kernel import Kernel
from replay.loop import run, run_until

INPUT = int(RecordFlag.INPUT)
ORDER_EVENTS = frozenset(int(k) for k in (
    Kind.ORDER_ACCEPTED, Kind.ORDER_REJECTED, Kind.ORDER_CANCELED, Kind.ORDER_EXPIRED,
    Kind.ORDER_TRIGGERED, Kind.ORDER_UPDATED, Kind.ORDER_MODIFY_REJECTED,
    Kind.ORDER_CANCEL_REJECTED, Kind.ORDER_FILLED))


class Router(Reactor):
    """Test double of the execution engine: routes commands to the exchange as they come."""

    handles = (int(Kind.SUBMIT_ORDER), int(Kind.MODIFY_ORDER), int(Kind.CANCEL_ORDER),
               int(Kind.CANCEL_ALL_ORDERS))

    def __init__(self, client: SimulatedExchange) -> None:
        super().__init__("router")
        self.client = client

    def react(self, rec: Any, ctx: Any) -> None:
        c = self.client
        {Kind.SUBMIT_ORDER: c.submit, Kind.MODIFY_ORDER: c.modify, Kind.CANCEL_ORDER: c.cancel,
         Kind.CANCEL_ALL_ORDERS: c.cancel_all}[Kind(rec.kind)](rec, ctx)


class _Cache(Cache):
    """The kernel's cache with every book at the harness's ``book_level``."""

    def __init__(self, book_level: int) -> None:
        super().__init__()
        self.book_level = book_level

    def _book_for(self, instrument_id: int, level: int) -> Any:
        return super()._book_for(instrument_id, self.book_level)



def es_future(**kw: Any) -> Instrument:
    """ESH4.GLBX: tick 0.25 at price precision 2, multiplier 50, USD."""
    return Instrument.future("ESH4.GLBX", maker_fee=kw.pop("maker_fee", 0.0001),
                             taker_fee=kw.pop("taker_fee", 0.0002), **kw)


class Venue:
    """One instrument on one simulated exchange, driven through the kernel."""

    def __init__(self, instrument: Instrument | None = None, capacity: int = 1 << 14,
                 **config: Any) -> None:
        self.instrument = instrument or es_future()
        self.kernel = Kernel(capacity=capacity)
        self.kernel.register(_Cache(int(config.get("book_level", BookLevel.L1))))
        cfg = ExchangeConfig(venue=str(self.instrument.id.venue), **config)
        self.exchange = SimulatedExchange(cfg)
        self.kernel.register(self.exchange)
        self.kernel.register(Router(self.exchange))
        self.kernel.publish_setup()
        self.iid = self.kernel.intern(str(self.instrument.id))
        self.strategy_id = self.kernel.intern("S-001")
        self.t = 10**9
        inst = encode(Kind.INSTRUMENT, ts_init=self.t, ts_event=self.t, flags=INPUT,
                      **self.instrument.to_fields(self.iid))
        self.kernel.publish_one(inst[0])
        self.kernel.start()
        self.n_orders = 0
        self.records: list[Any] = []
        self._read = 0

    # --- inputs ---------------------------------------------------------------------------------
    def _ts(self, ts: int | None) -> int:
        self.t = self.t + 1000 if ts is None else ts
        return self.t

    def feed(self, records: np.ndarray) -> None:
        """Runs input records through the replay loop and collects the log."""
        run(self.kernel, [records])
        self._collect()

    def advance(self, ts: int) -> None:
        """Publishes the scheduled records due at or before ``ts``."""
        self.t = max(self.t, ts)
        run_until(self.kernel, ts)
        self._collect()

    def _collect(self) -> None:
        last = self.kernel.last_seq
        if last > self._read:
            for view in self.kernel.ring.views(self._read + 1, last):
                data = view.tobytes()
                self.records.extend(decode_raw(data, i * 128) for i in range(len(view)))
            self._read = last

    def quote(self, bid: int, ask: int, bid_size: int = 10, ask_size: int = 10,
              ts: int | None = None) -> None:
        self.feed(encode(Kind.QUOTE, ts_init=self._ts(ts), flags=INPUT, instrument_id=self.iid,
                         price_precision=2, bid=bid, ask=ask, bid_size=bid_size,
                         ask_size=ask_size))

    def trade(self, price: int, size: int, aggressor: int, ts: int | None = None) -> None:
        self.feed(encode(Kind.TRADE, ts_init=self._ts(ts), flags=INPUT, instrument_id=self.iid,
                         price_precision=2, price=price, size=size, aggressor_side=aggressor))

    def delta(self, action: int, side: int, price: int, size: int, order_id: int = 0,
              level: BookLevel = BookLevel.L3, last: bool = True, ts: int | None = None) -> None:
        flags = INPUT | (int(RecordFlag.LAST) if last else 0)
        self.feed(encode(Kind.BOOK_DELTA, ts_init=self._ts(ts), flags=flags,
                         instrument_id=self.iid, price_precision=2, action=action, side=side,
                         level=int(level), price=price, size=size, order_id=order_id))

    def submit(self, side: int, order_type: OrderType, qty: int, price: int | None = None,
               trigger: int | None = None, tif: TimeInForce = TimeInForce.GTC,
               post_only: bool = False, reduce_only: bool = False, expire_ns: int = 0,
               ts: int | None = None) -> int:
        """Publishes ORDER_INITIALIZED + SUBMIT_ORDER; returns the client order id."""
        self.n_orders += 1
        coid = (1 << 40) | self.n_orders
        options = (OrderOption.POST_ONLY if post_only else 0) | \
            (OrderOption.REDUCE_ONLY if reduce_only else 0)
        t = self._ts(ts)
        ref = {"client_order_id": coid, "instrument_id": self.iid, "strategy_id": self.strategy_id}
        init = encode(Kind.ORDER_INITIALIZED, ts_init=t, flags=INPUT, **ref,
                      order_type=int(order_type), side=int(side), time_in_force=int(tif),
                      options=int(options), price_precision=2, size_precision=0, quantity=qty,
                      price=NULL_I64 if price is None else price,
                      trigger_price=NULL_I64 if trigger is None else trigger,
                      expire_time_ns=expire_ns)
        cmd = encode(Kind.SUBMIT_ORDER, ts_init=t, flags=INPUT, **ref)
        self.feed(np.concatenate([init, cmd]))
        return coid

    def modify(self, coid: int, qty: int | None = None, price: int | None = None,
               trigger: int | None = None, ts: int | None = None) -> None:
        self.feed(encode(Kind.MODIFY_ORDER, ts_init=self._ts(ts), flags=INPUT,
                         client_order_id=coid, instrument_id=self.iid,
                         strategy_id=self.strategy_id, price_precision=2, size_precision=0,
                         quantity=NULL_I64 if qty is None else qty,
                         price=NULL_I64 if price is None else price,
                         trigger_price=NULL_I64 if trigger is None else trigger))

    def cancel(self, coid: int, ts: int | None = None) -> None:
        self.feed(encode(Kind.CANCEL_ORDER, ts_init=self._ts(ts), flags=INPUT,
                         client_order_id=coid, instrument_id=self.iid,
                         strategy_id=self.strategy_id))

    def cancel_all(self, side: int = 0, ts: int | None = None) -> None:
        self.feed(encode(Kind.CANCEL_ALL_ORDERS, ts_init=self._ts(ts), flags=INPUT,
                         instrument_id=self.iid, strategy_id=self.strategy_id, side=side))

    # --- outputs --------------------------------------------------------------------------------
    def events(self, coid: int | None = None) -> list[Any]:
        """Returns the ORDER_* events the venue emitted (of one order), in log order."""
        return [r for r in self.records if r.kind in ORDER_EVENTS
                and (coid is None or r.client_order_id == coid)]

    def kinds(self, coid: int | None = None) -> list[str]:
        return [Kind(r.kind).name.removeprefix("ORDER_") for r in self.events(coid)]

    def fills(self, coid: int | None = None) -> list[tuple[int, int, int]]:
        """Returns (last_px, last_qty, liquidity_side) of each fill."""
        return [(r.last_px, r.last_qty, r.liquidity_side) for r in self.events(coid)
                if r.kind == Kind.ORDER_FILLED]

    def reason(self, rec: Any) -> str:
        return self.kernel.strings.text(rec.reason_id)

    def order(self, coid: int) -> Any:
        return self.kernel.ctx.cache.order(coid)

    def log_bytes(self) -> bytes:
        return b"".join(self.kernel.ring.views(1, self.kernel.last_seq)[i].tobytes()
                        for i in range(len(self.kernel.ring.views(1, self.kernel.last_seq))))
