"""Each built-in invariant finds its violation, at the right seq, with a message naming it."""

from __future__ import annotations

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import BookAction, MarketStatus, OrderSide, OrderType, RecordFlag, TimeInForce
from domain.instruments import Instrument
from domain.kinds import Kind
from replay.testing.check import check
from replay.testing.commands import ScriptedStrategy
from replay.testing.harness import TradingHarness
from replay.testing.invariants import l3_to_l2_aggregation
from replay.testing.state import CheckConfig, CheckState, parse_window
from replay.testing.streams import INPUT, T0_NS, build, record
from replay.testing.streams import STREAM_INSTRUMENT_ID as IID

INST = Instrument.fx_pair("EUR/USD.SIM", lot_size="1000")
LAST = int(RecordFlag.LAST)
BUY, SELL = int(OrderSide.BUY), int(OrderSide.SELL)
REF = {"client_order_id": 7, "instrument_id": IID, "strategy_id": 3}


def order_events(*kinds_and_fields: tuple[int, dict]) -> np.ndarray:
    body = [record(Kind.ORDER_INITIALIZED, T0_NS, 0, order_type=int(OrderType.LIMIT), side=BUY,
                   time_in_force=int(TimeInForce.GTC), price_precision=5, quantity=1000,
                   price=110_000, **REF)]
    for kind, fields in kinds_and_fields:
        body.append(record(kind, T0_NS, 0, **REF, **fields))
    return build(INST, body).records


FILL = {"side": BUY, "price_precision": 5, "last_px": 110_000, "trade_id": 1}


def test_an_illegal_order_transition_is_named_by_order_state_machine() -> None:
    result = check(order_events((Kind.ORDER_FILLED, {**FILL, "last_qty": 1000})))
    v = result.first
    assert v is not None and (v.seq, v.invariant) == (4, "order_state_machine")
    assert "INITIALIZED" in v.message and "ORDER_FILLED" in v.message
    assert v.excerpt["order"]["status"] == "INITIALIZED"


def test_an_event_for_an_unknown_order_is_named_by_order_state_machine() -> None:
    records = order_events((Kind.ORDER_SUBMITTED, {}))
    as_kind(records[3:4], Kind.ORDER_SUBMITTED)["client_order_id"] = 8
    v = check(records).first
    assert v is not None and v.invariant == "order_state_machine" and "8" in v.message


def test_an_overfill_is_named_by_order_quantity_bounds() -> None:
    records = order_events((Kind.ORDER_SUBMITTED, {}), (Kind.ORDER_ACCEPTED, {}),
                           (Kind.ORDER_FILLED, {**FILL, "last_qty": 600}),
                           (Kind.ORDER_FILLED, {**FILL, "last_qty": 600, "trade_id": 2}))
    v = check(records).first
    assert v is not None and (v.seq, v.invariant) == (7, "order_quantity_bounds")
    assert "1200" in v.message and "1000" in v.message
    assert v.excerpt["order"]["filled_raw"] == 600


@pytest.fixture(scope="module")
def trading_log() -> np.ndarray:
    quotes = [record(Kind.QUOTE, T0_NS + i, instrument_id=IID, price_precision=5,
                     bid=110_000 + i, ask=110_002 + i, bid_size=10_000, ask_size=10_000)
              for i in range(6)]
    cmds = [("market", OrderSide.BUY, 2), ("market", OrderSide.SELL, 3), ("reduce", 1)]
    harness = TradingHarness(INST, [ScriptedStrategy(cmds)])
    harness.feed(build(INST, quotes))
    harness.finish()
    log = harness.log()
    assert check(log).ok
    return log


def first_of(log: np.ndarray, kind: int, after: int = 0) -> int:
    return int(np.flatnonzero((log["kind"] == kind) & (np.arange(len(log)) > after))[0])


def test_a_position_event_that_disagrees_with_the_fills_is_named(trading_log) -> None:
    log = trading_log.copy()
    i = first_of(log, Kind.POSITION_OPENED)
    as_kind(log[i : i + 1], Kind.POSITION_OPENED)["signed_qty"] += 1000
    v = check(log).first
    assert v is not None and (v.seq, v.invariant) == (int(log["seq"][i]), "position_matches_fills")
    assert "signed_qty 3000 != 2000" in v.message and "after the fill at seq" in v.message


def test_a_balance_that_does_not_reconcile_is_named(trading_log) -> None:
    log = trading_log.copy()
    i = first_of(log, Kind.ACCOUNT_STATE, after=first_of(log, Kind.ORDER_FILLED))
    as_kind(log[i : i + 1], Kind.ACCOUNT_STATE)["balance_total"] += 1
    v = check(log).first
    assert v is not None and (v.seq, v.invariant) == (int(log["seq"][i]), "balance_reconciles")
    assert "field balance_total raw 99999997" in v.message and "account" in v.excerpt


def delta(action: int, side: int, price: int, size: int, order_id: int, last: bool = True,
          ts: int = T0_NS, flags: int = 0) -> np.ndarray:
    return record(Kind.BOOK_DELTA, ts, INPUT | (LAST if last else 0) | flags, instrument_id=IID,
                  price_precision=5, action=action, side=side, level=3, price=price, size=size,
                  order_id=order_id)


