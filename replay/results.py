"""Results of a backtest: headline figures, per-instrument PnL and the fills / positions tables.

Design contract:
- :class:`RunRecorder` is a ``state`` reducer that keeps the ORDER_FILLED and POSITION_OPENED /
  POSITION_CLOSED records of the run, in log order; it is an observer (empty digest: it adds
  nothing to the state hash) and adds no record to the journal;
- :func:`build_results` is a pure function of the cache, the recorder and the equity curve at
  the end of a run (the tables are built on first read, from the same final state); amounts are decimal strings in their currency (exact), ratios are floats or
  None when undefined (strict JSON), per :mod:`engines.analysis`;
- a position counts once per open -> close cycle (a netting position reopened is a new one);
  win rate and profit factor are over closed cycles' realized PnL (commissions included).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from domain.codec import RAW_STRUCTS, decode_raw
from domain.currencies import Currency
from domain.enums import LiquiditySide, OrderSide, OrderType, PositionSide
from domain.kinds import RECORD_DTYPE, Kind
from domain.values import Money, Price, Quantity
from engines.analysis import performance
from engines.component import Reducer
from engines.context import KernelContext

_FILLED, _OPENED, _CLOSED = int(Kind.ORDER_FILLED), int(Kind.POSITION_OPENED), int(Kind.POSITION_CLOSED)


class RunRecorder(Reducer):
    """Keeps the fills and position open / close events of a run (see the module contract)."""

    handles = (_FILLED, _OPENED, _CLOSED)

    def __init__(self, component_id: str = "recorder") -> None:
        super().__init__(component_id)
        self.fills: list[Any] = []
        self.opened: list[Any] = []
        self.closed: list[Any] = []

    def apply(self, rec: Any, ctx: KernelContext) -> None:
        kind = rec.kind
        if kind == _FILLED:
            self.fills.append(rec)
        elif kind == _OPENED:
            self.opened.append(rec)
        else:
            self.closed.append(rec)

    def snapshot(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Returns the kept records as record arrays (restored without a refill)."""
        arrays = {name: np.frombuffer(b"".join(RAW_STRUCTS[r.kind].pack(*r) for r in recs),
                                      dtype=RECORD_DTYPE)
                  for name, recs in (("fills", self.fills), ("opened", self.opened),
                                     ("closed", self.closed))}
        return {}, arrays

    def restore(self, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Replaces the kept records with a snapshot's."""
        for name in ("fills", "opened", "closed"):
            data = np.ascontiguousarray(arrays[name]).tobytes()
            setattr(self, name, [decode_raw(data, i << 7) for i in range(len(data) >> 7)])


def money(raw: int, currency_code: int) -> str:
    """Returns ``raw`` units of the packed currency as an exact decimal string."""
    return str(Money(raw, Currency.from_packed(currency_code))).split(" ")[0]


class _Tables:
    """The orders / fills / positions tables, each built on first use and kept."""

    def __init__(self, builders: dict[str, Callable[[], list[dict[str, Any]]]]) -> None:
        self._builders = builders
        self._built: dict[str, list[dict[str, Any]]] = {}

    def get(self, name: str) -> list[dict[str, Any]]:
        table = self._built.get(name)
        if table is None:
            table = self._built[name] = self._builders[name]()
        return table


@attrs.frozen
class BacktestResult:
    """What a run produced; ``summary`` is strict-JSON plain data, tables are lists of rows.

    The tables are built when first read (a run's figures do not need them; a parameter sweep
    that never writes a report never pays for them); they read the run's final cache, which
    nothing changes after the run."""

    summary: dict[str, Any]
    equity_ts_ns: np.ndarray
    equity: np.ndarray
    _tables: _Tables = attrs.field(repr=False, eq=False, alias="tables")

    @property
    def orders(self) -> list[dict[str, Any]]:
        return self._tables.get("orders")

    @property
    def fills(self) -> list[dict[str, Any]]:
        return self._tables.get("fills")

    @property
    def positions(self) -> list[dict[str, Any]]:
        return self._tables.get("positions")


def _orders_table(cache: Any, text: Any) -> list[dict[str, Any]]:
    rows = []
    for o in cache.orders():
        rows.append({
            "client_order_id": o.client_order_id, "instrument": text(o.instrument_id),
            "strategy": text(o.strategy_id), "side": OrderSide(o.side).name,
            "type": OrderType(o.order_type).name,
            "quantity": str(Quantity(o.quantity_raw, o.size_precision)),
            "filled": str(Quantity(o.filled_raw, o.size_precision)),
            "price": "" if o.price_raw is None else str(Price(o.price_raw, o.price_precision)),
            "status": o.status.name, "ts_init": o.ts_init, "ts_last": o.ts_last,
        })
    return rows


def _fills_table(fills: list[Any], text: Any) -> list[dict[str, Any]]:
    return [{
        "seq": f.seq, "ts_event": f.ts_event, "client_order_id": f.client_order_id,
        "instrument": text(f.instrument_id), "side": OrderSide(f.side).name,
        "liquidity": LiquiditySide(f.liquidity_side).name,
        "last_qty": str(Quantity(f.last_qty, f.size_precision)),
        "last_px": str(Price(f.last_px, f.price_precision)), "trade_id": f.trade_id,
        "commission": money(f.commission, f.commission_currency) if f.commission_currency else "0",
        "commission_currency": Currency.from_packed(f.commission_currency).code
        if f.commission_currency else "",
    } for f in fills]


def _positions_table(rec: RunRecorder, text: Any) -> list[dict[str, Any]]:
    closes: dict[int, list[Any]] = {}
    for c in rec.closed:
        closes.setdefault(c.position_id, []).append(c)
    rows = []
    for o in rec.opened:
        pending = closes.get(o.position_id) or []
        close = pending.pop(0) if pending else None
        rows.append({
            "position_id": o.position_id, "instrument": text(o.instrument_id),
            "strategy": text(o.strategy_id), "side": PositionSide(o.side).name,
            "ts_opened": o.ts_opened, "ts_closed": close.ts_event if close else "",
            "avg_px_open": o.avg_px_open, "avg_px_close": close.avg_px_close if close else "",
            "realized_pnl": money(close.realized_pnl, close.currency) if close else "",
            "currency": Currency.from_packed(o.currency).code,
        })
    return rows


def build_results(cache: Any, strings: Any, recorder: RunRecorder, equity_ts: np.ndarray,
                  equity_raw: np.ndarray, currency: str, interval_ns: int,
                  extra: dict[str, Any]) -> BacktestResult:
    """Returns the run's results (see the module contract); ``extra`` is merged into summary."""
    ccy = Currency.from_code(currency)
    scale = 10.0 ** ccy.precision
    text = strings.text
    commissions: dict[int, int] = {}
    for f in recorder.fills:
        if f.commission_currency:
            commissions[f.commission_currency] = commissions.get(f.commission_currency, 0) + f.commission
    # realized per (instrument, currency): closed cycles, plus the open cycles' realized part
    realized: dict[tuple[int, int], int] = {}
    for c in recorder.closed:
        key = (c.instrument_id, c.currency)
        realized[key] = realized.get(key, 0) + c.realized_pnl
    unrealized: dict[tuple[int, int], int] = {}
    for pos in cache.positions(open_only=True):
        key = (pos.instrument_id, pos.instrument.settlement_code)
        realized[key] = realized.get(key, 0) + pos.realized_pnl_raw
        quote = cache.quote(pos.instrument_id)
        if quote is not None:
            mark = quote.bid if pos.signed_raw > 0 else quote.ask
            unrealized[key] = unrealized.get(key, 0) + pos.unrealized_pnl_raw(mark)
    per_instrument: dict[str, dict[str, str]] = {}
    totals: dict[int, int] = {}
    for (iid, code), value in sorted(realized.items()):
        per_instrument[text(iid)] = {
            "realized_pnl": money(value, code),
            "unrealized_pnl": money(unrealized.get((iid, code), 0), code),
            "currency": Currency.from_packed(code).code,
        }
        totals[code] = totals.get(code, 0) + value
    closed_pnls = np.array([c.realized_pnl / scale for c in recorder.closed
                            if c.currency == ccy.packed], dtype=np.float64)
    stats = performance(equity_raw.astype(np.float64) / scale, interval_ns, closed_pnls)
    start_eq = int(equity_raw[0]) if len(equity_raw) else 0
    end_eq = int(equity_raw[-1]) if len(equity_raw) else 0
    summary = {
        **extra,
        "currency": ccy.code,
        "starting_equity": money(start_eq, ccy.packed), "final_equity": money(end_eq, ccy.packed),
        "total_pnl": money(end_eq - start_eq, ccy.packed),
        "realized_pnl": {Currency.from_packed(k).code: money(v, k) for k, v in sorted(totals.items())},
        "commissions": {Currency.from_packed(k).code: money(v, k)
                        for k, v in sorted(commissions.items())},
        "per_instrument": dict(sorted(per_instrument.items())),
        **stats.to_dict(),
        "n_orders": len(cache.orders()), "n_fills": len(recorder.fills),
        "n_positions": len(recorder.opened),
    }
    tables = _Tables({"orders": lambda: _orders_table(cache, text),
                      "fills": lambda: _fills_table(recorder.fills, text),
                      "positions": lambda: _positions_table(recorder, text)})
    return BacktestResult(summary=summary, equity_ts_ns=equity_ts, equity=equity_raw,
                          tables=tables)
