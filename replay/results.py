"""Results of a backtest: headline figures, per-instrument PnL and the fills / positions tables.

Design contract:
- :class:`RunRecorder` is a ``state`` reducer that folds the ORDER_FILLED, POSITION_OPENED /
  POSITION_CLOSED and FX_RATE conversion records of the run into the summary's sums as they
  come (counts, commissions, realized PnL per instrument and currency, each closed cycle's PnL
  with its currency and the rate into the base journaled last before it, conversions per
  currency pair) and, unless ``RunRecorder.default_keep_records`` is False, keeps the fill and
  position records themselves, in log order, for the tables (a run that must not grow with its
  fills, e.g. a soak, turns them off: its summary is the same, its tables are then refused); it
  is an observer (empty digest: it adds nothing to the state hash) and adds no record to the
  journal;
- :func:`build_results` is a pure function of the cache, the recorder and the equity curve at
  the end of a run (the tables are built on first read, from the same final state); amounts
  are decimal strings in their currency (exact), ratios are floats or None when undefined
  (strict JSON), per :mod:`engines.analysis`; every figure is defined once, in
  docs/backtest.md ("Report");
- a position counts once per open -> close cycle (a netting position reopened is a new one);
  win rate, profit factor and expectancy are over closed cycles' realized PnL (commissions
  included), converted into the report currency at the rate journaled last before the close.
"""

from __future__ import annotations

from array import array
from typing import Any

import attrs
import numpy as np

from domain.currencies import Currency
from domain.kinds import Kind
from engines.analysis import DAYS_PER_YEAR, performance
from engines.component import Reducer
from engines.context import KernelContext
from replay.result_tables import (
    Tables,
    fills_table,
    money,
    orders_table,
    positions_table,
    refusals,
)

_FILLED, _OPENED, _CLOSED = int(Kind.ORDER_FILLED), int(Kind.POSITION_OPENED), int(Kind.POSITION_CLOSED)
_FX = int(Kind.FX_RATE)


class RunRecorder(Reducer):
    """Folds the fills, position events and conversions of a run (see the module contract)."""

    handles = (_FILLED, _OPENED, _CLOSED, _FX)
    #: Whether a new recorder keeps every fill / position event for the tables (False: sums
    #: only, constant memory).
    default_keep_records = True

    def __init__(self, component_id: str = "recorder") -> None:
        super().__init__(component_id)
        self.keep_records = self.default_keep_records
        self.fills: list[Any] = []
        self.opened: list[Any] = []
        self.closed: list[Any] = []
        self.n_fills = self.n_opened = self.n_closed = 0
        #: commission currency -> raw sum; (instrument id, currency) -> closed cycles' realized
        self.commissions: dict[int, int] = {}
        self.realized: dict[tuple[int, int], int] = {}
        #: per closed cycle, in log order: realized PnL raw, its currency, and the last
        #: journaled rate of that currency into the base (0.0: none seen)
        self.closed_pnl_raw: array[int] = array("q")
        self.closed_currency: array[int] = array("q")
        self.closed_rates: array[float] = array("d")
        #: (from currency, to currency) -> [amount from, amount to, count] of FX_RATE conversions
        self.conversions: dict[tuple[int, int], list[int]] = {}
        self._rates: dict[int, float] = {}

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
        elif kind == _CLOSED:
            self.n_closed += 1
            key = (rec.instrument_id, rec.currency)
            self.realized[key] = self.realized.get(key, 0) + rec.realized_pnl
            self.closed_pnl_raw.append(rec.realized_pnl)
            self.closed_currency.append(rec.currency)
            self.closed_rates.append(self._rates.get(rec.currency, 0.0))
            if keep:
                self.closed.append(rec)
        else:
            self._rates[rec.from_currency] = rec.rate
            if rec.amount_from:
                entry = self.conversions.setdefault((rec.from_currency, rec.to_currency), [0, 0, 0])
                entry[0] += rec.amount_from
                entry[1] += rec.amount_to
                entry[2] += 1

    def records(self, name: str) -> list[Any]:
        """Returns the kept records (``fills``, ``opened`` or ``closed``); raises when the
        recorder kept none (``keep_records`` False)."""
        if not self.keep_records:
            raise ValueError(f"{self.component_id}: keep_records is False, so the {name} of the "
                             f"run were not kept (read them from the journal)")
        return getattr(self, name)


@attrs.frozen
class BacktestResult:
    """What a run produced; ``summary`` is strict-JSON plain data, tables are lists of rows.

    The tables are built when first read (a run's figures do not need them; a parameter sweep
    that never writes a report never pays for them); they read the run's final cache, which
    nothing changes after the run."""

    summary: dict[str, Any]
    equity_ts_ns: np.ndarray
    equity: np.ndarray
    _tables: Tables = attrs.field(repr=False, eq=False, alias="tables")

    @property
    def orders(self) -> list[dict[str, Any]]:
        return self._tables.get("orders")

    @property
    def fills(self) -> list[dict[str, Any]]:
        return self._tables.get("fills")

    @property
    def positions(self) -> list[dict[str, Any]]:
        return self._tables.get("positions")


