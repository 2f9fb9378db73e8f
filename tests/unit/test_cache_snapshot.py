"""The cache's snapshot (doc + arrays) restores an identical cache: orders, positions,
accounts, instruments, strings, market data and books (L2 and L3)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from domain.enums import BookAction, BookLevel, OrderSide
from domain.order_fsm import OrderStatus
from engines.book.deltas import book_deltas
from engines.cache import Cache
from engines.state_codec import StateCodecError, decode, encode
from engines.strategies.ema_cross import EmaCross
from tests.unit.kernel_rig import INPUT, SYMBOL, build, feed, quotes, shared_eurusd


def _digest(cache: Cache) -> str:
    h = hashlib.blake2b(digest_size=8)
    cache.digest(h)
    return h.hexdigest()


def _book(kernel, level: BookLevel, n: int = 6) -> None:
    iid = kernel.strings.id_of(SYMBOL)
    sides = [1, 2] * (n // 2)
    prices = [109_990 - i for i in range(n // 2)] + [110_010 + i for i in range(n // 2)]
    recs = book_deltas(iid, np.full(n, int(BookAction.ADD)), np.array(sides),
                       np.array(sorted(prices)), np.full(n, 5), np.arange(1, n + 1),
                       level=level, ts_init=np.full(n, kernel.ctx.now_ns + 1))
    recs["flags"] |= INPUT
    feed(kernel, recs)


@pytest.mark.parametrize("level", [BookLevel.L2, BookLevel.L3])
def test_a_restored_cache_equals_the_original(shared_data: Path, level: BookLevel):
    kernel = build([EmaCross(SYMBOL, fast=3, slow=6, trade_size=1000)])
    feed(kernel, shared_eurusd(kernel, shared_data, 200))
    _book(kernel, level)
    cache = kernel.cache
    assert cache.orders() and cache.positions() and cache.books
    doc, arrays = cache.snapshot()
    other = Cache()
    other.initialize()
    other.restore(json.loads(json.dumps(doc)), {k: v.copy() for k, v in arrays.items()})
    assert _digest(other) == _digest(cache)
    doc2, arrays2 = other.snapshot()
    assert doc2 == json.loads(json.dumps(doc))
    assert sorted(arrays2) == sorted(arrays)
    assert all(np.array_equal(arrays[k], arrays2[k]) for k in arrays)
    o, o2 = cache.orders()[-1], other.orders()[-1]
    assert (o2.status, o2.filled_raw, o2.position_id) == (o.status, o.filled_raw, o.position_id)
    assert other.book(kernel.strings.id_of(SYMBOL)).snapshot().keys() == cache.book(
        kernel.strings.id_of(SYMBOL)).snapshot().keys()


def test_a_restored_cache_keeps_folding_like_the_original():
    kernel = build([])
    feed(kernel, quotes(kernel, np.arange(110_000, 110_010, dtype=np.int64)))
    doc, arrays = kernel.cache.snapshot()
    other = Cache()
    other.initialize()
    other.restore(doc, arrays)
    assert other.quote(kernel.strings.id_of(SYMBOL)).bid == 110_009
    assert other.instrument(kernel.strings.id_of(SYMBOL)).id == kernel.cache.instrument(
        kernel.strings.id_of(SYMBOL)).id


def test_the_state_codec_round_trips_tagged_values_and_refuses_unknown_tags():
    value = {1: (OrderSide.BUY, [2.5, None]), "k": {OrderStatus.FILLED}}
    assert decode(json.loads(json.dumps(encode(value)))) == value
    with pytest.raises(StateCodecError, match="unknown enum 'Evil'"):
        decode({"e": ["Evil", 1]})
    with pytest.raises(StateCodecError, match="cannot snapshot a value of type object"):
        encode(object())
