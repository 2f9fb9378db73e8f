"""Runs in a journal: the manifest a run opens with, and the scanner that reports every run.

Design contract:
- a run opens with RUN_STARTED followed by its manifest JSON as STRING records
  (``manifest_id``) and closes with RUN_ENDED; RUN_RECOVERED (written by recovery) names a run
  that ended without RUN_ENDED;
- ``run_id`` is derived, never random: ``derive_run_id(config_hash, seed, parent_run_id)``;
  ``config_hash`` is blake2b-64 of the canonical JSON of the config (sorted keys, no spaces);
- ``scan_runs`` reads the ``runs`` index (one entry per RUN_* record, written in the same
  transaction as the record), not the whole log, and reports each run's end state:
  CLEAN, RECOVERED, OPEN (the last run while a live writer holds the lock) or CRASHED; a run
  closed by RUN_ENDED also carries its reason by name (``RunInfo.label``: CLEAN, STOPPED,
  FAULTED, or whatever :class:`domain.enums.RunEndReason` holds).
"""

from __future__ import annotations

import enum
import json
from typing import Any

import attrs
import numpy as np

from domain.codec import as_kind, empty
from domain.digest import blake2b
from domain.enums import RunEndReason
from domain.kinds import RECORD_DTYPE, SCHEMA_FINGERPRINT, Kind
from domain.strings import StringTable
from journal.lock import writer_alive
from journal.reader import JournalReader
from journal.store import Journal
from ringbus._version import __version__


class RunEndState(enum.Enum):
    CLEAN = "CLEAN"  # closed by RUN_ENDED
    RECOVERED = "RECOVERED"  # crashed or interrupted; a later RUN_RECOVERED marks it
    OPEN = "OPEN"  # the last run, and a live writer holds the journal
    CRASHED = "CRASHED"  # no RUN_ENDED, not (yet) recovered, no live writer


