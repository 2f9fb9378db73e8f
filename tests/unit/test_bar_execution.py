"""Bar-driven execution (issue 12, item 3): a bar becomes an open -> nearer extreme -> other
extreme -> close quote path; bid and ask bars pair into quotes; brackets on real minute bars fill
inside the bars and leave no orphaned exit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from domain.enums import OrderSide, PriceType
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from domain.order_fsm import OrderStatus
from engines.exchange.bar_path import BarPathError, bar_quotes, path_points
from examples.bracket.run_bracket import read_sides, run_bars, summary

_BAR = KIND_DTYPES[Kind.BAR]
_QUOTE = KIND_DTYPES[Kind.QUOTE]
MIN = 60_000_000_000


def bars(rows: list[tuple[int, int, int, int]], price_type: PriceType, t0: int = 0) -> np.ndarray:
    b = np.zeros(len(rows), dtype=_BAR)
    b["kind"] = int(Kind.BAR)
    b["instrument_id"] = 7
    b["price_type"] = int(price_type)
    b["price_precision"] = 5
    for i, (o, h, lo, c) in enumerate(rows):
        b[i]["open"], b[i]["high"], b[i]["low"], b[i]["close"] = o, h, lo, c
        b[i]["ts_open"] = t0 + i * MIN
        b[i]["ts_event"] = b[i]["ts_init"] = t0 + (i + 1) * MIN
    return b.view(RECORD_DTYPE)


def test_the_path_visits_the_extreme_nearer_the_open_first():
    pts = path_points(np.array([100, 100]), np.array([103, 110]), np.array([90, 98]),
                      np.array([95, 105]))
    assert pts.tolist() == [[100, 103, 90, 95], [100, 98, 110, 105]]


def test_bid_and_ask_bars_of_one_time_pair_into_four_quotes_before_the_bar():
    bid = bars([(100, 104, 99, 101)], PriceType.BID, t0=MIN)
    ask = bars([(102, 106, 101, 103)], PriceType.ASK, t0=MIN)
    out = bar_quotes(np.concatenate([bid, ask]))
    kinds = out["kind"].tolist()
    assert kinds == [int(Kind.QUOTE)] * 4 + [int(Kind.BAR)] * 2
    q = out[:4].view(_QUOTE)
    assert q["bid"].tolist() == [100, 99, 104, 101]
    assert q["ask"].tolist() == [102, 101, 106, 103]
    assert q["ts_init"].tolist() == [MIN + k * MIN // 4 for k in range(4)]
    assert (out["ts_init"][4:] == 2 * MIN).all()


def test_a_single_sided_series_quotes_the_other_side_at_the_configured_spread():
    out = bar_quotes(bars([(100, 104, 99, 101)], PriceType.BID), spread_raw=2)
    q = out[out["kind"] == int(Kind.QUOTE)].view(_QUOTE)
    assert q["bid"].tolist() == [100, 99, 104, 101]
    assert q["ask"].tolist() == [102, 101, 106, 103]
    ask_only = bar_quotes(bars([(100, 104, 99, 101)], PriceType.ASK))
    q = ask_only[ask_only["kind"] == int(Kind.QUOTE)].view(_QUOTE)
    assert q["ask"].tolist() == q["bid"].tolist() == [100, 99, 104, 101]  # spread 0 by default


def test_bars_whose_open_is_after_their_close_are_refused_naming_the_bar():
    b = bars([(100, 104, 99, 101), (100, 104, 99, 101)], PriceType.BID)
    b.view(_BAR)["ts_open"][1] = 10 * MIN
    with pytest.raises(BarPathError, match="bar 1: ts_open"):
        bar_quotes(b)


def fills_within_bars(log: np.ndarray, bid: np.ndarray, ask: np.ndarray) -> int:
    """Asserts every ORDER_FILLED lies within the [low, high] of a bar covering its time, the
    ask bar for a buy and the bid bar for a sell; returns the number of fills checked."""
    fills = log[log["kind"] == int(Kind.ORDER_FILLED)]
    f = fills.view(KIND_DTYPES[Kind.ORDER_FILLED])
    for side, series in ((OrderSide.BUY, ask), (OrderSide.SELL, bid)):
        s = series.view(_BAR)
        mine = f[f["side"] == int(side)]
        t = mine["ts_init"]
        # bars i with ts_open <= t <= ts_event: t is in bar i = searchsorted on ts_event, or the
        # bar before it when t is exactly a close (an order placed in on_bar fills at the close)
        i = np.searchsorted(s["ts_event"], t, side="left")
        ok = np.zeros(len(t), dtype=bool)
        for j in (i, i + 1):
            j = np.clip(j, 0, len(s) - 1)
            inside = (s["ts_open"][j] <= t) & (t <= s["ts_event"][j])
            ok |= inside & (s["low"][j] <= mine["last_px"]) & (mine["last_px"] <= s["high"][j])
        bad = np.flatnonzero(~ok)
        assert not len(bad), f"{side.name} fill at {int(mine['last_px'][bad[0]])} ts " \
                             f"{int(t[bad[0]])} is outside its bar"
    return len(f)


def check_brackets(data: Path, n: int | None, **params: Any) -> dict[str, int]:
    """Runs the bracket example on the shared files' first ``n`` bars (all: None) and checks
    it (:func:`check_bracket_run`)."""
    bid, ask = read_sides(data, n)
    return check_bracket_run(bid, ask, **params)


def check_bracket_run(bid: np.ndarray, ask: np.ndarray, **params: Any) -> dict[str, int]:
    """Runs the bracket example on ``bid`` / ``ask`` bars and asserts: no fault; each BID bar
    delivered once; every fill inside its bar on its side; every entered bracket has exactly
    one exit filled and the other canceled by that fill's cascade (a CANCEL_ORDER to the venue,
    or the ORDER_CANCELED of an emulated stop-loss still held in the kernel, caused by the
    fill); a bracket not entered has both exits canceled; no order left open but the last
    bracket's exits, which protect its position; the emulator holds nothing else."""
    harness, strategy = run_bars(bid, ask, **params)
    kernel, log = harness.kernel, harness.log()
    assert kernel.faulted is None
    assert strategy.n == len(bid)  # each external BID bar delivered once, none re-aggregated
    assert fills_within_bars(log, bid, ask) > 0
    cache = kernel.cache
    by_seq = {int(s): i for i, s in enumerate(log["seq"])}
    cancel_cause = {}
    for kind in (Kind.ORDER_CANCELED, Kind.CANCEL_ORDER):  # a CANCEL_ORDER's cause wins
        recs = log[log["kind"] == int(kind)].view(KIND_DTYPES[kind])
        cancel_cause.update(zip(recs["client_order_id"].tolist(), recs["cause"].tolist(),
                                strict=True))
    entered = 0
    for entry, tp, sl in strategy.lists:
        e, t, s = cache.order(entry), cache.order(tp), cache.order(sl)
        if e.status != OrderStatus.FILLED:
            assert t.status == s.status == OrderStatus.CANCELED  # held, never sent
            continue
        entered += 1
        if not t.is_closed or not s.is_closed:  # the last bracket, still working at the end
            assert not t.is_closed and not s.is_closed
            assert (entry, tp, sl) == strategy.lists[-1]
            continue
        statuses = {t.status, s.status}
        assert statuses == {OrderStatus.FILLED, OrderStatus.CANCELED}, (entry, statuses)
        filled, canceled = (t, s) if t.status == OrderStatus.FILLED else (s, t)
        cause = log[by_seq[cancel_cause[canceled.client_order_id]]]
        assert cause["kind"] == int(Kind.ORDER_FILLED)
        assert cause.view(KIND_DTYPES[Kind.ORDER_FILLED])["client_order_id"] == \
            filled.client_order_id
    open_orders = cache.orders(open_only=True)
    assert len(open_orders) <= 2  # at most the last bracket's two exits, protecting its position
    # not closed (an emulated stop-loss held in the kernel counts): only the last bracket's exits
    working = {c for ids in strategy.lists for c in ids if not cache.order(c).is_closed}
    assert working <= set(strategy.lists[-1][1:])
    held = {c for coids in _emulator(kernel).held.values() for c in coids}
    assert held <= working
    result = summary(harness, strategy)
    assert entered > 0 and result["take_profit"] + result["stop_loss"] >= entered - 1
    return result


