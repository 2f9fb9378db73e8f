"""Results of a backtest: headline figures, per-instrument PnL and the fills / positions tables.

Design contract:
- :class:`RunRecorder` is a ``state`` reducer that folds the ORDER_FILLED and POSITION_OPENED /
  POSITION_CLOSED records of the run into the summary's sums as they come (counts, commissions,
  realized PnL per instrument and currency, each closed cycle's PnL as one int64) and, unless
  ``RunRecorder.default_keep_records`` is False, keeps the records themselves, in log order, for
  the fills and positions tables (a run that must not grow with its fills, e.g. a soak, turns
  them off: its summary is the same, its tables are then refused); it is an observer (empty
  digest: it adds nothing to the state hash) and adds no record to the journal;
- :func:`build_results` is a pure function of the cache, the recorder and the equity curve at
  the end of a run (the tables are built on first read, from the same final state); amounts are decimal strings in their currency (exact), ratios are floats or
  None when undefined (strict JSON), per :mod:`engines.analysis`;
- a position counts once per open -> close cycle (a netting position reopened is a new one);
  win rate and profit factor are over closed cycles' realized PnL (commissions included).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np

from domain.currencies import Currency
from domain.enums import LiquiditySide, OrderSide, OrderType, PositionSide
from domain.kinds import Kind
from domain.values import Money, Price, Quantity
from engines.analysis import performance
from engines.component import Reducer
from engines.context import KernelContext

_FILLED, _OPENED, _CLOSED = int(Kind.ORDER_FILLED), int(Kind.POSITION_OPENED), int(Kind.POSITION_CLOSED)


class RunRecorder(Reducer):
    """Folds the fills and position open / close events of a run (see the module contract)."""

    handles = (_FILLED, _OPENED, _CLOSED)
    #: Whether a new recorder keeps every fill / position event for the tables (False: sums
    #: only, constant memory).
    default_keep_records = True

    def __init__(self, component_id: str = "recorder") -> None:
        super().__init__(component_id)
        self.keep_records = self.default_keep_records
        self.fills: list[Any] = []
        self.opened: list[Any] = []
        self.closed: list[Any] = []
        self.n_fills = 0
        self.n_opened = 0
        #: commission currency -> raw sum; (instrument id, currency) -> closed cycles' realized
        self.commissions: dict[int, int] = {}
        self.realized: dict[tuple[int, int], int] = {}
        #: currency -> realized PnL raw of each closed cycle, in log order
        self.closed_pnls: dict[int, array[int]] = {}

    def apply(self, rec: Any, ctx: KernelContext) -> None:
        kind = rec.kind
        keep = self.keep_records
        if kind == _FILLED:
            self.n_fills += 1
            if rec.commission_currency:
                c = self.commissions
                c[rec.commission_currency] = c.get(rec.commission_currency, 0) + rec.commission
            if keep:
                self.fills.append(rec)
        elif kind == _OPENED:
            self.n_opened += 1
            if keep:
                self.opened.append(rec)
        else:
            key = (rec.instrument_id, rec.currency)
            self.realized[key] = self.realized.get(key, 0) + rec.realized_pnl
            pnls = self.closed_pnls.get(rec.currency)
            if pnls is None:
                pnls = self.closed_pnls[rec.currency] = array("q")
            pnls.append(rec.realized_pnl)
            if keep:
                self.closed.append(rec)

    def records(self, name: str) -> list[Any]:
        """Returns the kept records (``fills``, ``opened`` or ``closed``); raises when the
        recorder kept none (``keep_records`` False)."""
        if not self.keep_records:
            raise ValueError(f"{self.component_id}: keep_records is False, so the {name} of the "
                             f"run were not kept (read them from the journal)")
        return getattr(self, name)


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
    for c in rec.records("closed"):
        closes.setdefault(c.position_id, []).append(c)
    rows = []
    for o in rec.records("opened"):
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
    commissions = recorder.commissions
    # realized per (instrument, currency): closed cycles, plus the open cycles' realized part
    realized = dict(recorder.realized)
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
    closed_pnls = np.asarray(recorder.closed_pnls.get(ccy.packed, array("q")),
                             dtype=np.float64) / scale
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
        "n_orders": cache.trading.n_orders, "n_fills": recorder.n_fills,
        "n_positions": recorder.n_opened,
    }
    tables = _Tables({"orders": lambda: _orders_table(cache, text),
                      "fills": lambda: _fills_table(recorder.records("fills"), text),
                      "positions": lambda: _positions_table(recorder, text)})
    return BacktestResult(summary=summary, equity_ts_ns=equity_ts, equity=equity_raw,
                          tables=tables)
