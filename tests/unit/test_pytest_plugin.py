"""The pytest plugin's fixtures work in any test of a project that installs ringbus."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from domain.enums import OrderSide
from domain.instruments import Instrument
from domain.values import Quantity
from engines.strategy import Strategy
from journal.reader import JournalReader
from journal.store import Journal
from replay.testing.strategies import quote_streams

EURUSD = Instrument.fx_pair("EUR/USD.SIM", lot_size="1000")
_FIXTURES = settings(max_examples=5, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])


class BuyOnce(Strategy):
    """Buys one lot at market on its first quote."""

    def __init__(self) -> None:
        super().__init__("buy-once")
        self.done = False

    def on_start(self) -> None:
        self.iid = min(self.cache.instruments)
        self.subscribe_quotes(self.iid)

    def on_quote(self, quote) -> None:
        if not self.done:
            self.done = True
            qty = Quantity(EURUSD.lot_size.raw, EURUSD.size_precision)
            self.submit_order(self.order_factory.market(self.iid, OrderSide.BUY, qty))


@_FIXTURES
@given(stream=quote_streams(EURUSD, min_size=2, max_size=6))
def test_run_strategy_runs_a_stream_through_a_kernel_and_checks_every_invariant(
    run_strategy, stream
):
    run = run_strategy(stream, BuyOnce())
    run.assert_ok()


def test_kernel_factory_builds_a_harness_for_an_instrument(kernel_factory):
    harness = kernel_factory(EURUSD, BuyOnce())
    assert harness.kernel is not None


@_FIXTURES
@given(stream=quote_streams(EURUSD, min_size=1, max_size=4))
def test_journal_from_stream_saves_every_record_to_a_real_lmdb_journal(
    journal_from_stream, stream
):
    path = journal_from_stream(stream)
    records = np.asarray(getattr(stream, "records", stream))
    with Journal.open(path, readonly=True) as journal:
        assert JournalReader(journal).last_seq() >= len(records)
