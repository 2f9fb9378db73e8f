"""Snapshots: a safe versioned container, newest at or below a seq, corruption refused."""

from __future__ import annotations

import numpy as np
import pytest

from domain.kinds import RECORD_DTYPE
from journal import Journal, JournalWriter, SnapshotError
from journal.snapshots import (
    decode_snapshot,
    encode_snapshot,
    read_snapshot,
    snapshot_seqs,
    write_snapshot,
)
from journal.synth import quote_records


def test_a_snapshot_round_trips_its_document_and_arrays():
    arrays = {"qty": np.arange(6, dtype=np.int64).reshape(2, 3), "records": quote_records(1, 4),
              "flags": np.array([True, False]), "empty": np.zeros(0, dtype=np.float64)}
    doc, got = decode_snapshot(encode_snapshot({"k": [1, "x"]}, arrays), 5, "f")
    assert doc == {"k": [1, "x"]}
    assert sorted(got) == sorted(arrays)
    for name, array in arrays.items():
        assert got[name].dtype == array.dtype and got[name].shape == array.shape
        assert got[name].tobytes() == array.tobytes()
    assert got["records"].dtype == RECORD_DTYPE


def test_object_arrays_are_refused():
    with pytest.raises(SnapshotError, match="object dtype"):
        encode_snapshot({}, {"bad": np.array([object()], dtype=object)})


@pytest.mark.parametrize("position", [0, 5, 30, -1])
def test_a_flipped_byte_makes_the_snapshot_unreadable_with_a_typed_error(position):
    value = bytearray(encode_snapshot({"a": 1}, {"x": np.arange(10)}))
    value[position] ^= 0x40
    with pytest.raises(SnapshotError, match="seq 7"):
        decode_snapshot(bytes(value), 7, "f")


def test_read_snapshot_returns_the_newest_at_or_below_a_seq(tmp_path):
    with JournalWriter(tmp_path / "j", "sync") as writer:
        writer.on_batch(quote_records(1, 100))
        writer.flush()
        writer.write_snapshot(10, {"at": 10})
        writer.write_snapshot(50, {"at": 50}, {"x": np.ones(3)})
        with pytest.raises(ValueError, match="beyond committed_seq"):
            writer.write_snapshot(101, {})
    with Journal.open(tmp_path / "j") as journal:
        assert read_snapshot(journal, 9) is None
        assert read_snapshot(journal, 10)[:2] == (10, {"at": 10})
        assert read_snapshot(journal, 49)[:2] == (10, {"at": 10})
        seq, doc, arrays = read_snapshot(journal, 10**9)
        assert (seq, doc, arrays["x"].tolist()) == (50, {"at": 50}, [1.0, 1.0, 1.0])
        assert snapshot_seqs(journal) == [10, 50]


def test_a_corrupt_stored_snapshot_raises_naming_seq_and_file(tmp_path):
    with Journal.create(tmp_path / "j") as journal:
        write_snapshot(journal, 3, {"a": 1}, {})
        journal.write(lambda txn: txn.put((3).to_bytes(8, "big"), b"RBS1garbage",
                                          db=journal.snapshots_db))
        with pytest.raises(SnapshotError, match=f"{tmp_path}.*seq 3"):
            read_snapshot(journal, 3)
