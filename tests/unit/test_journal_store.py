"""Opening journals: schema fingerprint, meta, and what is not a journal."""

from __future__ import annotations

import struct

import lmdb
import pytest

from domain.kinds import SCHEMA_FINGERPRINT
from journal import Journal, NotAJournalError, SchemaMismatch
from journal import format as fmt
from journal.synth import write_quotes


def test_a_journal_of_another_schema_is_refused_naming_both_fingerprints(tmp_path):
    Journal.create(tmp_path / "j").close()
    env = lmdb.open(str(tmp_path / "j"), max_dbs=fmt.MAX_DBS)
    meta = env.open_db(fmt.DB_META)
    with env.begin(write=True) as txn:
        txn.put(fmt.META_SCHEMA_FINGERPRINT, struct.pack("<Q", 0x1234), db=meta)
    env.close()
    with pytest.raises(SchemaMismatch) as info:
        Journal.open(tmp_path / "j")
    assert "0000000000001234" in str(info.value)
    assert f"{SCHEMA_FINGERPRINT:016x}" in str(info.value)


def test_a_journal_of_another_format_version_is_refused(tmp_path):
    Journal.create(tmp_path / "j").close()
    env = lmdb.open(str(tmp_path / "j"), max_dbs=fmt.MAX_DBS)
    meta = env.open_db(fmt.DB_META)
    with env.begin(write=True) as txn:
        txn.put(fmt.META_FORMAT_VERSION, struct.pack("<Q", 99), db=meta)
    env.close()
    with pytest.raises(SchemaMismatch, match="format version 99"):
        Journal.open(tmp_path / "j")


def test_an_lmdb_environment_without_journal_meta_is_not_a_journal(tmp_path):
    env = lmdb.open(str(tmp_path / "j"), max_dbs=fmt.MAX_DBS)
    env.close()
    with pytest.raises(NotAJournalError, match="not a ringbus journal|without ringbus"):
        Journal.open(tmp_path / "j")


def test_an_empty_directory_is_not_a_journal_and_is_left_untouched(tmp_path):
    with pytest.raises(NotAJournalError, match="has no data.mdb"):
        Journal.open(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_reopening_a_journal_keeps_its_records(tmp_path):
    write_quotes(tmp_path / "j", 100)
    with Journal.open(tmp_path / "j") as journal:
        assert journal.schema_fingerprint == SCHEMA_FINGERPRINT
        assert journal.size_on_disk() > 100 * 128


def test_opening_a_journal_twice_in_one_process_says_how_to_share_it(tmp_path):
    from journal import JournalError, JournalWriter

    with JournalWriter(tmp_path / "j", "none"), pytest.raises(JournalError) as info:
        Journal.open(tmp_path / "j")
    assert not isinstance(info.value, NotAJournalError)
    assert "JournalReader(writer.journal)" in str(info.value)
