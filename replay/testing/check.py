"""``check``: fold a journal or a stream and run invariants after every record.

Design contract:
- records are folded one at a time into a :class:`~replay.testing.state.CheckState`; after
  each, every invariant that applies to its kind runs (``at_last`` ones only at records
  flagged LAST; ``at_end`` ones once more after the last record);
- the first violation stops the check (``keep_going`` collects one per invariant instead) and
  is returned with its seq, the invariant's name, the message, the record decoded and an
  excerpt of the state it touches (order, position, book top, account);
- a record the state cannot take (illegal transition, unknown order...) that no invariant
  claims is reported by the pseudo-invariant ``state_fold``;
- an invariant that raises is an error of that invariant (with its traceback), not a
  violation: it is disabled for the rest of the check and the others go on;
- a corrupt journal stops the check at the corrupted batch: ``corruption`` names the seq range
  and file; nothing at or after it is checked;
- journal-wide invariants (``snapshot_tail``, ``reexecution``) run after the record pass, for
  a journal path only.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from domain.codec import RAW_STRUCTS, decode_raw
from domain.enums import RecordFlag
from domain.kinds import RECORD_DTYPE
from replay.testing.invariants import BUILTINS, JOURNAL_BUILTINS, Invariant, resolve
from replay.testing.pretty import format_record
from replay.testing.state import CheckConfig, CheckState

_LAST = int(RecordFlag.LAST)


@attrs.frozen
class Violation:
    """The first record after which an invariant did not hold."""

    seq: int
    invariant: str
    message: str
    record: str
    excerpt: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class InvariantError:
    """An invariant raised instead of answering; it was disabled from ``seq`` on."""

    seq: int
    invariant: str
    error: str
    traceback: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class CheckResult:
    """What a check found. ``ok`` when no violation, no invariant error and no corruption."""

    invariants: list[str]
    n_records: int = 0
    first_seq: int = 0
    last_seq: int = 0
    violations: list[Violation] = attrs.field(factory=list)
    errors: list[InvariantError] = attrs.field(factory=list)
    corruption: dict[str, Any] | None = None
    #: Whole-journal checks that could not run here, with the reason.
    skipped: list[str] = attrs.field(factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations and not self.errors and self.corruption is None

    @property
    def first(self) -> Violation | None:
        """The first violation, or None."""
        return self.violations[0] if self.violations else None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "invariants": self.invariants, "n_records": self.n_records,
                "first_seq": self.first_seq, "last_seq": self.last_seq,
                "violations": [v.to_dict() for v in self.violations],
                "errors": [e.to_dict() for e in self.errors], "corruption": self.corruption,
                "skipped": self.skipped}


class Checker:
    """Incremental checker: ``feed`` records as they come, ``finish`` at the end."""

    def __init__(self, invariants: Sequence[str | Invariant | Any] | None = None,
                 config: CheckConfig | None = None, first_seq: int = 1,
                 keep_going: bool = False) -> None:
        specs = list(BUILTINS) if invariants is None else list(invariants)
        self.invariants = [resolve(s) for s in specs if s not in JOURNAL_BUILTINS
                           and str(s).removeprefix("builtin:") not in JOURNAL_BUILTINS]
        self.state = CheckState(config, first_seq)
        self.result = CheckResult([i.name for i in self.invariants])
        self.keep_going = keep_going
        self._plans: dict[int, tuple[list[Invariant], list[Invariant]]] = {}
        self._failed: set[str] = set()
        self.stopped = False

    def _plan(self, kind: int) -> tuple[list[Invariant], list[Invariant]]:
        plan = self._plans.get(kind)
        if plan is None:
            live = [i for i in self.invariants if i.name not in self._failed
                    and (i.kinds is None or kind in i.kinds)]
            plan = self._plans[kind] = ([i for i in live if not i.at_last],
                                        [i for i in live if i.at_last])
        return plan

    def feed(self, records: np.ndarray) -> Violation | None:
        """Checks ``records`` (RECORD_DTYPE, in seq order); returns the first new violation."""
        if self.stopped or not len(records):
            return None
        data = np.ascontiguousarray(records).view(RECORD_DTYPE).tobytes()
        state, plan = self.state, self._plan
        found = None
        if not self.result.first_seq:
            self.result.first_seq = int(records["seq"][0])
        for off in range(0, len(data), 128):
            rec = decode_raw(data, off)
            state.fold(rec)
            every, at_last = plan(rec.kind)
            v = self._run(every, rec)
            if at_last and rec.flags & _LAST:
                v = v or self._run(at_last, rec)
            if v is None and state.fold_error is not None:
                v = self._violation("state_fold", rec, f"seq {rec.seq}: the state refused the "
                                    f"record: {type(state.fold_error).__name__}: "
                                    f"{state.fold_error}")
            state.advance(rec)
            self.result.n_records += 1
            self.result.last_seq = rec.seq
            if v is not None:
                found = found or v
                if not self.keep_going:
                    self.stopped = True
                    return found
        return found

    def _run(self, invariants: list[Invariant], rec: Any) -> Violation | None:
        for inv in invariants:
            if inv.name in self._failed:
                continue
            try:
                message = inv.fn(self.state, rec)
            except Exception as exc:
                self._failed.add(inv.name)
                self._plans.clear()
                self.result.errors.append(InvariantError(
                    int(rec.seq), inv.name, f"{type(exc).__name__}: {exc}",
                    traceback.format_exc()))
                continue
            if message is not None:
                if self.keep_going:
                    self._failed.add(inv.name)
                    self._plans.clear()
                return self._violation(inv.name, rec, str(message))
        return None

    def _violation(self, name: str, rec: Any, message: str) -> Violation:
        line = format_record(np.frombuffer(RAW_STRUCTS[rec.kind].pack(*rec), RECORD_DTYPE),
                             self.state.cache.strings)
        v = Violation(int(rec.seq), name, message, line, self.state.excerpt(rec))
        self.result.violations.append(v)
        return v

    def finish(self) -> CheckResult:
        """Runs the ``at_end`` invariants once after the last record; returns the result."""
        state = self.state
        if not self.stopped and state.last_record is not None:
            state.at_end = True
            self._run([i for i in self.invariants if i.at_end], state.last_record)
        return self.result


def _stream_batches(source: Any) -> Iterator[np.ndarray]:
    records = getattr(source, "records", source)
    if isinstance(records, np.ndarray):
        yield records.view(RECORD_DTYPE)
        return
    yield from records


def check(source: str | Path | np.ndarray | Iterable[np.ndarray] | Any,
          invariants: Sequence[str | Invariant | Any] | None = None, *,
          config: CheckConfig | None = None, keep_going: bool = False,
          progress: bool = False) -> CheckResult:
    """Checks a journal (a path) or a stream (a record array, a ``Stream``, or an iterable of
    record arrays) against ``invariants`` (default: every built-in record invariant; add
    ``"builtin:snapshot_tail"`` / ``"builtin:reexecution"`` for the journal-wide ones).
    ``progress``: a journal's record pass draws a progress line on a TTY's stderr, with its
    total, percent and ETA (:class:`replay.progress.Progress`)."""
    specs = list(BUILTINS) if invariants is None else list(invariants)
    journal_specs = [s for s in specs if isinstance(s, str)
                     and s.removeprefix("builtin:") in JOURNAL_BUILTINS]
    if isinstance(source, (str, Path)):
        return _check_journal(Path(source), specs, journal_specs, config, keep_going, progress)
    checker = Checker(specs, config, keep_going=keep_going)
    for batch in _stream_batches(source):
        checker.feed(batch)
        if checker.stopped:
            break
    return checker.finish()


def _check_journal(path: Path, specs: list[Any], journal_specs: list[str],
                   config: CheckConfig | None, keep_going: bool,
                   progress: bool = False) -> CheckResult:
    from journal.errors import CorruptionError
    from journal.reader import JournalReader
    from journal.store import Journal
    from replay.progress import Progress

    with Journal.open(path) as journal:
        reader = JournalReader(journal)
        first = max(reader.first_seq(), 1)
        checker = Checker(specs, config, first_seq=first, keep_going=keep_going)
        bar = Progress(progress, label="check", total=max(reader.last_seq() - first + 1, 0))
        try:
            for batch in bar.wrap(reader.batches(1)):
                checker.feed(batch)
                if checker.stopped:
                    break
        except CorruptionError as exc:
            checker.result.corruption = {"seq_range": list(exc.seq_range), "file": exc.path,
                                         "reason": exc.reason}
            return checker.result
        finally:
            bar.close()
    result = checker.finish()
    if result.ok or keep_going:
        from replay.testing.journal_checks import JOURNAL_CHECKS

        for spec in journal_specs:
            name = spec.removeprefix("builtin:")
            _run_journal_check(result, name, JOURNAL_CHECKS[name], path, config)
    return result


def _run_journal_check(result: CheckResult, name: str, fn: Any, path: Path,
                       config: CheckConfig | None) -> None:
    from replay.strategy_registry import StrategyLoadError
    from replay.testing.journal_checks import JournalCheckUnavailable

    result.invariants.append(name)
    try:
        found = fn(path, config)
    except JournalCheckUnavailable as exc:
        result.skipped.append(f"{name}: {exc}")
        return
    except StrategyLoadError:
        raise  # untrusted or unimportable strategy code: the caller's choice, not a finding
    except Exception as exc:
        result.errors.append(InvariantError(result.last_seq, name,
                                            f"{type(exc).__name__}: {exc}", traceback.format_exc()))
        return
    if found is not None:
        seq, message = found
        result.violations.append(Violation(seq, name, message, "", {}))
