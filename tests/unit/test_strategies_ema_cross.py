"""ema_cross trades exactly as issue 6 item 3 specifies, checked against a reference model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_backtest_helpers import T0, quotes, random_walk, run_quotes


def reference_signals(bids: list[int], asks: list[int], fast: int = 10, slow: int = 20,
                      scale: float = 1e5) -> list[tuple[int, str, bool]]:
    """Returns (quote index, side, closes first?) of every entry the spec asks for."""
    a_fast, a_slow = 2 / (fast + 1), 2 / (slow + 1)
    ema_f = ema_s = 0.0
    position = 0
    out = []
    for i, (b, a) in enumerate(zip(bids, asks, strict=True)):
        mid = (float(b / scale) + float(a / scale)) / 2
        if i == 0:
            ema_f = ema_s = mid
        else:
            ema_f = a_fast * mid + (1 - a_fast) * ema_f
            ema_s = a_slow * mid + (1 - a_slow) * ema_s
        if i + 1 < slow:
            continue
        if ema_f > ema_s and position <= 0:
            out.append((i, "BUY", position < 0))
            position = 1
        elif ema_f < ema_s and position >= 0:
            out.append((i, "SELL", position > 0))
            position = -1
    return out


def entries(run) -> list[tuple[int, str, bool]]:
    """Returns (quote index, side, preceded by a close?) of the run's opening orders."""
    rows = run.result.orders
    out = []
    for k, row in enumerate(rows):
        if k + 1 < len(rows) and rows[k + 1]["ts_init"] == row["ts_init"]:
            continue  # the close of a flip: the entry is the next order
        closes = k > 0 and rows[k - 1]["ts_init"] == row["ts_init"]
        out.append(((row["ts_init"] - T0) // 1_000_000_000 - 1, row["side"], closes))
    return out


def test_first_possible_signal_is_on_the_twentieth_quote(tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(110_000 + 10 * np.arange(40)))
    first = run.result.orders[0]
    assert (first["ts_init"] - T0) // 1_000_000_000 == 20
    assert first["side"] == "BUY" and first["quantity"] == "100000"
    assert run.result.summary["n_orders"] == 1  # stays long while the trend holds


def test_orders_follow_the_reference_ema_model_on_a_random_walk(tmp_path: Path) -> None:
    mids = random_walk(600, seed=3)
    records = quotes(mids)
    run = run_quotes(tmp_path, records)
    expected = reference_signals(list(mids), list(mids + 2))
    assert len(expected) > 10
    assert entries(run) == expected
    assert run.result.summary["n_fills"] == run.result.summary["n_orders"]


def test_a_flip_closes_the_short_with_a_reduce_only_market_order_then_buys(tmp_path: Path) -> None:
    down, up = 110_000 - 10 * np.arange(30), 109_700 + 20 * np.arange(1, 30)
    run = run_quotes(tmp_path, quotes(np.concatenate([down, up])))
    sides = [(o["side"], o["type"], o["quantity"]) for o in run.result.orders]
    assert sides == [("SELL", "MARKET", "100000"), ("BUY", "MARKET", "100000"),
                     ("BUY", "MARKET", "100000")]
    assert run.result.summary["n_positions"] == 2  # a short, closed, then a long


def test_trade_size_and_periods_come_from_params(tmp_path: Path) -> None:
    run = run_quotes(tmp_path, quotes(110_000 + 10 * np.arange(12)),
                     params={"fast": 2, "slow": 5, "trade_size": 2000})
    first = run.result.orders[0]
    assert (first["ts_init"] - T0) // 1_000_000_000 == 5
    assert first["quantity"] == "2000"


def test_a_quote_tick_and_the_raw_quote_record_fold_the_same_emas() -> None:
    from domain.codec import RAW_TUPLES
    from domain.kinds import Kind
    from engines.market_data import QuoteTick
    from engines.strategies.ema_cross import EmaCross

    raw_type = RAW_TUPLES[int(Kind.QUOTE)]
    mids = random_walk(200, seed=3)
    bids, asks = (mids - 2).tolist(), (mids + 2).tolist()
    by_tick, by_record = EmaCross(slow=10_000), EmaCross(slow=10_000)  # no signal: no kernel
    assert by_record.handlers()[int(Kind.QUOTE)] == by_record.on_quote_record
    for b, a in zip(bids, asks, strict=True):
        rec = raw_type._make([0] * len(raw_type._fields))._replace(
            bid=b, ask=a, price_precision=5)
        by_tick.on_quote(QuoteTick(rec))
        by_record.on_quote_record(rec, None)
    assert (by_tick.ema_fast, by_tick.ema_slow, by_tick.count) == \
        (by_record.ema_fast, by_record.ema_slow, by_record.count)
    assert by_tick.count == 200 and by_tick.ema_fast != by_tick.ema_slow


def test_a_subclass_overriding_on_quote_still_gets_every_quote_as_a_quote_tick() -> None:
    from domain.kinds import Kind
    from engines.strategies.ema_cross import EmaCross

    class Seen(EmaCross):
        def on_quote(self, quote):
            super().on_quote(quote)

    handler = Seen(slow=10_000).handlers()[int(Kind.QUOTE)]
    assert handler.__func__ is not EmaCross.on_quote_record  # the Actor's QuoteTick path


_RAW = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.one_of(_RAW, st.integers(-(2**54), 2**54)),
                          st.one_of(_RAW, st.integers(-(2**54), 2**54)),
                          st.integers(0, 30)), min_size=1, max_size=40))
def test_mid_prices_of_a_chunk_are_the_mids_the_strategy_computes_quote_by_quote(rows) -> None:
    """The numpy column is bit-identical to the contract's Python step, and the Python way is
    taken when some operand is not a double exactly (|raw| > 2**53 or precision > 22)."""
    from domain.kinds import KIND_DTYPES, Kind
    from engines.strategies.ema_cross import mid_prices

    q = np.zeros(len(rows), dtype=KIND_DTYPES[Kind.QUOTE])
    q["bid"], q["ask"], q["price_precision"] = zip(*rows, strict=True)
    want = [(b / 10**p + a / 10**p) / 2 for b, a, p in rows]
    got = mid_prices(q)
    assert [x.hex() for x in got] == [x.hex() for x in want]
