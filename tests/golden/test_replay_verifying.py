"""The verifying journal and re-execution's reporting: what a divergence looks like."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from replay.nodes.inputs import skip_records as skip_inputs
from replay.reexecute import ReexecuteError, check_strategy_name
from replay.verifying import DivergenceError, VerifyingJournal
from tests.e2e.test_cli_replay import backtest


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Any:
    run = backtest(tmp_path_factory.mktemp("verifying") / "j")
    with Journal.open(run.journal) as j:
        yield JournalReader(j), run


class Sink:
    def __init__(self) -> None:
        self.records: list[np.ndarray] = []

    def on_batch(self, batch: np.ndarray) -> None:
        self.records.append(batch.copy())

    def flush(self) -> int:
        return 0


def test_equal_records_pass_and_the_caught_up_callback_fires_once(journal) -> None:
    reader, run = journal
    recs = reader.records_between(1)
    calls: list[int] = []
    vj = VerifyingJournal(reader, run.last_seq, writer=Sink(), on_caught_up=lambda: calls.append(1))
    for lo in range(0, len(recs), 1000):
        vj.on_batch(recs[lo : lo + 1000])
        vj.flush()
    assert vj.caught_up and vj.verified_to == run.last_seq and calls == [1]


def test_records_past_the_end_go_to_the_writer_or_are_a_divergence(journal) -> None:
    reader, run = journal
    tail = reader.records_between(run.last_seq - 1)
    extra = tail[-1:].copy()
    extra["seq"] = run.last_seq + 1
    sink = Sink()
    vj = VerifyingJournal(reader, run.last_seq, writer=sink, start_seq=run.last_seq - 1)
    vj.on_batch(np.concatenate([tail, extra]))
    assert len(sink.records) == 1 and int(sink.records[0]["seq"][0]) == run.last_seq + 1
    strict = VerifyingJournal(reader, run.last_seq, start_seq=run.last_seq - 1)
    with pytest.raises(DivergenceError, match=f"past the journal's last seq {run.last_seq}"):
        strict.on_batch(np.concatenate([tail, extra]))
    lenient = VerifyingJournal(reader, run.last_seq, allow_extra=True, start_seq=run.last_seq - 1)
    lenient.on_batch(np.concatenate([tail, extra]))


def test_the_first_differing_record_is_reported_with_both_sides(journal) -> None:
    reader, run = journal
    recs = reader.records_between(1, 3000)
    fills = np.flatnonzero(recs["kind"] == Kind.ORDER_FILLED)
    bad = recs.copy()
    bad["ts_event"][fills[0]] += 1
    vj = VerifyingJournal(reader, run.last_seq)
    with pytest.raises(DivergenceError) as err:
        vj.on_batch(bad)
    seq = int(recs["seq"][fills[0]])
    assert err.value.seq == seq and vj.verified_to == 0
    assert err.value.journaled.tobytes() == recs[fills[0] : fills[0] + 1].tobytes()
    assert err.value.produced.tobytes() == bad[fills[0] : fills[0] + 1].tobytes()


def test_skip_inputs_drops_exactly_n_records_across_chunks() -> None:
    chunks = [np.arange(5), np.arange(5, 8), np.arange(8, 20)]
    for n in (0, 3, 5, 7, 8, 19, 20, 25):
        got = np.concatenate(list(skip_inputs(iter(chunks), n)) or [np.arange(0)])
        assert got.tolist() == list(range(n, 20))


@pytest.mark.parametrize("name", ["ema_cross", "noop", "my_pkg.strategies:Mine", "a:B"])
def test_builtin_names_and_import_paths_are_accepted(name: str) -> None:
    assert check_strategy_name(name) == name


@pytest.mark.parametrize("name", ["__import__('os').system('x')", "a b:C", "mod:", ":Cls",
                                  "mod:Cls.attr", "../x:Y", "mod;rm -rf /:X"])
def test_names_that_are_no_import_path_are_refused(name: str) -> None:
    with pytest.raises(ReexecuteError, match="refusing"):
        check_strategy_name(name)


def test_a_journal_without_runs_cannot_be_reexecuted(tmp_path: Path) -> None:
    from journal.synth import write_quotes
    from replay.reexecute import reexecute

    write_quotes(tmp_path / "synth", 100, chunk=50, durability="none")
    with pytest.raises(ReexecuteError, match="holds no run"):
        reexecute(tmp_path / "synth")
