"""Message-bus fan-out: QUOTE records routed from the ring to 3 Python subscribers.

A :class:`~ringbus.router.RecordRouter` consumer publishes every record to topic
``data.quote.<instrument_id>``; 3 subscribers (``data.quote.*``, ``data.quote.1?``... patterns)
each receive every record. Records/s counts records (each delivered 3 times).

Rows:
- ``rows_1_instrument``: subscribers get a tuple ``(seq, bid, ask)`` per record, 1 instrument;
- ``rows_8_instruments``: the same with 8 interleaved instruments (runs of 1-2 records);
- ``slices_1_instrument``: subscribers get one structured view per run of same-topic records;
- ``bus_publish_direct``: ``MessageBus.publish(topic, msg)`` called per record from Python.

Run: ``python perf/bus_fanout.py [--json] [--repeats 5] [--records N] [--batch 4096]``
"""

from __future__ import annotations

from _common import median_rate, parser, quote_records, report

from ringbus import ConsumerGraph, DrainLoop, MessageBus, RecordRouter, Ring
from ringbus.router import data_topic_dtype, data_topic_key, data_topic_name


class Counter:
    """A subscriber that counts what it receives."""

    def __init__(self) -> None:
        self.n = 0

    def on_quote(self, msg: object) -> None:
        self.n += 1


def subscribed_bus() -> tuple[MessageBus, list[Counter]]:
    bus = MessageBus()
    subs = [Counter(), Counter(), Counter()]
    bus.subscribe("data.quote.*", subs[0].on_quote)
    bus.subscribe("data.*", subs[1].on_quote, priority=5)
    bus.subscribe("data.quote.?", subs[2].on_quote)
    return bus, subs


def router_rate(n_records: int, batch: int, n_instruments: int, fields: tuple[str, ...] | None,
                repeats: int) -> float:
    source = quote_records(batch, n_instruments=n_instruments)
    n_batches = max(1, n_records // batch)

    def run() -> None:
        bus, subs = subscribed_bus()
        router = RecordRouter(bus, data_topic_key, data_topic_name, fields=fields,
                              dtype_of=data_topic_dtype)
        ring = Ring(1 << 16)
        loop = DrainLoop(ring, ConsumerGraph().add("router", router))
        for _ in range(n_batches):
            ring.publish_records(source)
            loop.drain()
        if fields is not None and any(s.n != n_batches * batch for s in subs):
            raise RuntimeError(f"a subscriber missed records: {[s.n for s in subs]}")

    return median_rate(run, n_batches * batch, repeats)[0]


def direct_rate(n_records: int, repeats: int) -> float:
    def run() -> None:
        bus, _ = subscribed_bus()
        publish = bus.publish
        msg = (1, 2, 3)
        for _ in range(n_records):
            publish("data.quote.1", msg)

    return median_rate(run, n_records, repeats)[0]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=1_000_000, help="records per timed run")
    p.add_argument("--batch", type=int, default=4096, help="records per publish")
    args = p.parse_args()
    fields = ("seq", "bid", "ask")
    rows = []
    for name, n_instruments, flds in (
        ("rows_1_instrument", 1, fields),
        ("rows_8_instruments", 8, fields),
        ("slices_1_instrument", 1, None),
    ):
        rate = router_rate(args.records, args.batch, n_instruments, flds, args.repeats)
        rows.append({"workload": name, "subscribers": 3, "records_per_s": rate,
                     "ns_per_record": 1e9 / rate})
    rate = direct_rate(args.records // 4, args.repeats)
    rows.append({"workload": "bus_publish_direct", "subscribers": 3, "records_per_s": rate,
                 "ns_per_record": 1e9 / rate})
    report("bus_fanout (ring -> RecordRouter -> 3 subscribers, QUOTE records, median)", rows,
           args.json)


if __name__ == "__main__":
    main()
