"""The fused kernel consumer: per record, state then engines then strategies; batch runs for
records nobody reacts to; the journal first (or beside, with ``journal_lag``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from domain.codec import RecordError, encode
from domain.instruments import Instrument
from domain.kinds import Kind
from engines.cache import Cache
from engines.component import Reactor
from engines.kernel import Kernel
from engines.strategies.ema_cross import EmaCross
from tests.unit.kernel_rig import SYMBOL, Tape, build, feed, quotes


class SeesTheCache(Reactor):
    """Records, for each QUOTE it handles, the cache's latest bid at that moment."""

    handles = (int(Kind.QUOTE),)

    def __init__(self) -> None:
        super().__init__("sees")
        self.seen: list[tuple[int, int]] = []

    def react(self, rec: Any, ctx: Any) -> None:
        self.seen.append((rec.bid, ctx.cache.quote(rec.instrument_id).bid))


class CountingCache(Cache):
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def apply_batch(self, records: np.ndarray, ctx: Any) -> None:
        self.batches += 1
        super().apply_batch(records, ctx)


def _kernel(*extra: Any, cache: Cache | None = None) -> Kernel:
    kernel = Kernel(capacity=1 << 12)
    kernel.register(cache or Cache())
    for comp in extra:
        kernel.register(comp)
    kernel.publish_setup()
    kernel.intern(SYMBOL)
    iid = kernel.strings.id_of(SYMBOL)
    kernel.publish_one(encode(Kind.INSTRUMENT, **Instrument.fx_pair(SYMBOL).to_fields(iid))[0])
    kernel.start()
    return kernel


def test_a_reactor_sees_the_state_as_of_the_record_it_handles_even_in_a_long_batch():
    sees = SeesTheCache()
    kernel = _kernel(sees)
    batch = quotes(kernel, np.arange(110_000, 110_100, dtype=np.int64))
    kernel.publish(batch)  # one batch of 100 (the vectorised path)
    assert sees.seen == [(b, b) for b in range(110_000, 110_100)]


def test_a_run_nobody_reacts_to_goes_to_the_reducers_as_one_batch():
    cache = CountingCache()
    kernel = _kernel(cache=cache)
    kernel.publish(quotes(kernel, np.arange(110_000, 111_000, dtype=np.int64)))
    assert cache.batches == 1
    assert kernel.cache.quote(kernel.strings.id_of(SYMBOL)).bid == 110_999


def test_a_record_of_an_unknown_kind_stops_the_kernel_naming_its_seq():
    kernel = _kernel()
    bad = quotes(kernel, np.array([110_000]))
    bad["kind"] = 999
    with pytest.raises(RecordError, match=f"seq {kernel.last_seq + 1}: unknown record kind 999"):
        kernel.publish_one(bad[0])


@pytest.mark.parametrize("lag", [1, 64])
def test_a_lagging_journal_gets_the_same_records_in_the_same_order(lag: int):
    logs = []
    for journal_lag in (0, lag):
        tape = Tape()
        kernel = build([EmaCross(SYMBOL, fast=3, slow=6, trade_size=1000)], journal=tape,
                       journal_lag=journal_lag)
        feed(kernel, quotes(kernel, 110_000 + (np.arange(300) % 17) * 3))
        if journal_lag > 1:
            assert tape.records()["seq"][-1] < kernel.last_seq  # it runs behind ...
        kernel.stop()  # ... until the kernel stops
        logs.append(tape.records())
        assert logs[-1]["seq"][-1] == kernel.last_seq
    assert logs[0].tobytes() == logs[1].tobytes()


def test_journal_lag_is_checked_against_the_capacity():
    with pytest.raises(Exception, match="journal_lag must be in 0..capacity // 2 = 8"):
        Kernel(capacity=16, journal=Tape(), journal_lag=9)