def _emulator(kernel: Any) -> Any:
    from engines.emulator import OrderEmulator

    return next(c for c in kernel.components if isinstance(c, OrderEmulator))


def test_brackets_on_real_minute_bars_fill_inside_the_bars_and_leave_no_orphaned_exit(
        shared_data: Path) -> None:
    result = check_brackets(shared_data, 3000)
    assert result["brackets"] > 100


@pytest.mark.slow
def test_brackets_on_every_gbpusd_minute_bar_of_the_file(shared_data: Path) -> None:
    result = check_brackets(shared_data, None)
    assert result["brackets"] > 1000


def test_the_bracket_example_runs_as_documented(shared_data: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "examples.bracket.run_bracket", str(shared_data),
                          "500"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert "brackets:" in out and "take_profit:" in out and "stop_loss:" in out


def test_the_stream_pairs_bid_and_ask_bars_split_between_chunks_and_keeps_chunks_small():
    from engines.exchange.bar_path import bar_quote_stream

    bid = bars([(100, 104, 99, 101)] * 3, PriceType.BID)
    ask = bars([(102, 106, 101, 103)] * 3, PriceType.ASK)
    both = np.concatenate([bid, ask])
    both = both[np.argsort(both["ts_init"], kind="stable")]
    whole = bar_quotes(both)
    split = np.concatenate(list(bar_quote_stream([both[:3], both[3:]])))  # splits bar 2's pair
    assert split.tobytes() == whole.tobytes()
    many = bars([(100, 104, 99, 101)] * 5000, PriceType.BID)
    assert max(len(c) for c in bar_quote_stream([many])) <= 16_384
