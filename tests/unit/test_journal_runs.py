"""Runs: manifests, deterministic run ids, and the end state of every run in a journal."""

from __future__ import annotations

import pytest

from journal import Journal, JournalWriter
from journal.runs import RunEndState, RunManifest, config_hash, derive_run_id, scan_runs
from journal.synth import quote_records, run_ended, run_recovered, run_started

TS = 1_700_000_000_000_000_000


def test_run_id_is_derived_from_config_hash_seed_and_parent():
    a = RunManifest(config={"b": 1, "a": [1, 2]}, seed=3)
    b = RunManifest(config={"a": [1, 2], "b": 1}, seed=3)
    assert a.run_id == b.run_id == derive_run_id(config_hash({"a": [1, 2], "b": 1}), 3, 0)
    assert RunManifest(config={"a": [1, 2], "b": 1}, seed=4).run_id != a.run_id
    assert RunManifest(config=a.config, seed=3, parent_run_id=a.run_id).run_id != a.run_id


def test_a_manifest_survives_its_json():
    m = RunManifest(config={"venue": "SIM", "x": 1.5}, seed=9, parent_run_id=12)
    assert RunManifest.from_json(m.to_json()) == m


def test_a_malformed_manifest_is_refused_naming_the_problem():
    with pytest.raises(ValueError, match="config"):
        RunManifest.from_json('{"config": 3}')


class Log:
    """Writes runs into a journal, keeping seq and ts_init consistent."""

    def __init__(self, writer: JournalWriter) -> None:
        self.writer = writer
        self.ts = TS

    def put(self, records):
        self.writer.on_batch(records)
        self.ts = int(records["ts_init"][-1])

    def start(self, seed: int, parent: int = 0, string_id: int = 1) -> RunManifest:
        m = RunManifest(config={"name": "t"}, seed=seed, parent_run_id=parent)
        self.put(run_started(m, self.writer.next_seq, self.ts, string_id))
        return m

    def quotes(self, n: int):
        self.put(quote_records(self.writer.next_seq, n, ts0_ns=self.ts))

    def end(self, m: RunManifest):
        self.put(run_ended(m.run_id, self.writer.next_seq, self.ts))

    def recovered(self, m: RunManifest):
        self.put(run_recovered(m.run_id, self.writer.next_seq, self.ts, self.writer.next_seq - 1))


def test_scan_reports_clean_recovered_and_crashed_runs_with_manifests(tmp_path):
    with JournalWriter(tmp_path / "j", "none") as writer:
        log = Log(writer)
        a = log.start(1)
        log.quotes(100)
        log.end(a)
        b = log.start(2, string_id=2)
        log.quotes(50)
        c = log.start(3, parent=b.run_id, string_id=3)
        log.recovered(b)
        log.quotes(10)
        log.end(c)
        d = log.start(4, string_id=4)
        log.quotes(5)
    with Journal.open(tmp_path / "j") as journal:
        runs = scan_runs(journal)
    assert [r.run_id for r in runs] == [a.run_id, b.run_id, c.run_id, d.run_id]
    assert [r.end_state for r in runs] == [
        RunEndState.CLEAN, RunEndState.RECOVERED, RunEndState.CLEAN, RunEndState.CRASHED,
    ]
    assert [r.manifest for r in runs] == [a, b, c, d]
    assert runs[0].first_seq == 1 and runs[0].last_seq == runs[1].first_seq - 1
    assert runs[2].parent_run_id == b.run_id


def test_the_last_run_is_open_while_a_live_writer_holds_the_journal(tmp_path):
    with JournalWriter(tmp_path / "j", "sync") as writer:
        log = Log(writer)
        log.start(1)
        log.quotes(3)
        writer.flush()
        runs = scan_runs(writer.journal)
        assert [r.end_state for r in runs] == [RunEndState.OPEN]
    with Journal.open(tmp_path / "j") as journal:
        assert [r.end_state for r in scan_runs(journal)] == [RunEndState.CRASHED]