def fees_used(instruments: dict[str, Any], configured: tuple[Any, ...],
              venues: list[Any]) -> dict[str, dict[str, Any]]:
    """Returns, per instrument symbol, the maker / taker rates the run charged, where they came
    from (``config`` when the instrument's config sets both, ``default`` when it sets neither:
    the rates of the instrument class, else which one the config set) and the venue's fee
    rounding mode."""
    by_id = {i.id: i for i in configured}
    rounding = {v.name: v.fee_rounding for v in venues}
    out = {}
    for sym, inst in sorted(instruments.items()):
        icfg = by_id.get(sym)
        set_ = [name for name in ("maker", "taker")
                if icfg is not None and getattr(icfg, f"{name}_fee") is not None]
        source = ("config" if len(set_) == 2 else "default" if not set_
                  else f"{set_[0]} from config, the other default")
        out[sym] = {"maker_fee": inst.maker_fee, "taker_fee": inst.taker_fee, "source": source,
                    "rounding": rounding.get(str(inst.id.venue), "HALF_AWAY_FROM_ZERO")}
    return out


def _codes(amounts: dict[int, int]) -> dict[str, str]:
    return {Currency.from_packed(k).code: money(v, k) for k, v in sorted(amounts.items())}


def _converted(recorder: RunRecorder) -> dict[str, dict[str, Any]]:
    """Returns, per converted currency, the amount moved into the base currency and what it
    became there (the sums of the FX_RATE records' amounts)."""
    out = recorder.conversions
    return {Currency.from_packed(f).code: {
        "amount": money(a, f), "to": Currency.from_packed(t).code, "amount_to": money(b, t),
        "n_conversions": n} for (f, t), (a, b, n) in sorted(out.items())}


def build_results(cache: Any, strings: Any, recorder: RunRecorder, equity_ts: np.ndarray,
                  equity_raw: np.ndarray, currency: str | None, extra: dict[str, Any],
                  days_per_year: int = DAYS_PER_YEAR) -> BacktestResult:
    """Returns the run's results (see the module contract); ``extra`` is merged into summary.

    ``realized_pnl`` (per currency) is the PnL of closed positions net of their commissions,
    plus what open positions realized by reducing (gross); the commissions of open positions
    are ``open_commissions``, apart. ``total_pnl`` = final - starting equity, so when flat it
    equals ``realized_pnl``; while a position is open it is ``realized_pnl`` + unrealized -
    ``open_commissions``."""
    ccy = Currency.from_code(currency) if currency is not None else None
    scale = 10.0 ** ccy.precision if ccy is not None else 1.0
    text = strings.text
    commissions = recorder.commissions
    realized = dict(recorder.realized)
    unrealized: dict[tuple[int, int], int] = {}
    open_commissions: dict[int, int] = {}
    for pos in cache.positions(open_only=True):
        key = (pos.instrument_id, pos.instrument.settlement_code)
        realized[key] = realized.get(key, 0) + pos.realized_gross_raw
        for code, raw in pos.commissions().items():
            open_commissions[code] = open_commissions.get(code, 0) + raw
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
    if ccy is None:  # several currencies, no base: no curve, figures per currency only
        equity_ts, equity_raw = np.zeros(0, np.int64), np.zeros(0, np.int64)
    closed_pnls = _closed_pnls_in(ccy, recorder)
    stats = performance(equity_ts, equity_raw.astype(np.float64) / scale, closed_pnls,
                        days_per_year)
    start_eq = int(equity_raw[0]) if len(equity_raw) else 0
    end_eq = int(equity_raw[-1]) if len(equity_raw) else 0
    code = ccy.packed if ccy is not None else None
    summary = {
        **extra,
        "currency": ccy.code if ccy is not None else None,
        "starting_equity": money(start_eq, code) if code else None,
        "final_equity": money(end_eq, code) if code else None,
        "total_pnl": money(end_eq - start_eq, code) if code else None,
        "converted_to_base": _converted(recorder),
        "realized_pnl": _codes(totals),
        "commissions": _codes(commissions),
        "open_commissions": _codes(open_commissions),
        "per_instrument": dict(sorted(per_instrument.items())),
        **_stats_fields(stats.to_dict()),
        "n_orders": cache.trading.n_orders, "n_fills": recorder.n_fills,
        "n_positions": recorder.n_opened, "n_closed_positions": recorder.n_closed,
        **refusals(cache, text),
    }
    tables = Tables({"orders": lambda: orders_table(cache, text),
                     "fills": lambda: fills_table(recorder.records("fills"), text),
                     "positions": lambda: positions_table(recorder.records("opened"),
                                                          recorder.records("closed"), text)})
    return BacktestResult(summary=summary, equity_ts_ns=equity_ts, equity=equity_raw,
                          tables=tables)


def _closed_pnls_in(ccy: Currency | None, recorder: RunRecorder) -> np.ndarray:
    """Returns each closed cycle's realized PnL in the report currency ``ccy`` (another
    currency at the rate journaled last before its close; cycles with no such rate are left
    out); empty without a report currency."""
    if ccy is None or not recorder.n_closed:
        return np.zeros(0, np.float64)
    pnl = np.asarray(recorder.closed_pnl_raw, dtype=np.float64)
    codes = np.asarray(recorder.closed_currency, dtype=np.int64)
    rates = np.asarray(recorder.closed_rates, dtype=np.float64)
    scale = np.array([10.0 ** Currency.from_packed(int(c)).precision for c in codes])
    own = codes == ccy.packed
    keep = own | (rates != 0.0)
    return (pnl / scale * np.where(own, 1.0, rates))[keep]


def _stats_fields(stats: dict[str, Any]) -> dict[str, Any]:
    """Returns the statistics with the return and the drawdown as percentages."""
    total, dd = stats.pop("total_return"), stats.pop("max_drawdown")
    return {**stats, "return_pct": None if total is None else total * 100,
            "max_drawdown_pct": dd * 100}
