"""Journal damage (issue 18, item 1): a damaged LMDB page, a rollback to an older meta page or
a damaged snapshot is a finding (exit 1, one line, no traceback), never a signal death."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from domain.kinds import SCHEMA_FINGERPRINT
from journal import JournalWriter
from journal import format as fmt
from journal.synth import quote_records, write_quotes
from tests.faults.damage import (
    demo_journal,
    leaf_nodes,
    lower_newest_txnid,
    records_leaf_nodes,
    ringbus,
    tail_all,
    tree_pages,
    xor_byte,
)
from tests.faults.test_journal_corruption import flip_byte_of_record

READERS = ("verify", "inspect", "replay")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return demo_journal(tmp_path_factory.mktemp("demo") / "j")


def copy_of(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("report", "tailers"))
    return dst


def assert_finding(outcome, *needles: str) -> None:
    assert outcome.returncode == 1, (outcome.returncode, outcome.stderr[-800:])
    assert not outcome.traceback, outcome.stderr[-800:]
    text = outcome.stdout + outcome.stderr
    for needle in needles:
        assert needle in text, (needle, text[-800:])


@pytest.mark.parametrize("node", [0, 2])
def test_sigbus_after_a_damaged_node_size_on_a_leaf_page_becomes_exit_1(demo, tmp_path, node):
    path = copy_of(demo, tmp_path / "j")
    data = path / fmt.DATA_FILE
    offset, _, _, key = records_leaf_nodes(data.read_bytes())[node]
    xor_byte(data, offset + 2, 0x40)  # the high half of the node's data size: 4 MiB more
    after = int.from_bytes(key, "big") - 1  # the batches before this node are sound
    for command in READERS:
        assert_finding(ringbus(command, str(path)), f"journal structure damaged after seq {after}")
    assert_finding(tail_all(path, 16_881), "journal structure damaged after seq")


def test_tail_prints_the_valid_records_before_a_damaged_batch_then_reports_it(tmp_path):
    path = tmp_path / "j"
    write_quotes(path, 5000, chunk=1000, durability="sync", value_records=1000)
    flip_byte_of_record(path, 3500, 40)
    outcome = tail_all(path, 5000)
    assert outcome.returncode == 1 and not outcome.traceback, outcome.stderr
    printed = [int(line.split()[0]) for line in outcome.stdout.splitlines()]
    assert printed == list(range(1, 3001))  # every record of the sound batches, then nothing
    assert "seq 3001..4000" in outcome.stderr


def test_lmdb_errors_from_a_damaged_btree_page_are_exit_1_findings_without_traceback(
        demo, tmp_path):
    path = copy_of(demo, tmp_path / "j")
    data = path / fmt.DATA_FILE
    blob = data.read_bytes()
    pages = [[n for n in leaf_nodes(blob, page) if len(n[3]) == 8 and n[2] == fmt.RECORD_SIZE]
             for page in tree_pages(blob)]
    runs_index = max(pages, key=len)  # the live runs leaf: RUN_STARTED and RUN_ENDED
    assert len(runs_index) == 2
    xor_byte(data, runs_index[0][0] + 2, 0x40)
    for command in ("verify", "inspect"):
        assert_finding(ringbus(command, str(path)), "journal structure damaged", "MDB_CORRUPTED")


def test_silent_rollback_to_an_older_meta_page_is_reported_by_every_reader(tmp_path):
    path = tmp_path / "j"
    with JournalWriter(path, "sync") as writer:
        for _ in range(3):
            writer.on_batch(quote_records(writer.next_seq, 500))
            writer.flush()
    lower_newest_txnid(path / fmt.DATA_FILE)
    outcome = ringbus("verify", "--json", str(path))
    assert outcome.returncode == 1, outcome.stderr
    finding = json.loads(outcome.stdout)["findings"][0]
    assert "rollback" in finding["reason"] and finding["seq_range"] == [1001, 1500]
    assert_finding(ringbus("inspect", str(path)), "rollback", "1001..1500")
    assert_finding(tail_all(path, 1500), "rollback")
    with pytest.raises(Exception, match="rollback"):  # a writer would bury the loss: refused
        JournalWriter(path, "sync")


def test_a_journal_without_a_high_water_mark_still_opens_and_verify_says_so(tmp_path):
    path = tmp_path / "j"
    write_quotes(path, 2000, durability="sync")
    (path / fmt.HIGH_WATER_FILE).unlink()
    outcome = ringbus("verify", str(path))
    assert outcome.returncode == 0 and "no high-water mark" in outcome.stdout, outcome.stderr
    assert ringbus("inspect", str(path)).returncode == 0
    write_quotes(path, 10, durability="sync")  # a writer starts the mark from the journal
    outcome = ringbus("verify", "--json", str(path))
    assert outcome.returncode == 0 and json.loads(outcome.stdout)["high_water_seq"] == 2010


def test_a_damaged_high_water_mark_chain_is_a_verify_finding(tmp_path):
    path = tmp_path / "j"
    write_quotes(path, 3000, durability="sync", value_records=1000)
    from journal.highwater import Mark, MarkWriter, read_mark

    mark = read_mark(path)
    writer = MarkWriter(path, Mark(mark.commits, mark.last_seq, mark.chain ^ 1), fsync=False)
    writer.advance(mark.last_seq, [])
    writer.close()
    assert_finding(ringbus("verify", str(path)), "not those committed")


def test_verify_names_a_damaged_snapshot(tmp_path):
    path = tmp_path / "j"
    write_quotes(path, 3000, durability="sync")
    with JournalWriter(path, "sync") as writer:
        writer.write_snapshot(2000, {"note": "snapshot-marker-text"}, {})
    data = path / fmt.DATA_FILE
    at = data.read_bytes().find(b"snapshot-marker-text")
    assert at > 0
    xor_byte(data, at + 3, 0x20)
    outcome = ringbus("verify", str(path))
    assert_finding(outcome, "damaged snapshot", "seq 2000")


def test_a_damaged_meta_page_is_a_finding_not_an_unreadable_file(tmp_path):
    path = tmp_path / "j"
    write_quotes(path, 2000, durability="sync")
    xor_byte(path / fmt.DATA_FILE, 4096 + 16, 0x01)  # the magic of meta page 1
    assert_finding(ringbus("verify", str(path)), "meta page 1", "bad magic")
    assert_finding(ringbus("inspect", str(path)), "journal structure damaged after seq 0")


def test_one_damaged_byte_of_the_schema_fingerprint_is_damage_not_another_schema(tmp_path):
    path = tmp_path / "j"
    write_quotes(path, 2000, durability="sync")
    data = path / fmt.DATA_FILE
    blob = data.read_bytes()
    at = blob.find(struct.pack("<Q", SCHEMA_FINGERPRINT))
    assert at > 0 and blob.find(struct.pack("<Q", SCHEMA_FINGERPRINT), at + 1) < 0
    xor_byte(data, at + 5, 0x10)
    assert_finding(ringbus("verify", str(path)), "schema_fingerprint", "one byte off")
