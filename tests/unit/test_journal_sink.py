"""One contract suite for every JournalSink backend: the LMDB writer and the in-memory sink.

Each backend's class subclasses :class:`JournalSinkContract` and says how to make a sink that
commits every ``commit_every`` records at a flush, and how to read back what it committed.
The last tests run a whole trading kernel on the backend with an external venue client that
records ``committed_seq`` at every call: every command it gets is at or below it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from domain.enums import OrderSide
from domain.kinds import RECORD_DTYPE, Kind
from engines.cache import Cache
from engines.data_engine import DataEngine
from engines.execution import ExecutionEngine
from engines.kernel import Kernel
from engines.risk import RiskEngine
from engines.strategy import Strategy
from journal import JournalReader, JournalWriter, SequenceGapError, TimestampOrderError
from journal.sink import JournalSink, MemorySink
from journal.synth import quote_records
from tests.unit.kernel_rig import INPUT, SYMBOL, T0, feed, quotes


class JournalSinkContract:
    """The contract (journal/sink.py); subclasses provide ``make`` and ``committed``."""

    def make(self, tmp_path: Path, commit_every: int) -> Any:
        raise NotImplementedError

    def committed(self, sink: Any) -> np.ndarray:
        raise NotImplementedError

    def test_it_is_a_journal_sink(self, tmp_path: Path) -> None:
        assert isinstance(self.make(tmp_path, 1), JournalSink)

    def test_committed_seq_starts_at_zero_and_stays_until_a_commit(self, tmp_path: Path) -> None:
        sink = self.make(tmp_path, 4)
        assert sink.committed_seq == 0
        sink.on_batch(quote_records(1, 3))
        assert sink.flush() == 0 and sink.committed_seq == 0
        assert len(self.committed(sink)) == 0

    def test_flush_commits_once_the_policy_is_due(self, tmp_path: Path) -> None:
        sink = self.make(tmp_path, 4)
        recs = quote_records(1, 10)
        seen = []
        for i in range(10):
            sink.on_batch(recs[i : i + 1])
            seen.append(sink.flush())
        assert seen == [0, 0, 0, 4, 4, 4, 4, 8, 8, 8]
        assert sink.commit() == 10 == sink.committed_seq

    def test_committed_records_read_back_byte_identical_in_seq_order(self, tmp_path: Path) -> None:
        sink = self.make(tmp_path, 1)
        recs = quote_records(1, 500)
        for lo in range(0, 500, 37):
            sink.on_batch(recs[lo : lo + 37])
            sink.flush()
        assert sink.committed_seq == 500
        assert self.committed(sink).tobytes() == recs.tobytes()

    def test_a_gap_is_refused_naming_the_seq_and_nothing_of_the_call_is_taken(
            self, tmp_path: Path) -> None:
        sink = self.make(tmp_path, 1)
        sink.on_batch(quote_records(1, 5))
        bad = quote_records(6, 3)
        bad["seq"][1] = 9
        with pytest.raises(SequenceGapError, match="seq 9") as info:
            sink.on_batch(bad)
        assert info.value.seq == 9
        sink.on_batch(quote_records(6, 2))  # the refused call left seq 6 expected
        assert sink.commit() == 7

    def test_time_going_back_is_refused_naming_the_seq(self, tmp_path: Path) -> None:
        sink = self.make(tmp_path, 1)
        recs = quote_records(1, 4)
        recs["ts_init"][2] = recs["ts_init"][1] - 1
        with pytest.raises(TimestampOrderError, match="seq 3"):
            sink.on_batch(recs)
        assert sink.commit() == 0

    # --- the kernel on this backend: outputs only after commit ---------------------------------
    @pytest.mark.parametrize("commit_every", [1, 40])
    def test_an_external_venue_gets_commands_only_at_or_below_committed_seq(
            self, tmp_path: Path, commit_every: int) -> None:
        sink = self.make(tmp_path, commit_every)
        kernel, venue = _kernel_with_external_venue(sink)
        feed(kernel, quotes(kernel, 110_000 + np.arange(300) % 7))
        kernel.stop()
        assert venue.calls, "the strategy sent nothing: the test would pass vacuously"
        assert all(seq <= committed for _, seq, committed, _ in venue.calls)
        kinds = [k for k, *_ in venue.calls]
        assert kinds.count("submit") == 100 and kinds.count("cancel") > 0
        if commit_every > 1:  # some command waited for a later commit than its own publish
            assert any(published > seq for _, seq, _, published in venue.calls)
        log = self.committed(sink)
        sent = sorted(seq for _, seq, _, _ in venue.calls)
        # every command the engines passed on went, once: the cause of each ORDER_SUBMITTED /
        # ORDER_PENDING_CANCEL (a cancel of an order already canceling is refused, not sent)
        passed = (log["kind"] == Kind.ORDER_SUBMITTED) | (log["kind"] == Kind.ORDER_PENDING_CANCEL)
        assert sent == sorted(log["cause"][passed].tolist())

    def test_a_fault_drops_held_commands(self, tmp_path: Path) -> None:
        sink = self.make(tmp_path, 10**6)  # nothing commits before the fault
        kernel, venue = _kernel_with_external_venue(sink)
        recs = quotes(kernel, 110_000 + np.arange(30) % 7)
        for i in range(20):
            kernel.publish_one(recs[i])
        assert len(kernel.outbound.held) >= 6  # six submits and cancels wait for a commit
        venue.strategy.fail = True
        with pytest.raises(RuntimeError, match="quote 21"):
            kernel.publish_one(recs[20])
        assert venue.calls == [] and not kernel.outbound.held
        kernel.stop()
        assert venue.calls == []


class TestLmdbJournalSink(JournalSinkContract):
    def make(self, tmp_path: Path, commit_every: int) -> Any:
        durability = "sync" if commit_every == 1 else "batch"
        writer = JournalWriter(tmp_path / "j", durability=durability, batch_records=commit_every,
                               batch_ns=1 << 62, notify=False)
        self._writers.append(writer)
        return writer

    def committed(self, sink: Any) -> np.ndarray:
        return JournalReader(sink.journal).records_between(1, sink.committed_seq) \
            if sink.committed_seq else np.zeros(0, dtype=RECORD_DTYPE)

    @pytest.fixture(autouse=True)
    def _close(self) -> Any:
        self._writers: list[JournalWriter] = []
        yield
        for w in self._writers:
            w.close()


class TestMemorySink(JournalSinkContract):
    def make(self, tmp_path: Path, commit_every: int) -> Any:
        return MemorySink(commit_every=commit_every)

    def committed(self, sink: Any) -> np.ndarray:
        return sink.records()


# --- the trading kernel with an external venue ------------------------------------------------
class EveryThirdQuote(Strategy):
    """Buys a limit order on every third quote and cancels its previous one on every fifth."""

    def __init__(self) -> None:
        super().__init__("every_third")
        self.n = 0
        self.last = 0
        self.fail = False

    def on_start(self) -> None:
        self.subscribe_quotes(SYMBOL)

    def on_quote(self, quote: Any) -> None:
        self.n += 1
        if self.fail:
            raise RuntimeError(f"strategy bug on quote {self.n}")
        if self.n % 3 == 0:
            order = self.order_factory.limit(SYMBOL, OrderSide.BUY, 1000, "1.00000")
            self.last = self.submit_order(order)
        if self.n % 5 == 0 and self.last:
            self.cancel_order(self.last)


class RecordingVenue:
    """An external execution client: records (method, command seq, the journal's committed_seq,
    the kernel's last seq) at every call."""

    venue = "SIM"

    def __init__(self, kernel: Kernel, sink: Any, strategy: EveryThirdQuote) -> None:
        self.account_id = kernel.intern("SIM-001")
        self.kernel, self.sink, self.strategy = kernel, sink, strategy
        self.calls: list[tuple[str, int, int, int]] = []

    def _record(self, method: str, cmd: Any) -> None:
        self.calls.append((method, cmd.seq, self.sink.committed_seq, self.kernel.last_seq))

    def submit(self, cmd: Any) -> None:
        self._record("submit", cmd)

    def submit_order_list(self, cmd: Any, orders: list[Any]) -> None:
        self._record("submit_order_list", cmd)

    def modify(self, cmd: Any) -> None:
        self._record("modify", cmd)

    def cancel(self, cmd: Any) -> None:
        self._record("cancel", cmd)

    def cancel_all(self, cmd: Any) -> None:
        self._record("cancel_all", cmd)


def _kernel_with_external_venue(sink: Any) -> tuple[Kernel, RecordingVenue]:
    from domain.codec import encode
    from domain.instruments import Instrument

    kernel = Kernel(capacity=1 << 12, journal=sink)
    kernel.register(Cache())
    kernel.register(DataEngine())
    execution = kernel.register(ExecutionEngine())
    kernel.register(RiskEngine(execution))
    strategy = kernel.register(EveryThirdQuote())
    kernel.publish_setup()
    venue = RecordingVenue(kernel, sink, strategy)  # type: ignore[arg-type]
    kernel.register_external_client(venue)
    iid = kernel.intern(SYMBOL)
    inst = Instrument.fx_pair(SYMBOL, size_precision=0)
    kernel.publish_one(encode(Kind.INSTRUMENT, ts_init=T0, ts_event=T0, flags=INPUT,
                              **inst.to_fields(iid))[0])
    kernel.start()
    return kernel, venue
