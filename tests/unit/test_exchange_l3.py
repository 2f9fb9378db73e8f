"""L3 queue position: a resting order fills only with volume traded beyond what was ahead of it.

Includes a run on the real ES MBO file (../shared/data), checked against a book rebuilt
independently from the data at the record that caused each fill.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from domain.enums import BookAction, BookLevel, LiquiditySide, OrderSide, OrderType
from domain.kinds import KIND_DTYPES, Kind
from engines.book import L3Book
from engines.exchange.queue import SWEPT, QueuePosition
from tests.unit.exchange_harness import Venue

BUY, SELL = OrderSide.BUY, OrderSide.SELL
A, C, M, F, T, R = (BookAction.ADD, BookAction.CANCEL, BookAction.MODIFY, BookAction.FILL,
                    BookAction.TRADE, BookAction.CLEAR)
MAKER = int(LiquiditySide.MAKER)
PX = 480000


def l3_venue() -> tuple[Venue, int]:
    """Bids 1 (2 lots) and 2 (3 lots) at 4800.00, ask 10 at 4800.25; our buy 3 @ 4800.00."""
    v = Venue(book_level=BookLevel.L3)
    v.delta(A, BUY, PX, 2, order_id=1)
    v.delta(A, BUY, PX, 3, order_id=2)
    v.delta(A, SELL, PX + 25, 5, order_id=10)
    c = v.submit(BUY, OrderType.LIMIT, 3, price=PX)
    return v, c


def test_a_new_order_joins_behind_the_volume_at_its_price() -> None:
    v, c = l3_venue()
    q = v.exchange.orders[c].queue
    assert q.volume_ahead == 5 and list(q.ahead) == [1, 2]


def test_fills_and_cancels_of_orders_ahead_do_not_fill_it_volume_beyond_does() -> None:
    v, c = l3_venue()
    v.delta(C, BUY, PX, 2, order_id=1)
    v.delta(F, BUY, PX, 1, order_id=2)          # traded from the order ahead
    v.delta(A, BUY, PX, 4, order_id=3)          # joins behind us
    v.delta(F, BUY, PX, 1, order_id=3)          # FIFO broken in the data: 2 still ahead
    v.delta(C, BUY, PX, 1, order_id=2)          # the book effect of the first fill: not twice
    assert v.fills(c) == [] and v.exchange.orders[c].queue.volume_ahead == 2
    v.delta(C, BUY, PX, 2, order_id=2)
    assert v.exchange.orders[c].queue.volume_ahead == 0
    v.delta(F, BUY, PX, 2, order_id=3)          # volume beyond the queue ahead: ours
    assert v.fills(c) == [(PX, 2, MAKER)]


def test_a_fill_below_its_price_means_the_level_was_swept() -> None:
    v, c = l3_venue()
    v.delta(A, BUY, PX - 25, 1, order_id=4)
    v.delta(F, BUY, PX - 25, 1, order_id=4)
    assert v.fills(c) == [(PX, 3, MAKER)]


def test_a_crossed_book_without_trades_fills_nothing() -> None:
    v, c = l3_venue()
    v.delta(A, SELL, PX - 50, 5, order_id=11)   # pre-open style crossed book
    assert v.fills(c) == []


def test_an_order_ahead_that_reprices_or_grows_loses_its_priority() -> None:
    q = QueuePosition({1: 2, 2: 3, 3: 4})
    q.on_delta(M, BUY, PX - 25, 2, 1, BUY, PX)   # repriced away
    q.on_delta(M, BUY, PX, 5, 2, BUY, PX)        # grew: back of the queue, behind us
    q.on_delta(M, BUY, PX, 1, 3, BUY, PX)        # shrank: keeps its place
    assert q.ahead == {3: 1} and q.volume_ahead == 1


def test_a_clear_makes_the_order_rejoin_at_the_back_after_the_next_last_record() -> None:
    v, c = l3_venue()
    v.delta(R, 0, 0, 0, last=False)
    v.delta(A, BUY, PX, 7, order_id=20, last=False)
    assert v.exchange.orders[c].queue.rejoin
    v.delta(A, BUY, PX, 1, order_id=21, last=True)
    q = v.exchange.orders[c].queue
    assert not q.rejoin and q.volume_ahead == 8


def test_trades_trigger_stops_on_l3_data() -> None:
    v, _ = l3_venue()
    s = v.submit(SELL, OrderType.STOP_MARKET, 1, trigger=PX - 25)
    v.delta(T, SELL, PX - 25, 1, order_id=99)
    assert v.kinds(s)[:2] == ["ACCEPTED", "TRIGGERED"]


def test_queue_position_volume_never_goes_negative_on_oversized_cancels() -> None:
    q = QueuePosition({1: 2})
    q.on_delta(C, BUY, PX, 50, 1, BUY, PX)
    assert q.volume_ahead == 0 and q.ahead == {}
    assert q.on_delta(F, BUY, PX - 25, 1, 7, BUY, PX) == SWEPT


ES_FILE = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"


def _remaining_ahead(data: np.ndarray, join: int, cause: int, ahead: dict[int, int],
                     price: int, side: int, iid: int) -> int:
    """Volume of the orders that were ahead still queued at ``cause`` (rebuilt from the data)."""
    book = L3Book(iid)
    book.apply(data[: cause + 1])
    d = data.view(KIND_DTYPES[Kind.BOOK_DELTA])[join: cause + 1]
    filled: dict[int, int] = {}
    for oid, size in zip(d["order_id"][d["action"] == F].tolist(),
                         d["size"][d["action"] == F].tolist(), strict=True):
        filled[oid] = filled.get(oid, 0) + size
    left = 0
    for oid in ahead:
        o = book.order(oid)
        if o is not None and o.price_raw == price and int(o.side) == side:
            left += max(0, o.size_raw - filled.get(oid, 0))
    return left


def test_es_mbo_orders_fill_only_after_the_volume_ahead_traded_or_cancelled(
        shared_data: Path) -> None:
    from replay.loaders.dbn import load_dbn

    v = Venue(book_level=BookLevel.L3, capacity=1 << 17)
    data = load_dbn(shared_data / ES_FILE, v.iid, price_precision=2)
    d = data.view(KIND_DTYPES[Kind.BOOK_DELTA])
    open_ns = int(np.datetime64("2023-12-25T23:01:00", "ns").astype(np.int64))
    k = int(np.searchsorted(d["ts_init"], open_ns))
    while not d["flags"][k - 1] & 2:  # stop after a LAST record: the book is consistent
        k += 1
    v.feed(data[:k])
    bids, asks = v.kernel.ctx.cache.book(v.iid).depth(2)
    t = int(d["ts_init"][k - 1])
    placed = []
    for side, px, qty in ((BUY, bids[0, 0], 1), (SELL, asks[0, 0], 1), (BUY, bids[1, 0], 2),
                          (SELL, asks[1, 0], 2)):
        coid = v.submit(side, OrderType.LIMIT, qty, price=int(px), ts=t)
        q = v.exchange.orders[coid].queue
        placed.append((coid, side, int(px), dict(q.ahead)))
        assert q.volume_ahead > 0
    v.feed(data[k:])
    seq_to_data = {r.seq: i for i, r in enumerate(r for r in v.records if r.kind == Kind.BOOK_DELTA)}
    n_fills = 0
    for coid, side, px, ahead in placed:
        for ev in v.events(coid):
            if ev.kind != Kind.ORDER_FILLED:
                continue
            n_fills += 1
            assert ev.last_px == px and ev.liquidity_side == MAKER
            cause = seq_to_data[ev.cause]
            assert _remaining_ahead(data, k, cause, ahead, px, int(side), v.iid) == 0
    assert n_fills >= 4
    with pytest.raises(KeyError):
        v.exchange.orders[placed[0][0]]  # filled orders left the venue


def test_a_modify_that_reprices_rejoins_at_the_back_and_a_decrease_keeps_the_place() -> None:
    v, c = l3_venue()
    v.delta(A, BUY, PX - 25, 4, order_id=5)
    v.modify(c, qty=2)
    assert v.exchange.orders[c].queue.volume_ahead == 5
    v.modify(c, price=PX - 25)
    q = v.exchange.orders[c].queue
    assert list(q.ahead) == [5] and q.volume_ahead == 4


def test_the_venue_reacts_to_an_instrument_only_while_it_has_open_orders_there() -> None:
    v, c = l3_venue()
    version = v.kernel.ctx.reaction_version
    assert v.exchange.reacts_to(Kind.BOOK_DELTA, v.iid)
    assert not v.exchange.reacts_to(Kind.BOOK_DELTA, v.iid + 1000)
    v.cancel(c)
    assert not v.exchange.reacts_to(Kind.BOOK_DELTA, v.iid)
    assert v.exchange.reacts_to(Kind.DISPATCH, 0) and v.kernel.ctx.reaction_version > version
