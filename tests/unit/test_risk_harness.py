"""A real Cache + KernelContext harness for the risk and execution engine tests (no tests here).

The venue below is a test double of an execution client: it records the commands it gets and
fills what the test asks it to fill; everything else is the real kernel code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.codec import decode_raw, packer
from domain.currencies import Currency
from domain.enums import AccountType, OrderSide, OrderType, TimeInForce
from domain.instruments import Instrument
from domain.kinds import Kind
from domain.schema import NULL_I64
from domain.strings import StringTable
from engines.cache import Cache
from engines.context import KernelContext
from engines.execution import ExecutionEngine
from engines.reasons import reason_text
from engines.risk import RiskEngine
from engines.risk_checks import RiskConfig
from engines.scheduler import Scheduler
from ringbus.outbox import Outbox

STRATEGY = 1 << 40


def raw(kind: int, **fields: Any) -> Any:
    """Returns the raw namedtuple of a record of ``kind`` built from raw fields."""
    return decode_raw(packer(kind).pack(**fields))


class RecordingVenue:
    """Execution client double: records every call in order."""

    def __init__(self, venue: str, account_id: int) -> None:
        self.venue = venue
        self.account_id = account_id
        self.calls: list[tuple[str, Any]] = []

    def submit(self, cmd: Any, ctx: KernelContext) -> None:
        self.calls.append(("submit", cmd))

    def submit_order_list(self, cmd: Any, orders: list[Any], ctx: KernelContext) -> None:
        self.calls.append(("submit_order_list", (cmd, orders)))

    def modify(self, cmd: Any, ctx: KernelContext) -> None:
        self.calls.append(("modify", cmd))

    def cancel(self, cmd: Any, ctx: KernelContext) -> None:
        self.calls.append(("cancel", cmd))

    def cancel_all(self, cmd: Any, ctx: KernelContext) -> None:
        self.calls.append(("cancel_all", cmd))


class Harness:
    """A cache, a context, the two engines and a SIM venue; records are applied as the state
    stage would: every emitted record goes through the cache before the next command."""

    def __init__(self, config: RiskConfig | None = None, usd: str = "1000000") -> None:
        self.strings = StringTable()
        self.cache = Cache(strings=self.strings)
        self.cache.initialize()
        self.ctx = KernelContext(self.strings, Scheduler(), Outbox(), self.cache)
        self.execution = ExecutionEngine()
        self.risk = RiskEngine(self.execution, config)
        self.seq = 0
        self.ts = 1_000
        self.emitted: list[Any] = []
        self.account_id = self.ctx.intern("SIM-001")
        self.venue = RecordingVenue("SIM", self.account_id)
        self.ctx.register_client("SIM", self.venue)
        self.inst = Instrument.fx_pair("EUR/USD.SIM", size_precision=0)
        self.iid = self.ctx.intern("EUR/USD.SIM")
        self.sid = self.ctx.intern("S-001")
        self.apply(raw(Kind.INSTRUMENT, **self.inst.to_fields(self.iid)))
        usd_raw = int(Decimal(usd) * 100)
        self.apply(raw(
            Kind.ACCOUNT_STATE, account_id=self.account_id, currency=Currency.from_code("USD").packed,
            account_type=int(AccountType.CASH), balance_total=usd_raw, balance_free=usd_raw,
        ))
        self.flush()
        self.counter = 0

    # --- plumbing -------------------------------------------------------------------------------
    def apply(self, rec: Any) -> None:
        handler = self.cache.handlers().get(rec.kind)
        if handler is not None:
            handler(rec, self.ctx)

    def flush(self) -> list[Any]:
        """Applies the outbox's records to the cache in order; returns them (STRINGs dropped)."""
        out = []
        for arr in self.ctx._default_outbox._pending:
            for i in range(len(arr.reshape(-1))):
                self.seq += 1
                rec = decode_raw(arr.reshape(-1)[i : i + 1].tobytes())._replace(seq=self.seq)
                self.apply(rec)
                if rec.kind != Kind.STRING:
                    out.append(rec)
        self.ctx._default_outbox._pending.clear()
        self.emitted.extend(out)
        return out

    def command(self, kind: int, **fields: Any) -> list[Any]:
        """Runs one command (or record) through risk / execution and applies what they emit."""
        self.seq += 1
        rec = raw(kind, seq=self.seq, ts_init=self.ts, ts_event=self.ts, **fields)
        self.apply(rec)
        self.ctx.set_current(self.seq, self.ts)
        if kind in self.risk.handles:
            self.risk.react(rec, self.ctx)
        elif kind in self.execution.handles:
            self.execution.react(rec, self.ctx)
        return self.flush()

    def reason(self, rec: Any) -> str:
        """The refusal's text, rendered as a reader does: its template filled from the record
        and from the REASON_ARGS emitted just before it (engines/reasons.py)."""
        i = next((i for i, r in enumerate(self.emitted) if r.seq == rec.seq), 0)
        prev = self.emitted[i - 1] if i else None
        args = prev if prev is not None and prev.kind == Kind.REASON_ARGS \
            and prev.client_order_id == rec.client_order_id else None
        return reason_text(self.strings, rec, args)

    # --- building blocks ------------------------------------------------------------------------
    def quote(self, bid: str, ask: str) -> None:
        self.apply(raw(
            Kind.QUOTE, instrument_id=self.iid, price_precision=5, size_precision=0,
            bid=int(Decimal(bid) * 10**5), ask=int(Decimal(ask) * 10**5),
            bid_size=1_000_000, ask_size=1_000_000,
        ))

    def order(
        self, side: OrderSide = OrderSide.BUY, qty: int = 1000, price: str | None = None,
        trigger: str | None = None, order_type: OrderType | None = None, options: int = 0,
        price_precision: int = 5, size_precision: int = 0, order_list_id: int = 0,
        instrument_id: int | None = None,
    ) -> int:
        """Initializes an order in the cache; returns its client order id."""
        self.counter += 1
        coid = STRATEGY | self.counter
        if order_type is None:
            order_type = OrderType.LIMIT if price is not None else OrderType.MARKET
        self.apply(raw(
            Kind.ORDER_INITIALIZED, client_order_id=coid,
            instrument_id=self.iid if instrument_id is None else instrument_id,
            strategy_id=self.sid, order_type=int(order_type), side=int(side),
            time_in_force=int(TimeInForce.GTC), options=options, price_precision=price_precision,
            size_precision=size_precision, quantity=qty,
            price=NULL_I64 if price is None else int(Decimal(price) * 10**price_precision),
            trigger_price=NULL_I64 if trigger is None else int(Decimal(trigger) * 10**price_precision),
            order_list_id=order_list_id,
        ))
        return coid

    def submit(self, coid: int, instrument_id: int | None = None) -> list[Any]:
        return self.command(
            Kind.SUBMIT_ORDER, client_order_id=coid,
            instrument_id=self.iid if instrument_id is None else instrument_id,
            strategy_id=self.sid,
        )

    def accept(self, coid: int) -> None:
        self.command(Kind.ORDER_ACCEPTED, client_order_id=coid, instrument_id=self.iid,
                     strategy_id=self.sid, venue_order_id=coid & 0xFFFF)

    def fill(self, coid: int, side: OrderSide, qty: int, px: str, trade_id: int,
             commission: int = 0) -> list[Any]:
        pid = self.execution.position_id_of(coid)
        return self.command(
            Kind.ORDER_FILLED, client_order_id=coid, instrument_id=self.iid, strategy_id=self.sid,
            venue_order_id=coid & 0xFFFF, trade_id=trade_id, position_id=pid, side=int(side),
            liquidity_side=2, price_precision=5, size_precision=0, account_id=self.account_id,
            last_qty=qty, last_px=int(Decimal(px) * 10**5), commission=commission,
            commission_currency=Currency.from_code("USD").packed,
        )
