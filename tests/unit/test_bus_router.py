"""RecordRouter: ring records fanned out to bus subscribers by topic, in seq order."""

from __future__ import annotations

from typing import Any

import numpy as np

from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from ringbus import ConsumerGraph, DrainLoop, MessageBus, RecordRouter, Ring
from ringbus.router import data_topic_dtype, data_topic_key, data_topic_name

QUOTE = KIND_DTYPES[Kind.QUOTE]
TRADE = KIND_DTYPES[Kind.TRADE]


def quotes(instruments: list[int]) -> np.ndarray:
    q = np.zeros(len(instruments), dtype=QUOTE)
    q["kind"] = Kind.QUOTE
    q["instrument_id"] = instruments
    q["bid"] = np.arange(len(instruments)) * 10
    return q.view(RECORD_DTYPE)


def trade(instrument: int, price: int) -> np.ndarray:
    t = np.zeros(1, dtype=TRADE)
    t["kind"] = Kind.TRADE
    t["instrument_id"] = instrument
    t["price"] = price
    return t.view(RECORD_DTYPE)


def routed(fields: tuple[str, ...] | None) -> tuple[Ring, DrainLoop, MessageBus]:
    bus = MessageBus()
    router = RecordRouter(bus, data_topic_key, data_topic_name, fields, data_topic_dtype)
    ring = Ring(64)
    return ring, DrainLoop(ring, ConsumerGraph().add("router", router)), bus


def test_data_topics_are_named_by_kind_and_instrument() -> None:
    keys = data_topic_key(quotes([17, 3]))
    assert [data_topic_name(k) for k in keys.tolist()] == ["data.quote.17", "data.quote.3"]
    assert data_topic_name(int(data_topic_key(trade(5, 1))[0])) == "data.trade.5"
    assert data_topic_dtype(int(keys[0])) == QUOTE


def test_subscribers_get_field_tuples_in_seq_order_across_interleaved_topics() -> None:
    ring, loop, bus = routed(("seq", "instrument_id", "bid"))
    everything: list[Any] = []
    only_1: list[Any] = []
    bus.subscribe("data.quote.*", everything.append)
    bus.subscribe("data.quote.1", only_1.append, priority=1)
    ring.publish_records(quotes([1, 2, 2, 1, 3]))
    loop.drain()
    assert everything == [(1, 1, 0), (2, 2, 10), (3, 2, 20), (4, 1, 30), (5, 3, 40)]
    assert only_1 == [(1, 1, 0), (4, 1, 30)]


def test_delivery_order_per_record_follows_priority_then_subscription() -> None:
    ring, loop, bus = routed(("seq",))
    out: list[tuple[str, int]] = []
    bus.subscribe("data.*", lambda row: out.append(("low", row[0])))
    bus.subscribe("data.quote.?", lambda row: out.append(("high", row[0])), priority=2)
    ring.publish_records(quotes([1, 1]))
    loop.drain()
    assert out == [("high", 1), ("low", 1), ("high", 2), ("low", 2)]


def test_mixed_kinds_are_read_with_each_kinds_dtype_in_seq_order() -> None:
    ring, loop, bus = routed(("seq", "kind"))
    out: list[Any] = []
    prices: list[Any] = []
    bus.subscribe("data.*", out.append)
    ring.publish_records(np.concatenate([quotes([1]), trade(1, 99), quotes([1, 1])]))
    loop.drain()
    assert out == [(1, 20), (2, 21), (3, 20), (4, 20)]
    ring2, loop2, bus2 = routed(("price",))
    bus2.subscribe("data.trade.*", prices.append)
    ring2.publish_records(np.concatenate([quotes([1]), trade(1, 99)]))
    loop2.drain()
    assert prices == [(99,)]


def test_without_fields_subscribers_get_one_structured_view_per_run() -> None:
    ring, loop, bus = routed(None)
    runs: list[tuple[str, list[int]]] = []
    bus.subscribe("data.quote.*", lambda run: runs.append((run.dtype.names[-1], run["seq"].tolist())))
    ring.publish_records(quotes([1, 1, 2, 1]))
    loop.drain()
    assert runs == [("ask_size", [1, 2]), ("ask_size", [3]), ("ask_size", [4])]


def test_topics_without_subscribers_are_skipped_and_subscribing_later_takes_effect() -> None:
    ring, loop, bus = routed(("seq",))
    ring.publish_records(quotes([1, 1]))
    loop.drain()
    out: list[Any] = []
    bus.subscribe("data.quote.1", out.append)
    ring.publish_records(quotes([1]))
    loop.drain()
    assert out == [(3,)]
