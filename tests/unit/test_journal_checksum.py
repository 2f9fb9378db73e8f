"""The batch checksum (xxh3-64) and the vectorised order checks: values, failures, no numba."""

from __future__ import annotations

import struct
import subprocess
import sys

import lmdb
import numpy as np
import pytest
import xxhash

from journal import Journal, SchemaMismatch
from journal import format as fmt
from journal.checksum import (
    OK,
    SEQ_GAP,
    TS_BACKWARDS,
    batch_checksum,
    batch_seed,
    check_and_stage,
    check_order,
    scan_records,
)
from journal.synth import quote_records


def words(records: np.ndarray) -> np.ndarray:
    return np.frombuffer(records.tobytes(), dtype=np.uint64)


def test_the_checksum_is_xxh3_64_of_the_records_seeded_by_first_seq_and_count():
    records = quote_records(5, 10)
    expected = xxhash.xxh3_64_intdigest(records.tobytes(), seed=batch_seed(5, 10))
    assert batch_checksum(records.tobytes(), 5) == expected
    assert scan_records(words(records), 5, 0) == (expected, -1, OK)


def test_the_same_bytes_under_another_first_seq_or_cut_short_do_not_verify():
    data = quote_records(1, 8).tobytes()
    whole = batch_checksum(data, 1)
    assert batch_checksum(data, 2) != whole
    assert batch_checksum(data[: 7 * fmt.RECORD_SIZE], 1) != whole


def test_every_single_bit_flip_in_a_record_changes_the_checksum():
    data = bytearray(quote_records(1, 2).tobytes())
    whole = batch_checksum(data, 1)
    for bit in range(len(data) * 8):
        data[bit // 8] ^= 1 << (bit % 8)
        assert batch_checksum(data, 1) != whole, bit
        data[bit // 8] ^= 1 << (bit % 8)


def test_a_seq_gap_is_reported_at_the_first_offending_record():
    records = quote_records(1, 100)
    records["seq"][37:] += 1
    assert scan_records(words(records), 1, 0)[1:] == (37, SEQ_GAP)
    assert check_order(words(records), 1, 0, 0, 0)[:2] == (37, SEQ_GAP)
    assert scan_records(words(quote_records(1, 5)), 2, 0)[1:] == (0, SEQ_GAP)


def test_ts_init_going_backwards_is_reported_at_the_record_that_goes_down():
    records = quote_records(1, 100)
    records["ts_init"][60] = records["ts_init"][59] - 1
    assert scan_records(words(records), 1, 0)[1:] == (60, TS_BACKWARDS)
    first_ts = int(records["ts_init"][0])
    assert check_order(words(records), 1, first_ts + 1, 0, 0)[:2] == (0, TS_BACKWARDS)


def test_ts_init_is_compared_as_signed_so_negative_stamps_order_correctly():
    records = quote_records(1, 3)
    records["ts_init"] = [-5, -1, 3]
    assert scan_records(words(records), 1, -(1 << 63))[1:] == (-1, OK)
    records["ts_init"] = [3, -1, 4]
    assert scan_records(words(records), 1, 0)[1:] == (1, TS_BACKWARDS)


def test_at_a_record_failing_both_checks_the_seq_gap_is_reported():
    records = quote_records(1, 10)
    records["seq"][4] = 99
    records["ts_init"][4] = 0
    assert scan_records(words(records), 1, 0)[1:] == (4, SEQ_GAP)


def test_check_order_reports_the_first_run_marker_and_the_last_ts_init():
    records = quote_records(1, 10)
    records["kind"][[3, 7]] = 42
    records["kind"][1] = 41
    bad, reason, marker, last_ts = check_order(words(records), 1, 0, 42, 43)
    assert (bad, reason, marker, last_ts) == (-1, OK, 3, int(records["ts_init"][-1]))
    assert check_order(words(records), 1, 0, 44, 50)[2] == -1


def test_check_and_stage_copies_only_when_the_check_passes():
    good = words(quote_records(1, 4))
    stage = np.zeros(4 + len(good), dtype=np.uint64)
    assert check_and_stage(good, stage, 4, 1, 0, 0, 0)[0] == -1
    assert np.array_equal(stage[4:], good)
    stage[:] = 0
    assert check_and_stage(good, stage, 4, 2, 0, 0, 0)[:2] == (0, SEQ_GAP)
    assert not stage.any()


def test_batches_longer_than_the_cached_offsets_are_checked_whole():
    records = quote_records(1, 10_000)
    assert scan_records(words(records), 1, 0)[1:] == (-1, OK)
    records["seq"][9_999] = 1
    assert scan_records(words(records), 1, 0)[1:] == (9_999, SEQ_GAP)


def test_a_journal_of_format_version_1_is_refused_naming_both_versions(tmp_path):
    Journal.create(tmp_path / "j").close()
    env = lmdb.open(str(tmp_path / "j"), max_dbs=fmt.MAX_DBS)
    meta = env.open_db(fmt.DB_META)
    with env.begin(write=True) as txn:
        txn.put(fmt.META_FORMAT_VERSION, struct.pack("<Q", 1), db=meta)
    env.close()
    with pytest.raises(SchemaMismatch) as info:
        Journal.open(tmp_path / "j")
    assert "format version 1," in str(info.value)
    assert f"reads {fmt.FORMAT_VERSION}" in str(info.value)
    assert fmt.FORMAT_VERSION == 2


def test_reading_writing_verifying_and_tailing_journals_never_imports_numba():
    code = (
        "import sys, journal, journal.reader, journal.writer, journal.verify, journal.tailer, "
        "journal.summary, journal.checksum; journal.checksum.warm_up(); "
        "print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