def canonical_json(value: Any) -> str:
    """Returns the canonical JSON of ``value``: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def config_hash(config: dict[str, Any]) -> int:
    """Returns the 64-bit blake2b hash of the canonical JSON of ``config``."""
    digest = blake2b(canonical_json(config).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def derive_run_id(config_hash_value: int, seed: int, parent_run_id: int = 0) -> int:
    """Returns the run id of (config hash, seed, parent): the same inputs give the same id."""
    data = f"{config_hash_value}:{seed}:{parent_run_id}".encode()
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little") or 1


def format_run_id(run_id: int) -> str:
    """Returns the one printed form of a run id (and a parent run id): 16 hex digits."""
    return f"{int(run_id):016x}"


def _version_tuple(version: str) -> tuple[int, int, int]:
    parts = [int(p) if p.isdigit() else 0 for p in version.split(".")[:3]]
    return tuple((parts + [0, 0, 0])[:3])  # type: ignore[return-value]


@attrs.frozen
class RunManifest:
    """What a run declares about itself at its start."""

    config: dict[str, Any]
    seed: int = 0
    parent_run_id: int = 0
    version: str = __version__
    schema_fingerprint: int = SCHEMA_FINGERPRINT
    config_hash: int = attrs.field()
    run_id: int = attrs.field()

    @config_hash.default
    def _config_hash(self) -> int:
        return config_hash(self.config)

    @run_id.default
    def _run_id(self) -> int:
        return derive_run_id(self.config_hash, self.seed, self.parent_run_id)

    def to_json(self) -> str:
        """Returns the manifest as canonical JSON (the text stored after RUN_STARTED)."""
        return canonical_json({
            "run_id": self.run_id, "parent_run_id": self.parent_run_id,
            "version": self.version, "config": self.config, "config_hash": self.config_hash,
            "seed": self.seed, "schema_fingerprint": self.schema_fingerprint,
        })

    @classmethod
    def from_json(cls, text: str) -> RunManifest:
        """Parses a manifest written by :meth:`to_json`; raises ValueError naming a bad field."""
        doc = json.loads(text)
        if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
            raise ValueError(f"run manifest must be an object with a config object: {text[:80]!r}")
        try:
            return cls(config=doc["config"], seed=int(doc["seed"]),
                       parent_run_id=int(doc["parent_run_id"]), version=str(doc["version"]),
                       schema_fingerprint=int(doc["schema_fingerprint"]),
                       config_hash=int(doc["config_hash"]), run_id=int(doc["run_id"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"run manifest field missing or malformed: {exc}") from None

    def to_records(self, manifest_string_id: int) -> np.ndarray:
        """Returns RUN_STARTED then the STRING records of the manifest JSON (seq/ts unset)."""
        from domain.codec import string_records

        start = empty(Kind.RUN_STARTED)
        typed = as_kind(start, Kind.RUN_STARTED)
        major, minor, patch = _version_tuple(self.version)
        for name, value in (
            ("run_id", self.run_id), ("parent_run_id", self.parent_run_id),
            ("schema_fingerprint", self.schema_fingerprint), ("config_hash", self.config_hash),
            ("seed", self.seed), ("manifest_id", manifest_string_id),
            ("version_major", major), ("version_minor", minor), ("version_patch", patch),
        ):
            typed[name] = value
        return np.concatenate([start, string_records(manifest_string_id, self.to_json())])


@attrs.frozen
class RunInfo:
    """One run found in a journal."""

    run_id: int
    first_seq: int
    last_seq: int  # RUN_ENDED's seq, or the last seq before the next run / end of journal
    end_state: RunEndState
    manifest: RunManifest | None
    parent_run_id: int = 0
    end_reason: str | None = None  # RUN_ENDED's reason by name (CLEAN, STOPPED, FAULTED, ...)

    @property
    def label(self) -> str:
        """How the run ended: its RUN_ENDED reason, else RECOVERED, OPEN or CRASHED."""
        if self.end_state == RunEndState.CLEAN and self.end_reason is not None:
            return self.end_reason
        return self.end_state.value

    def to_dict(self) -> dict[str, Any]:
        manifest = None if self.manifest is None else json.loads(self.manifest.to_json())
        if manifest is not None:  # the printed form; the journal's manifest keeps the integers
            for key in ("run_id", "parent_run_id"):
                if isinstance(manifest.get(key), int):
                    manifest[key] = format_run_id(manifest[key])
        return {
            "run_id": format_run_id(self.run_id), "first_seq": self.first_seq,
            "last_seq": self.last_seq, "end_state": self.label, "end_reason": self.end_reason,
            "parent_run_id": format_run_id(self.parent_run_id), "manifest": manifest,
        }


def reason_name(code: int) -> str:
    """Returns the name of a RUN_ENDED reason, ``REASON_<code>`` for one this build lacks."""
    try:
        return RunEndReason(code).name
    except ValueError:
        return f"REASON_{code}"


def run_markers(journal: Journal) -> np.ndarray:
    """Returns every RUN_* record of the journal, from the runs index, in seq order."""
    with journal.read_txn() as txn:
        values = [bytes(v) for v in txn.cursor(journal.runs_db).iternext(keys=False)]
    if not values:
        return np.zeros(0, dtype=RECORD_DTYPE)
    return np.frombuffer(b"".join(values), dtype=RECORD_DTYPE).copy()


def read_manifest(reader: JournalReader, start_seq: int, manifest_id: int) -> RunManifest | None:
    """Rebuilds the manifest interned right after the RUN_STARTED at ``start_seq``."""
    table = StringTable()
    seq = start_seq + 1
    while seq < start_seq + 1 + 0xFFFF:
        batch = reader.records_between(seq, seq + 63)
        if len(batch) == 0:
            return None
        for i in range(len(batch)):
            if int(batch["kind"][i]) != Kind.STRING:
                return None
            table.apply(batch[i : i + 1])
            text = table.get(manifest_id)
            if text is not None:
                try:
                    return RunManifest.from_json(text)
                except ValueError:
                    return None
        seq += len(batch)
    return None


def scan_runs(journal: Journal, *, with_manifests: bool = True) -> list[RunInfo]:
    """Returns every run of the journal, in order, with its end state."""
    reader = JournalReader(journal)
    markers = run_markers(journal)
    last_seq = reader.last_seq()
    recovered = {
        int(r["crashed_run_id"]) for r in as_kind(markers[markers["kind"] == Kind.RUN_RECOVERED],
                                                   Kind.RUN_RECOVERED)
    }
    starts = np.flatnonzero(markers["kind"] == Kind.RUN_STARTED)
    live = writer_alive(journal.path) is not None
    runs = []
    for n, index in enumerate(starts):
        start = as_kind(markers[index : index + 1], Kind.RUN_STARTED)[0]
        run_id, first = int(start["run_id"]), int(start["seq"])
        stop = starts[n + 1] if n + 1 < len(starts) else len(markers)
        next_first = int(markers["seq"][stop]) if stop < len(markers) else last_seq + 1
        end_seq = end_reason = None
        for j in range(index + 1, stop):
            if int(markers["kind"][j]) == Kind.RUN_ENDED:
                ended = as_kind(markers[j : j + 1], Kind.RUN_ENDED)[0]
                if int(ended["run_id"]) == run_id:
                    end_seq = int(ended["seq"])
                    end_reason = reason_name(int(ended["reason"]))
                    break
        if run_id in recovered:  # crashed, or interrupted (RUN_ENDED INTERRUPTED), and resumed
            state = RunEndState.RECOVERED
            end_seq = None
        elif end_seq is not None:
            state = RunEndState.CLEAN
        elif n == len(starts) - 1 and live:
            state = RunEndState.OPEN
        else:
            state = RunEndState.CRASHED
        manifest = read_manifest(reader, first, int(start["manifest_id"])) if with_manifests else None
        runs.append(RunInfo(
            run_id=run_id, first_seq=first,
            last_seq=end_seq if end_seq is not None else next_first - 1,
            end_state=state, manifest=manifest, parent_run_id=int(start["parent_run_id"]),
            end_reason=end_reason,
        ))
    return runs
