"""The cache's hot lookups are bound to its dicts: they follow a replaced state (reset, restore)."""

from __future__ import annotations

from engines.cache import Cache
from engines.cache_trading import TradingState


def test_lookups_follow_the_state_they_read() -> None:
    cache = Cache()
    order, position, account, quote = object(), object(), object(), object()
    t = TradingState(cache.instruments, None, cache._reason_text)
    t.orders[7], t.positions[8], t.accounts[9] = order, position, account
    assert cache.order(7) is None
    cache.trading = t  # as a snapshot's restore does
    assert (cache.order(7), cache.position(8), cache.account(9)) == (order, position, account)
    cache.quotes = {3: quote}
    assert cache.quote(3) is quote
    cache.on_reset()
    assert (cache.order(7), cache.position(8), cache.account(9), cache.quote(3)) == \
        (None, None, None, None)
    assert cache.instrument(1) is None
    assert cache.trading is not t and cache.order is not None


def test_lookups_are_the_class_methods_answers() -> None:
    cache = Cache()
    t = cache.trading
    t.orders[5] = order = object()
    assert cache.order(5) is Cache.order(cache, 5) is order
    assert Cache.order(cache, 6) is None and cache.order(6) is None
