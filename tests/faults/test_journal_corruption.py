"""Corrupt, truncated, foreign and locked journals: typed errors and documented exit codes."""

from __future__ import annotations

import os
import struct

import lmdb
import numpy as np
import pytest

from journal import (
    CorruptionError,
    Journal,
    JournalReader,
    JournalWriter,
    NotAJournalError,
    WriterLockedError,
)
from journal import format as fmt
from journal.verify import VerifyStatus, verify_journal
from replay.cli import main
from tests.faults.test_journal_crash import spawn

N = 20_000
VALUE_RECORDS = 1000


@pytest.fixture
def journal_path(tmp_path):
    from journal.synth import write_quotes

    path = tmp_path / "j"
    write_quotes(path, N, chunk=5000, durability="sync", value_records=VALUE_RECORDS)
    return path


def flip_byte_of_record(path, seq: int, offset_in_record: int) -> None:
    """Flips one byte of the stored record ``seq`` in data.mdb, found by its bytes."""
    from journal.synth import quote_records

    needle = quote_records(seq, 1).tobytes()
    data = path / fmt.DATA_FILE
    blob = bytearray(data.read_bytes())
    at = blob.find(needle)
    assert at >= 0 and blob.find(needle, at + 1) < 0
    blob[at + offset_in_record] ^= 0x01
    data.write_bytes(bytes(blob))


@pytest.mark.parametrize("offset_in_record", [0, 17, 60, 127])
def test_a_flipped_byte_is_reported_with_its_seq_range_and_reading_stops_before_it(
    journal_path, offset_in_record, capsys
):
    flip_byte_of_record(journal_path, 7_500, offset_in_record)
    assert main(["verify", str(journal_path)]) == 1
    err = capsys.readouterr().err
    assert "seq 7001..8000" in err and "data.mdb" in err

    result = verify_journal(journal_path)
    assert result.status == VerifyStatus.CORRUPT
    assert result.findings[0].seq_range == (7001, 8000)
    assert result.last_seq == 7000
    assert main(["inspect", "--json", str(journal_path)]) == 1
    assert '"seq_range": [7001, 8000]' in capsys.readouterr().out

    seen = []
    with Journal.open(journal_path) as journal:
        with pytest.raises(CorruptionError) as info:
            for batch in JournalReader(journal).batches():
                seen.append(int(batch["seq"][-1]))
        assert info.value.seq_range == (7001, 8000)
        assert str(journal_path) in info.value.path
        assert max(seen) == 7000
        with pytest.raises(CorruptionError):
            JournalReader(journal).record(7999)
        assert JournalReader(journal).record(8001) is not None  # later batches are sound alone


def test_a_flipped_byte_in_a_batch_header_is_reported(journal_path):
    data = journal_path / fmt.DATA_FILE
    blob = bytearray(data.read_bytes())
    from journal.synth import quote_records

    at = blob.find(quote_records(3001, 1).tobytes()) - fmt.BATCH_HEADER_SIZE
    blob[at + 10] ^= 0x80  # inside the stored checksum
    data.write_bytes(bytes(blob))
    result = verify_journal(journal_path)
    assert result.status == VerifyStatus.CORRUPT
    assert result.findings[0].seq_range == (3001, 4000)
    assert "checksum" in result.findings[0].reason


def test_a_missing_batch_is_a_gap_not_an_end_of_log(journal_path):
    env = lmdb.open(str(journal_path), max_dbs=fmt.MAX_DBS)
    records = env.open_db(fmt.DB_RECORDS)
    with env.begin(write=True) as txn:
        assert txn.delete(fmt.seq_key(5001), db=records)
    env.close()
    result = verify_journal(journal_path)
    assert result.status == VerifyStatus.CORRUPT
    assert "gap" in result.findings[0].reason
    assert result.findings[0].seq_range == (5001, 6001)


def test_a_truncated_data_file_cannot_be_opened(journal_path, capsys):
    data = journal_path / fmt.DATA_FILE
    os.truncate(data, data.stat().st_size // 2)
    with pytest.raises(NotAJournalError, match="truncated"):
        Journal.open(journal_path)
    assert main(["verify", str(journal_path)]) == 2
    assert "truncated" in capsys.readouterr().err


def test_a_garbage_data_file_cannot_be_opened(tmp_path, capsys):
    (tmp_path / fmt.DATA_FILE).write_bytes(np.random.default_rng(5).bytes(1 << 16))
    with pytest.raises(NotAJournalError, match="LMDB"):
        Journal.open(tmp_path)
    assert main(["verify", "--json", str(tmp_path)]) == 2
    assert '"UNREADABLE"' in capsys.readouterr().out


def test_an_empty_file_and_an_empty_directory_are_not_journals(tmp_path):
    assert main(["verify", str(tmp_path)]) == 2
    (tmp_path / fmt.DATA_FILE).write_bytes(b"")
    assert main(["verify", str(tmp_path)]) == 2
    assert main(["inspect", str(tmp_path)]) == 2


def test_a_journal_of_another_schema_exits_2_naming_the_fingerprints(journal_path, capsys):
    env = lmdb.open(str(journal_path), max_dbs=fmt.MAX_DBS)
    meta = env.open_db(fmt.DB_META)
    with env.begin(write=True) as txn:
        txn.put(fmt.META_SCHEMA_FINGERPRINT, struct.pack("<Q", 0xABCDEF), db=meta)
    env.close()
    assert main(["verify", str(journal_path)]) == 2
    assert "0000000000abcdef" in capsys.readouterr().err


def test_a_second_writer_in_another_process_is_refused_naming_the_holder_pid(tmp_path):
    holder = spawn("hold", str(tmp_path / "j"))
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WriterLockedError, match=f"pid {holder.pid}") as info:
            JournalWriter(tmp_path / "j", "sync")
        assert info.value.holder_pid == holder.pid
    finally:
        holder.kill()
        holder.wait()
    JournalWriter(tmp_path / "j", "sync").close()  # the dead holder's lock is taken over


def test_a_writer_refuses_to_continue_a_journal_whose_last_batch_is_corrupt(journal_path):
    flip_byte_of_record(journal_path, N - 3, 70)
    with pytest.raises(CorruptionError, match=f"seq {N - VALUE_RECORDS + 1}..{N}"):
        JournalWriter(journal_path, "sync")
    with pytest.raises(CorruptionError):  # not WriterLockedError: the failed one let go
        JournalWriter(journal_path, "sync")
