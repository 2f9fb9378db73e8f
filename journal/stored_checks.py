"""Checks ``verify`` runs after a passing record scan: the high-water mark, the snapshots and
LMDB's own count of batches.

Design contract:
- each check returns ``(findings, notes)``; a finding makes the journal CORRUPT, a note is a
  fact worth printing that is no damage (a journal older than the high-water mark);
- ``check_high_water``: a mark beyond the journal's last seq is a rollback (LMDB opened an
  older meta page; the records in between are lost); a mark whose seq is not the end of a
  stored batch, or whose chain differs from the stored batches' checksums folded up to it,
  means the journal holds other records than were committed;
- ``check_stored``: every snapshot decodes (magic, version, checksum, envelope, array bounds)
  and lies at or below the last seq; LMDB's entry count of ``records`` equals the batches read.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import lmdb

from journal.errors import JournalError, SnapshotError
from journal.format import key_seq
from journal.highwater import Mark, MarkDamaged, fold_stored
from journal.snapshots import decode_snapshot
from journal.store import Journal

if TYPE_CHECKING:
    from journal.verify import Finding, VerifyResult

Found = tuple[list["Finding"], list[str]]


def check_high_water(journal: Journal, result: VerifyResult, mark: Mark | MarkDamaged | None,
                     file: str) -> Found:
    """Compares the journal with its high-water mark (read before the scan)."""
    from journal.verify import Finding

    last = result.last_seq
    if mark is None:
        return [], ["no high-water mark (a journal written before ringbus kept one)"]
    if isinstance(mark, MarkDamaged):
        return [Finding((last, last), f"high-water mark damaged: {mark}", file)], []
    if mark.last_seq > last:
        return [Finding((last + 1, mark.last_seq), (
            f"rollback: the high-water mark says seq {mark.last_seq} was committed (commit "
            f"{mark.commits}), the journal ends at seq {last}: records {last + 1}.."
            f"{mark.last_seq} are lost (LMDB opened an older meta page)"), file)], []
    if mark.last_seq == 0:
        return [], []
    with journal.read_txn() as txn:
        chain, reached = fold_stored(txn.cursor(journal.records_db).iternext(), mark.last_seq)
    if reached != mark.last_seq:
        return [Finding((mark.last_seq, mark.last_seq), (
            f"the high-water mark's seq {mark.last_seq} is not the end of a stored batch "
            f"(the batch there ends at {reached})"), file)], []
    if chain != mark.chain:
        return [Finding((1, mark.last_seq), (
            f"the stored batches up to seq {mark.last_seq} are not those committed: their "
            f"checksum chain is {chain:016x}, the high-water mark has {mark.chain:016x}"),
            file)], []
    notes = [f"high-water mark at seq {mark.last_seq}"]
    if mark.last_seq < last:
        notes.append(f"records {mark.last_seq + 1}..{last} were committed after the mark "
                     f"was last written (a writer stopped between the two)")
    return [], notes


def check_stored(journal: Journal, result: VerifyResult, file: str) -> Found:
    """Checks every snapshot and LMDB's count of record batches."""
    from journal.verify import Finding

    findings: list[Finding] = []
    try:
        with journal.read_txn() as txn:
            entries = int(txn.stat(journal.records_db)["entries"])
            for key, value in txn.cursor(journal.snapshots_db):
                seq = key_seq(key)
                try:
                    decode_snapshot(value, seq, file)
                except SnapshotError as exc:
                    findings.append(Finding((seq, seq), f"damaged snapshot: {exc}", file))
                    continue
                if seq > result.last_seq:
                    findings.append(Finding((seq, seq), (
                        f"snapshot at seq {seq} lies beyond the journal's last seq "
                        f"{result.last_seq}"), file))
    except (lmdb.Error, JournalError, struct.error) as exc:
        return [Finding((result.last_seq, result.last_seq),
                        f"the snapshots sub-database cannot be read: {exc}", file)], []
    if entries != result.n_batches:
        findings.append(Finding((1, result.last_seq), (
            f"LMDB counts {entries} record batches, {result.n_batches} were read: its "
            f"sub-database record is damaged"), file))
    return findings, []
