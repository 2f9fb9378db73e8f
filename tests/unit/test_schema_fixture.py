"""A journal written by today's schema, kept in ``tests/fixtures/schema-journal`` (issue 19
item 7): this build opens, verifies, rebuilds and re-executes it; a build of another schema
refuses it naming both fingerprints; a schema change fails here until the fixture is
regenerated deliberately (``python -m tests.fixtures.make_schema_fixture``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import journal.store
from domain.kinds import SCHEMA_FINGERPRINT
from journal import Journal, SchemaMismatch
from journal.verify import VerifyStatus, verify_journal
from replay.rebuild import rebuild
from replay.reexecute import reexecute

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
META = json.loads((FIXTURES / "schema-journal.json").read_text())


@pytest.fixture
def old_journal(tmp_path: Path) -> Path:
    path = tmp_path / "schema-journal"
    shutil.copytree(FIXTURES / "schema-journal", path)
    return path


def test_the_schema_is_the_one_the_fixture_was_written_with():
    assert f"{SCHEMA_FINGERPRINT:016x}" == META["schema_fingerprint"], (
        "the record schema changed: journals written before are refused from now on; if that "
        "is deliberate, regenerate the fixture: python -m tests.fixtures.make_schema_fixture")


def test_this_build_reads_a_journal_of_its_schema(old_journal: Path):
    with Journal.open(old_journal) as j:
        assert j.schema_fingerprint == int(META["schema_fingerprint"], 16)
        state = rebuild(j, use_snapshots=False)
    assert state.seq == META["last_seq"]
    assert f"{state.kernel.state_hash():016x}" == META["state_hash"]
    assert verify_journal(old_journal).status == VerifyStatus.CLEAN
    outcome = reexecute(old_journal)
    assert outcome.ok, outcome.format()
    assert outcome.n_records == META["last_seq"]


def test_a_build_of_another_schema_refuses_the_journal_naming_both(old_journal: Path,
                                                                  monkeypatch):
    # another schema's fingerprint differs in many bytes (one byte off is read as a damaged
    # meta page: journal.failures)
    other = SCHEMA_FINGERPRINT ^ 0x0101_0101_0101_0101
    monkeypatch.setattr(journal.store, "SCHEMA_FINGERPRINT", other)
    with pytest.raises(SchemaMismatch) as info:
        Journal.open(old_journal)
    assert META["schema_fingerprint"] in str(info.value)
    assert f"{other:016x}" in str(info.value)
