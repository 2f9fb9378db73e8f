"""Results of a backtest: headline figures, per-instrument PnL and the fills / positions tables.

Design contract:
- :class:`RunRecorder` is a ``state`` reducer that folds the ORDER_FILLED, POSITION_OPENED /
  POSITION_CLOSED and FX_RATE conversion records of the run into the summary's sums as they
  come (counts, commissions, realized PnL per instrument and currency, each closed cycle's PnL
  with its currency and the rate into the base journaled last before it, conversions per
  currency pair) and keeps the first ``keep_records`` fill records and position cycles (a
  POSITION_OPENED and, once it comes, its POSITION_CLOSED), in log order and as their 128 bytes
  (decoded when a table is built), for the tables (None:
  all; 0: none, the tables are then refused); the summary is the same for every bound; it is an
  observer (empty digest: it adds nothing to the state hash) and adds no record to the journal;
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

import struct
from array import array
from collections import Counter
from typing import Any

import attrs
import numpy as np

from domain.codec import KIND_OFFSET, RAW_STRUCTS, RAW_TUPLES, decode_raw
from domain.currencies import Currency
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
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
_KIND_AT = struct.Struct("<H")
_FILLED_STRUCT, _OPENED_STRUCT = RAW_STRUCTS[_FILLED], RAW_STRUCTS[_OPENED]
_KEPT_KINDS = {"fills": _FILLED, "opened": _OPENED, "closed": _CLOSED}


class RecordsNotKept(ValueError):
    """A table of a run whose recorder kept no records (``[run] keep_records = false``)."""


class RunRecorder(Reducer):
    """Folds the fills, position events and conversions of a run (see the module contract)."""

    handles = (_FILLED, _OPENED, _CLOSED, _FX)
    #: Fill records / position cycles a recorder keeps for the tables when the constructor is
    #: not told (None: all; 0: none, sums only).
    default_keep_records: int | None = None
    _KEPT = ("fills", "opened", "closed")

    def __init__(self, component_id: str = "recorder", keep_records: int | None = -1) -> None:
        super().__init__(component_id)
        keep = self.default_keep_records if keep_records == -1 else keep_records
        if keep is not None and (isinstance(keep, bool) or keep < 0):
            raise ValueError(f"keep_records must be an int >= 0 or None, got {keep!r}")
        self.keep_records = keep
        #: position id -> opens kept (their k-th close is kept with them, k < this)
        self._kept_opens: dict[int, int] = {}
        #: position id -> closes seen
        self._n_closes: dict[int, int] = {}
        #: kept records as their 128 bytes each, in log order (decoded when a table is built)
        self._kept: dict[str, bytearray] = {name: bytearray() for name in self._KEPT}
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
            kept = self._kept["fills"]
            if keep is None or len(kept) >> 7 < keep:
                kept += _FILLED_STRUCT.pack(*rec)
        elif kind == _OPENED:
            self.n_opened += 1
            kept = self._kept["opened"]
            if keep is None or len(kept) >> 7 < keep:
                kept += _OPENED_STRUCT.pack(*rec)
                pid = rec.position_id
                self._kept_opens[pid] = self._kept_opens.get(pid, 0) + 1
        elif kind == _CLOSED:
            self.n_closed += 1
            key = (rec.instrument_id, rec.currency)
            self.realized[key] = self.realized.get(key, 0) + rec.realized_pnl
            self.closed_pnl_raw.append(rec.realized_pnl)
            self.closed_currency.append(rec.currency)
            self.closed_rates.append(self._rates.get(rec.currency, 0.0))
            pid = rec.position_id
            k = self._n_closes.get(pid, 0)
            self._n_closes[pid] = k + 1
            if k < self._kept_opens.get(pid, 0):  # the close of a kept cycle
                self._keep("closed", rec)
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
        self._check_kept(name)
        return self._decoded(name)

    def array(self, name: str) -> np.ndarray:
        """:meth:`records` as the kind's structured array (a copy of the kept bytes)."""
        self._check_kept(name)
        return np.frombuffer(bytes(self._kept[name]), dtype=KIND_DTYPES[_KEPT_KINDS[name]])

    def _check_kept(self, name: str) -> None:
        """Raises :class:`RecordsNotKept` when the recorder keeps no records."""
        if self.keep_records == 0:
            raise RecordsNotKept(f"{self.component_id}: keep_records is 0, so the {name} of the "
                                 f"run were not kept (read them from the journal)")

    def _decoded(self, name: str) -> list[Any]:
        data = self._kept[name]
        if not data:
            return []
        (kind,) = _KIND_AT.unpack_from(data, KIND_OFFSET)
        lo, hi = data[KIND_OFFSET::128], data[KIND_OFFSET + 1::128]
        if kind not in RAW_STRUCTS or lo.count(lo[0]) != len(lo) or hi.count(hi[0]) != len(hi):
            return [decode_raw(data, i << 7) for i in range(len(data) >> 7)]
        # one kind (each list keeps one): unpacked in one C loop, not record by record
        return list(map(RAW_TUPLES[kind]._make, RAW_STRUCTS[kind].iter_unpack(data)))

    def n_kept(self, name: str) -> int:
        """Returns how many ``name`` records (``fills``, ``opened``, ``closed``) are kept."""
        return len(self._kept[name]) >> 7

    def _keep(self, name: str, rec: Any) -> None:
        self._kept[name] += RAW_STRUCTS[rec.kind].pack(*rec)

    def left_out(self) -> dict[str, str]:
        """Returns, per table the bound cut (``fills``, ``positions``), ``"N of M"`` rows kept;
        empty when every row was kept."""
        out = {}
        if self.n_kept("fills") < self.n_fills:
            out["fills"] = f"{self.n_kept('fills')} of {self.n_fills}"
        if self.n_kept("opened") < self.n_opened:
            out["positions"] = f"{self.n_kept('opened')} of {self.n_opened}"
        return out


    def snapshot(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Returns the sums and rates as plain data and the kept records as record arrays
        (restored without a refill)."""
        arrays = {name: np.frombuffer(bytes(self._kept[name]), dtype=RECORD_DTYPE)
                  for name in self._KEPT}
        arrays["closed_pnl_raw"] = np.array(self.closed_pnl_raw, dtype=np.int64)
        arrays["closed_currency"] = np.array(self.closed_currency, dtype=np.int64)
        arrays["closed_rates"] = np.array(self.closed_rates, dtype=np.float64)
        doc = {"keep_records": self.keep_records,
               "counts": [self.n_fills, self.n_opened, self.n_closed],
               "commissions": sorted(self.commissions.items()),
               "realized": [[i, c, v] for (i, c), v in sorted(self.realized.items())],
               "conversions": [[f, t, *v] for (f, t), v in sorted(self.conversions.items())],
               "rates": sorted(self._rates.items()),
               "kept_opens": sorted(self._kept_opens.items()),
               "n_closes": sorted(self._n_closes.items())}
        return doc, arrays

    def restore(self, doc: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Replaces the sums, rates and kept records with a snapshot's."""
        self._kept = {name: bytearray(np.ascontiguousarray(arrays[name]).tobytes())
                      for name in self._KEPT}
        self.closed_pnl_raw = array("q", (int(x) for x in arrays["closed_pnl_raw"]))
        self.closed_currency = array("q", (int(x) for x in arrays["closed_currency"]))
        self.closed_rates = array("d", (float(x) for x in arrays["closed_rates"]))
        keep = doc["keep_records"]  # a bool in snapshots of builds before the bound
        self.keep_records = None if keep is None or keep is True else int(keep)
        if "kept_opens" in doc:
            self._kept_opens = {int(k): int(v) for k, v in doc["kept_opens"]}
            self._n_closes = {int(k): int(v) for k, v in doc["n_closes"]}
        else:  # those builds kept every record or none
            self._kept_opens = dict(Counter(int(r.position_id) for r in self._decoded("opened")))
            self._n_closes = dict(Counter(int(r.position_id) for r in self._decoded("closed")))
        self.n_fills, self.n_opened, self.n_closed = (int(x) for x in doc["counts"])
        self.commissions = {int(k): int(v) for k, v in doc["commissions"]}
        self.realized = {(int(i), int(c)): int(v) for i, c, v in doc["realized"]}
        self.conversions = {(int(f), int(t)): [int(a), int(b), int(n)]
                            for f, t, a, b, n in doc["conversions"]}
        self._rates = {int(k): float(v) for k, v in doc["rates"]}


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

    def table(self, name: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """Returns the table ``name`` (``orders``, ``fills``, ``positions``) as (column names,
        rows as tuples): what :attr:`orders` etc. give as dicts, without building them."""
        return self._tables.rows(name)

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
    left_out = tables_left_out(cache, recorder)
    if left_out:
        summary["tables_left_out"] = left_out
    tables = Tables({"orders": lambda: orders_table(cache, text),
                     "fills": lambda: fills_table(recorder.array("fills"), text),
                     "positions": lambda: positions_table(recorder.array("opened"),
                                                          recorder.array("closed"), text)})
    return BacktestResult(summary=summary, equity_ts_ns=equity_ts, equity=equity_raw,
                          tables=tables)


def tables_left_out(cache: Any, recorder: RunRecorder) -> dict[str, str]:
    """Returns, per results table the run's memory bounds cut (``[run] order_history`` /
    ``keep_records``), ``"N of M"`` rows it lists; empty when the tables are whole."""
    out = {}
    held, total = len(cache.trading.orders), cache.trading.n_orders
    if held < total:
        out["orders"] = f"{held} of {total}"
    return {**out, **recorder.left_out()}


def _closed_pnls_in(ccy: Currency | None, recorder: RunRecorder) -> np.ndarray:
    """Returns each closed cycle's realized PnL in the report currency ``ccy`` (another
    currency at the rate journaled last before its close; cycles with no such rate are left
    out); empty without a report currency."""
    if ccy is None or not recorder.n_closed:
        return np.zeros(0, np.float64)
    pnl = np.array(recorder.closed_pnl_raw, dtype=np.float64)
    codes = np.array(recorder.closed_currency, dtype=np.int64)
    rates = np.array(recorder.closed_rates, dtype=np.float64)
    scale = np.array([10.0 ** Currency.from_packed(int(c)).precision for c in codes])
    own = codes == ccy.packed
    keep = own | (rates != 0.0)
    return (pnl / scale * np.where(own, 1.0, rates))[keep]


def _stats_fields(stats: dict[str, Any]) -> dict[str, Any]:
    """Returns the statistics with the return and the drawdown as percentages."""
    total, dd = stats.pop("total_return"), stats.pop("max_drawdown")
    return {**stats, "return_pct": None if total is None else total * 100,
            "max_drawdown_pct": dd * 100}
