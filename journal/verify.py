"""Integrity check of a whole journal: the three outcomes told apart.

Design contract:
- ``verify_journal`` never raises for a bad journal; it returns a :class:`VerifyResult` whose
  ``status`` is CLEAN, CRASHED_RUN (a run without RUN_ENDED that nothing recovered and no live
  writer holds: a contiguous, recoverable prefix), CORRUPT (bad checksum or framing, a seq gap,
  ts_init going backwards, an unknown kind, a RUN_* structure error, a FAILOVER out of place,
  a run index that disagrees with the log: each with its seq range, reason and file) or
  UNREADABLE (missing,
  not a journal, truncated, other schema);
- a FAILOVER (a standby's takeover) must sit between the RUN_RECOVERED of the run it names and
  that run's continuation RUN_STARTED, and name a last seq seen no later than the crashed
  run's last seq;
- the scan stops at the first corrupt batch: nothing after it is read as records;
- a journal that ends before its high-water mark (a rollback: LMDB opened an older meta page)
  is CORRUPT naming the lost seq range; a mark whose chain disagrees with the stored batches,
  a damaged snapshot, or LMDB's batch count disagreeing with the scan are findings too
  (:mod:`journal.stored_checks`); a journal without a mark gets the note "no high-water mark";
- ``checks`` are further checks run over a journal whose integrity scan passed (the hook for
  re-execution); each returns findings, which make the result CORRUPT.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
import lmdb
import numpy as np

from domain.codec import as_kind
from domain.kinds import KIND_DTYPES, SCHEMA_FINGERPRINT, Kind
from journal import format as fmt
from journal.errors import CorruptionError, JournalError
from journal.highwater import Mark, MarkDamaged, read_mark
from journal.lock import writer_alive
from journal.reader import JournalReader
from journal.runs import format_run_id, run_markers
from journal.store import Journal
from journal.stored_checks import check_high_water, check_stored


class VerifyStatus(enum.Enum):
    CLEAN = "CLEAN"
    CRASHED_RUN = "CRASHED_RUN"
    CORRUPT = "CORRUPT"
    UNREADABLE = "UNREADABLE"


@attrs.frozen
class Finding:
    """One problem: the seq range it covers, why, and the file."""

    seq_range: tuple[int, int]
    reason: str
    file: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq_range": list(self.seq_range), "reason": self.reason, "file": self.file}


@attrs.frozen
class VerifyResult:
    status: VerifyStatus
    path: str
    first_seq: int = 0
    last_seq: int = 0
    n_records: int = 0
    n_batches: int = 0
    findings: tuple[Finding, ...] = ()
    crashed_runs: tuple[int, ...] = ()
    open_run: int | None = None
    message: str = ""
    high_water_seq: int | None = None  # the last committed seq its high-water mark records
    notes: tuple[str, ...] = ()  # facts that are no finding ("no high-water mark")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value, "path": self.path, "first_seq": self.first_seq,
            "last_seq": self.last_seq, "n_records": self.n_records, "n_batches": self.n_batches,
            "findings": [f.to_dict() for f in self.findings],
            "crashed_runs": [format_run_id(r) for r in self.crashed_runs],
            "open_run": None if self.open_run is None else format_run_id(self.open_run),
            "message": self.message, "high_water_seq": self.high_water_seq,
            "notes": list(self.notes),
        }


Check = Callable[[Journal, VerifyResult], Sequence[Finding]]
_KNOWN = np.zeros(1 << 16, dtype=bool)
_KNOWN[list(KIND_DTYPES)] = True
_RUN_KINDS = (int(Kind.RUN_STARTED), int(Kind.RUN_ENDED), int(Kind.RUN_RECOVERED))
_FAILOVER = int(Kind.FAILOVER)


def verify_journal(path: str | Path, checks: Sequence[Check] = ()) -> VerifyResult:
    """Checks the journal at ``path`` end to end and returns what it found."""
    file = str(Path(path) / fmt.DATA_FILE)
    try:
        journal = Journal.open(path, readonly=True)
    except CorruptionError as exc:  # LMDB's own pages are damaged
        return VerifyResult(VerifyStatus.CORRUPT, str(path), message=str(exc),
                            findings=(Finding(exc.seq_range, exc.reason, file),))
    except JournalError as exc:
        return VerifyResult(VerifyStatus.UNREADABLE, str(path), message=str(exc))
    with journal:
        try:
            mark = read_mark(journal.path)  # before the scan: a live writer only moves it up
        except MarkDamaged as exc:
            mark = exc
        try:
            result = _scan(journal, file)
        except (lmdb.Error, struct.error) as exc:  # LMDB refuses one of its own pages
            why = f"journal structure damaged: {type(exc).__name__}: {exc}"
            return VerifyResult(VerifyStatus.CORRUPT, str(path), message=why,
                                findings=(Finding((1, 1), why, file),))
        if isinstance(mark, Mark):
            result = attrs.evolve(result, high_water_seq=mark.last_seq)
        if result.status in (VerifyStatus.CLEAN, VerifyStatus.CRASHED_RUN):
            result = _add(result, check_high_water(journal, result, mark, file))
            result = _add(result, check_stored(journal, result, file))
        if result.status in (VerifyStatus.CLEAN, VerifyStatus.CRASHED_RUN) and checks:
            extra = tuple(f for check in checks for f in check(journal, result))
            if extra:
                result = attrs.evolve(result, status=VerifyStatus.CORRUPT, findings=extra)
        return result


def _scan(journal: Journal, file: str) -> VerifyResult:
    reader = JournalReader(journal)
    findings: list[Finding] = []
    markers: list[np.ndarray] = []
    failovers: list[np.ndarray] = []
    n_records = n_batches = 0
    first_seq = last_seq = 0
    try:
        for batch in reader.batches(1):
            if n_batches == 0:
                first_seq = int(batch["seq"][0])
                if first_seq != 1:
                    findings.append(Finding((1, first_seq - 1), "log does not start at seq 1", file))
                    break
            n_batches += 1
            n_records += len(batch)
            last_seq = int(batch["seq"][-1])
            kinds = batch["kind"]
            unknown = np.flatnonzero(~_KNOWN[kinds])
            if len(unknown):
                seq = int(batch["seq"][unknown[0]])
                findings.append(Finding((seq, seq), f"unknown record kind {int(kinds[unknown[0]])}", file))
                break
            is_run = (kinds >= _RUN_KINDS[0]) & (kinds <= _RUN_KINDS[-1])
            if is_run.any():
                markers.append(batch[is_run].copy())
            is_failover = kinds == _FAILOVER
            if is_failover.any():
                failovers.append(batch[is_failover].copy())
    except CorruptionError as exc:
        findings.append(Finding(exc.seq_range, exc.reason, file))
    common = {"path": str(journal.path), "first_seq": first_seq, "last_seq": last_seq,
              "n_records": n_records, "n_batches": n_batches}
    if findings:
        return VerifyResult(VerifyStatus.CORRUPT, findings=tuple(findings), **common)
    scanned = np.concatenate(markers) if markers else run_markers(journal)[:0]
    indexed = run_markers(journal)
    if scanned.tobytes() != indexed.tobytes():
        seqs = sorted(set(scanned["seq"].tolist()) ^ set(indexed["seq"].tolist())) or [1]
        findings.append(Finding((seqs[0], seqs[-1]), "run index disagrees with the log", file))
        return VerifyResult(VerifyStatus.CORRUPT, findings=tuple(findings), **common)
    findings, crashed, open_run = _run_structure(scanned, file)
    if failovers:
        findings += _failover_placement(scanned, np.concatenate(failovers), file)
    if findings:
        return VerifyResult(VerifyStatus.CORRUPT, findings=tuple(findings), **common)
    if open_run is not None and writer_alive(journal.path) is None:
        crashed.append(open_run)
        open_run = None
    status = VerifyStatus.CRASHED_RUN if crashed else VerifyStatus.CLEAN
    return VerifyResult(status, crashed_runs=tuple(crashed), open_run=open_run, **common)


def _add(result: VerifyResult, found: tuple[list[Finding], list[str]]) -> VerifyResult:
    findings, notes = found
    result = attrs.evolve(result, notes=result.notes + tuple(notes))
    if findings:
        result = attrs.evolve(result, status=VerifyStatus.CORRUPT,
                              findings=result.findings + tuple(findings))
    return result


def _run_structure(markers: np.ndarray, file: str) -> tuple[list[Finding], list[int], int | None]:
    """Walks the RUN_* records: returns (findings, crashed unrecovered runs, open run)."""
    findings: list[Finding] = []
    open_run: int | None = None
    crashed: list[int] = []
    started: set[int] = set()
    for i in range(len(markers)):
        rec = markers[i : i + 1]
        kind, seq = int(rec["kind"][0]), int(rec["seq"][0])
        if kind == Kind.RUN_STARTED:
            start = as_kind(rec, Kind.RUN_STARTED)[0]
            if int(start["schema_fingerprint"]) != SCHEMA_FINGERPRINT:
                findings.append(Finding((seq, seq), (
                    f"run {format_run_id(int(start['run_id']))} declares schema fingerprint "
                    f"{int(start['schema_fingerprint']):016x}, journal has {SCHEMA_FINGERPRINT:016x}"
                ), file))
            if open_run is not None:
                crashed.append(open_run)
            open_run = int(start["run_id"])
            started.add(open_run)
        elif kind == Kind.RUN_ENDED:
            run_id = int(as_kind(rec, Kind.RUN_ENDED)[0]["run_id"])
            if run_id != open_run:
                findings.append(Finding((seq, seq), (
                    f"RUN_ENDED of run {format_run_id(run_id)}, but the open run is "
                    f"{'none' if open_run is None else format_run_id(open_run)}"), file))
            open_run = None
        else:
            run_id = int(as_kind(rec, Kind.RUN_RECOVERED)[0]["crashed_run_id"])
            if run_id == open_run:
                crashed.append(run_id)
                open_run = None
            if run_id in crashed:
                crashed.remove(run_id)
            elif run_id not in started:
                findings.append(Finding((seq, seq), (
                    f"RUN_RECOVERED names run {format_run_id(run_id)}, which never started"), file))
            else:
                findings.append(Finding((seq, seq), (
                    f"RUN_RECOVERED names run {format_run_id(run_id)}, which ended cleanly or "
                    "was recovered"), file))
    return findings, crashed, open_run


def _failover_placement(markers: np.ndarray, failovers: np.ndarray, file: str) -> list[Finding]:
    """Each FAILOVER must follow its crashed run's RUN_RECOVERED and precede the continuation."""
    recovered = {int(r["seq"]): r for r in as_kind(markers[markers["kind"] == Kind.RUN_RECOVERED],
                                                    Kind.RUN_RECOVERED)}
    started = {int(r["seq"]): r for r in as_kind(markers[markers["kind"] == Kind.RUN_STARTED],
                                                  Kind.RUN_STARTED)}
    findings: list[Finding] = []
    for fail in as_kind(failovers, Kind.FAILOVER):
        seq, run_id = int(fail["seq"]), int(fail["crashed_run_id"])
        before, after = recovered.get(seq - 1), started.get(seq + 1)
        if before is None or int(before["crashed_run_id"]) != run_id:
            why = f"does not follow the RUN_RECOVERED of run {format_run_id(run_id)}"
        elif after is None or int(after["parent_run_id"]) != run_id:
            why = f"is not followed by the continuation RUN_STARTED of run {format_run_id(run_id)}"
        elif int(fail["last_seq_seen"]) > int(before["last_seq"]):
            why = (f"names last_seq_seen {int(fail['last_seq_seen'])}, past the crashed run's "
                   f"last seq {int(before['last_seq'])}")
        else:
            continue
        findings.append(Finding((seq, seq), f"FAILOVER {why}", file))
    return findings
