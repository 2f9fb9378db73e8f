"""A tailer in another process sees every record exactly once, in order, across writer restarts."""

from __future__ import annotations

import time

from journal import JournalWriter
from journal.runs import RunManifest
from journal.synth import quote_records, run_ended, run_started
from tests.faults.test_journal_crash import spawn

TS = 1_700_000_000_000_000_000


def write_run(path, seed: int, n_commits: int, ts0: int) -> int:
    """Writes one run (sync, one commit per chunk, a little apart); returns its last ts_init."""
    m = RunManifest(config={"t": 1}, seed=seed)
    with JournalWriter(path, "sync") as writer:
        writer.on_batch(run_started(m, writer.next_seq, ts0, manifest_string_id=seed))
        ts = ts0
        for i in range(n_commits):
            records = quote_records(writer.next_seq, 1 + (i * 37) % 200, ts0_ns=ts)
            ts = int(records["ts_init"][-1])
            writer.on_batch(records)
            writer.flush()
            time.sleep(0.002)
        writer.on_batch(run_ended(m.run_id, writer.next_seq, ts))
        writer.flush()
        return ts


def test_a_tailer_in_another_process_sees_every_record_once_across_a_writer_restart(tmp_path):
    path = tmp_path / "j"
    JournalWriter(path, "sync").close()
    ts = TS
    # the expected end: two runs, each with RUN_STARTED + manifest + quotes + RUN_ENDED
    probe = tmp_path / "probe"
    write_run(probe, 1, 40, ts)
    write_run(probe, 2, 40, ts + 10**9)
    from journal import Journal, JournalReader

    with Journal.open(probe) as journal:
        last_seq = JournalReader(journal).last_seq()

    tailer = spawn("tail", str(path), str(last_seq))
    try:
        assert tailer.stdout.readline().strip() == "ready"
        ts = write_run(path, 1, 40, ts)
        time.sleep(0.05)  # the writer is gone for a while
        write_run(path, 2, 40, TS + 10**9)
        out, _ = tailer.communicate(timeout=30)
    finally:
        tailer.kill()
    lines = out.splitlines()
    assert lines[-1] == "done"
    expected = 1
    for line in lines[:-1]:
        _, first, last = line.split()
        assert int(first) == expected
        expected = int(last) + 1
    assert expected == last_seq + 1


def test_a_tailer_keeps_reading_while_the_writer_grows_the_map(tmp_path):
    path = tmp_path / "j"
    JournalWriter(path, "none", map_size=1 << 20).close()
    n = 100_000
    tailer = spawn("tail", str(path), str(n))
    try:
        assert tailer.stdout.readline().strip() == "ready"
        with JournalWriter(path, "none", map_size=1 << 20) as writer:
            records = quote_records(1, n)
            for i in range(0, n, 5000):
                writer.on_batch(records[i : i + 5000])
                writer.commit()
            assert writer.journal.env.info()["map_size"] > 1 << 20
        out, _ = tailer.communicate(timeout=30)
    finally:
        tailer.kill()
    lines = out.splitlines()
    assert lines[-1] == "done"
    assert lines[-2].split()[-1] == str(n)