ADD, CANCEL, MODIFY = int(BookAction.ADD), int(BookAction.CANCEL), int(BookAction.MODIFY)
TEN_PAST_TEN = T0_NS + (22 * 60 + 45) * 60 * 10**9  # 22:45 UTC


def status(action: MarketStatus, ts: int = T0_NS) -> np.ndarray:
    return record(Kind.INSTRUMENT_STATUS, ts, instrument_id=IID, action=int(action),
                  is_trading=int(action == MarketStatus.TRADING), is_quoting=255,
                  is_short_sell_restricted=255)


def crossing(ts: int = T0_NS, last: bool = True, flags: int = 0,
             stated: MarketStatus | None = MarketStatus.TRADING) -> np.ndarray:
    """The book crossed by a bid above the resting ask, after the venue stated ``stated``
    (seq 3; the crossing ADD is seq 5)."""
    head = [] if stated is None else [status(stated, ts)]
    return build(INST, [*head, delta(ADD, SELL, 110_000, 1000, 1, ts=ts),
                        delta(ADD, BUY, 110_005, 1000, 2, last=last, ts=ts, flags=flags)]).records


def test_a_book_crossed_after_last_is_named_with_its_top() -> None:
    v = check(crossing()).first
    assert v is not None and (v.seq, v.invariant) == (5, "book_not_crossed")
    assert "in continuous trading (trading status TRADING (stated at seq 3))" in v.message
    assert v.excerpt["book"]["trading_status"] == {"status": "TRADING", "seq": 3,
                                                   "inferred": False}
    assert v.excerpt["book"]["best_bid"] == (110_005, 1000)
    assert v.excerpt["book"]["best_ask"] == (110_000, 1000)


def test_a_book_crossed_before_the_last_record_of_its_event_is_not_checked() -> None:
    assert check(crossing(last=False)).ok


def test_a_crossed_book_inside_an_allowed_window_or_with_an_auction_flag_is_exempt() -> None:
    window = CheckConfig(crossed_windows_utc=("22:39-23:00",))
    assert check(crossing(ts=TEN_PAST_TEN), config=window).ok
    assert not check(crossing(ts=TEN_PAST_TEN + 20 * 60 * 10**9), config=window).ok
    auction = CheckConfig(crossed_exempt_flags=int(RecordFlag.SNAPSHOT))
    assert check(crossing(flags=int(RecordFlag.SNAPSHOT)), config=auction).ok


@pytest.mark.parametrize("text, expected", [
    ("22:39-23:00", ((22 * 60 + 39) * 60 * 10**9, 23 * 3600 * 10**9)),
    ("23:30-00:15", ((23 * 60 + 30) * 60 * 10**9, 15 * 60 * 10**9)),
])
def test_windows_parse_and_may_wrap_midnight(text: str, expected: tuple[int, int]) -> None:
    assert parse_window(text) == expected
    config = CheckConfig(crossed_windows_utc=(text,))
    assert config.crossing_allowed(T0_NS + expected[0], 0)
    assert not config.crossing_allowed(T0_NS + expected[0] - 1, 0)


def test_a_malformed_window_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="'25h'"):
        CheckConfig(crossed_windows_utc=("25h",))


@pytest.mark.parametrize("second, words", [
    (delta(CANCEL, BUY, 110_000, 1000, 9), "CANCEL of order_id 9, which is not resting"),
    (delta(MODIFY, BUY, 110_000, 1000, 9), "MODIFY of order_id 9, which is not resting"),
    (delta(ADD, BUY, 109_000, 1000, 1), "ADD of order_id 1, which is already resting"),
    (delta(CANCEL, BUY, 110_000, 3000, 1), "CANCEL of 3000 from order_id 1, which rests 2000"),
])
def test_l3_deltas_on_orders_that_do_not_rest_are_named(second: np.ndarray, words: str) -> None:
    records = build(INST, [delta(ADD, BUY, 110_000, 2000, 1), second]).records
    v = check(records).first
    assert v is not None and (v.seq, v.invariant) == (4, "l3_known_order_ids")
    assert words in v.message


def test_l3_levels_that_differ_from_the_aggregated_orders_are_named() -> None:
    records = build(INST, [delta(ADD, BUY, 110_000, 2000, 1), delta(ADD, BUY, 110_000, 500, 2)])
    state = CheckState()
    from domain.codec import decode_raw

    data = records.records.tobytes()
    for off in range(0, len(data), 128):
        rec = decode_raw(data, off)
        state.fold(rec)
    assert l3_to_l2_aggregation(state, rec) is None
    state.shadow_l3[IID].bids[110_000] += 1
    message = l3_to_l2_aggregation(state, rec)
    assert message is not None and "bids [[110000, 2500]] != aggregated orders [[110000, 2501]]" \
        in message
    state.at_end = True
    assert f"L3Book {IID} bids" in l3_to_l2_aggregation(state, rec)


def test_a_record_the_state_cannot_take_is_named_by_state_fold() -> None:
    records = build(INST, [record(Kind.QUOTE, T0_NS, instrument_id=5, price_precision=5,
                                  bid=1, ask=2)]).records
    v = check(records).first
    assert v is not None and v.invariant == "state_fold" and "instrument_id 5" in v.message
