"""verify: clean, crashed runs, and structural errors told apart."""

from __future__ import annotations

import numpy as np

from journal import JournalWriter
from journal.runs import RunManifest
from journal.synth import quote_records, run_ended, run_recovered, run_started
from journal.verify import VerifyStatus, verify_journal

TS = 1_700_000_000_000_000_000


def write(path, *parts):
    with JournalWriter(path, "none") as writer:
        for part in parts:
            records = part(writer.next_seq) if callable(part) else part
            writer.on_batch(records)


def test_a_journal_of_clean_runs_verifies_clean(tmp_path):
    m = RunManifest(config={}, seed=1)
    write(tmp_path / "j", lambda s: run_started(m, s, TS), lambda s: quote_records(s, 100, TS),
          lambda s: run_ended(m.run_id, s, TS + 10**9))
    result = verify_journal(tmp_path / "j")
    assert result.status == VerifyStatus.CLEAN
    n = len(m.to_records(1)) + 100 + 1
    assert (result.first_seq, result.last_seq, result.n_records) == (1, n, n)


def test_a_last_run_without_end_is_a_crashed_run_not_corruption(tmp_path):
    m = RunManifest(config={}, seed=1)
    write(tmp_path / "j", lambda s: run_started(m, s, TS), lambda s: quote_records(s, 10, TS))
    result = verify_journal(tmp_path / "j")
    assert result.status == VerifyStatus.CRASHED_RUN
    assert result.crashed_runs == (m.run_id,)


def test_a_recovered_run_is_not_reported_as_crashed(tmp_path):
    a, b = RunManifest(config={}, seed=1), RunManifest(config={}, seed=2)
    write(tmp_path / "j", lambda s: run_started(a, s, TS), lambda s: quote_records(s, 10, TS),
          lambda s: run_started(b, s, TS + 10**6, 2),
          lambda s: run_recovered(a.run_id, s, TS + 10**6, s - 1),
          lambda s: run_ended(b.run_id, s, TS + 10**6))
    assert verify_journal(tmp_path / "j").status == VerifyStatus.CLEAN


def test_a_run_end_of_another_run_is_a_structural_error_with_its_seq(tmp_path):
    m = RunManifest(config={}, seed=1)
    write(tmp_path / "j", lambda s: run_started(m, s, TS), lambda s: run_ended(999, s, TS))
    result = verify_journal(tmp_path / "j")
    assert result.status == VerifyStatus.CORRUPT
    seq = len(m.to_records(1)) + 1
    assert result.findings[0].seq_range == (seq, seq)
    assert "RUN_ENDED of run 00000000000003e7" in result.findings[0].reason


def test_recovering_a_run_that_never_started_is_a_structural_error(tmp_path):
    write(tmp_path / "j", lambda s: run_recovered(77, s, TS, 0))
    result = verify_journal(tmp_path / "j")
    assert result.status == VerifyStatus.CORRUPT
    assert "never started" in result.findings[0].reason


def test_an_unknown_kind_is_reported_with_its_seq(tmp_path):
    records = quote_records(1, 20)
    records["kind"][12] = 4321
    write(tmp_path / "j", records)
    result = verify_journal(tmp_path / "j")
    assert result.status == VerifyStatus.CORRUPT
    assert result.findings[0].seq_range == (13, 13)
    assert "unknown record kind 4321" in result.findings[0].reason


def test_a_missing_journal_is_unreadable(tmp_path):
    result = verify_journal(tmp_path / "nope")
    assert result.status == VerifyStatus.UNREADABLE
    assert "not a journal" in result.message


def test_extra_checks_run_after_a_passing_scan_and_their_findings_make_it_corrupt(tmp_path):
    from journal.verify import Finding

    write(tmp_path / "j", quote_records(1, 5))
    seen = []

    def check(journal, result):
        seen.append(result.last_seq)
        return [Finding((3, 3), "re-executed record differs", "data.mdb")]

    result = verify_journal(tmp_path / "j", checks=[check])
    assert seen == [5]
    assert result.status == VerifyStatus.CORRUPT
    assert result.findings[0].reason == "re-executed record differs"
    assert np.all(result.to_dict()["findings"][0]["seq_range"] == [3, 3])
