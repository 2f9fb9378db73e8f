"""verify: clean, crashed runs, and structural errors told apart."""

from __future__ import annotations

import numpy as np

from domain.codec import encode
from domain.kinds import Kind
from journal import JournalWriter
from journal.runs import RunManifest
from journal.synth import quote_records, run_ended, run_recovered, run_started, with_seq
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


def failover(crashed_run_id, seq, last_seq_seen):
    return encode(Kind.FAILOVER, seq=seq, ts_init=TS + 10**6, ts_event=TS + 10**6, flags=1,
                  last_seq_seen=last_seq_seen, crashed_run_id=crashed_run_id,
                  old_writer_pid=11, new_writer_pid=12, reason=1)


def takeover(tmp_path, fail):
    """A crashed run, its RUN_RECOVERED, ``fail(seq, crashed_run_id, last_seq)`` (records or
    nothing) and the continuation run, ended cleanly."""
    a = RunManifest(config={}, seed=1)
    b = RunManifest(config={}, seed=1, parent_run_id=a.run_id)
    last = len(a.to_records(1)) + 10
    write(tmp_path / "j", lambda s: run_started(a, s, TS), lambda s: quote_records(s, 10, TS),
          lambda s: run_recovered(a.run_id, s, TS + 10**6, last),
          *fail(a, last),
          lambda s: run_started(b, s, TS + 10**6, 2),
          lambda s: run_ended(b.run_id, s, TS + 10**6))
    return verify_journal(tmp_path / "j")


def test_a_failover_between_recovery_and_continuation_verifies_clean(tmp_path):
    result = takeover(tmp_path, lambda a, last: [lambda s: failover(a.run_id, s, last - 3)])
    assert result.status == VerifyStatus.CLEAN, result.findings


def test_a_failover_out_of_place_is_a_structural_error_with_its_seq(tmp_path):
    late = RunManifest(config={}, seed=1)
    write(tmp_path / "j", lambda s: run_started(late, s, TS), lambda s: failover(late.run_id, s, 1),
          lambda s: run_ended(late.run_id, s, TS + 10**6))
    result = verify_journal(tmp_path / "j")
    assert result.status == VerifyStatus.CORRUPT
    seq = len(late.to_records(1)) + 1
    assert result.findings[0].seq_range == (seq, seq)
    assert "FAILOVER does not follow the RUN_RECOVERED" in result.findings[0].reason


def test_a_failover_naming_another_run_or_a_seq_past_the_crash_is_an_error(tmp_path):
    other = takeover(tmp_path / "other", lambda a, last: [lambda s: failover(a.run_id + 1, s, 1)])
    assert other.status == VerifyStatus.CORRUPT
    assert "does not follow the RUN_RECOVERED" in other.findings[0].reason
    past = takeover(tmp_path / "past", lambda a, last: [lambda s: failover(a.run_id, s, last + 5)])
    assert past.status == VerifyStatus.CORRUPT
    assert "past the crashed run's last seq" in past.findings[0].reason


def test_a_failover_not_followed_by_the_continuation_is_an_error(tmp_path):
    result = takeover(tmp_path, lambda a, last: [
        lambda s: failover(a.run_id, s, last), lambda s: with_seq(quote_records(1, 1), s, TS + 10**6)])
    assert result.status == VerifyStatus.CORRUPT
    assert "not followed by the continuation RUN_STARTED" in result.findings[0].reason


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
