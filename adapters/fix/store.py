"""The FIX session's store is the journal: every message sent or received is a record.

:class:`SessionJournal` appends FIX_OUT / FIX_IN records (and the STRING records that intern
their texts) to a journal and commits before returning, so an outbound message is durable
before its bytes reach the socket. :func:`recover` rebuilds the session state — next sequence
numbers both ways and the outbound messages a ResendRequest may ask for — by reading those
records back. There is no other message store.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import numpy as np

from adapters.fix.codes import (
    CANCEL_REPLACE,
    CANCEL_REQUEST,
    NEW_ORDER_SINGLE,
    SEQUENCE_RESET,
    pack_msg_type,
    unpack_msg_type,
)
from domain.codec import as_kind, empty, raw_decoder
from domain.enums import RecordFlag
from domain.kinds import KIND_DTYPES, RECORD_DTYPE, Kind
from domain.schema import NULL_I64
from domain.strings import StringTable
from journal import Journal, JournalReader, JournalWriter


@attrs.define
class SessionState:
    """What a session needs to resume: both next sequence numbers and its sent messages."""

    next_out: int = 1
    next_in: int = 1
    #: FIX_OUT records by MsgSeqNum, for answering ResendRequest.
    sent: dict[int, np.void] = attrs.Factory(dict)
    strings: StringTable = attrs.Factory(StringTable)
    #: (price_precision, size_precision) of each order by client_order_id, from its NewOrderSingle.
    precisions: dict[int, tuple[int, int]] = attrs.Factory(dict)

    def apply(self, record: np.ndarray) -> None:
        """Folds one record (shape ``(1,)``) into the state; other kinds are ignored. A void
        (:func:`is_void`) replaces the message it voids: a resend gap-fills over it. Read with
        the schema's structs from the record's bytes (numpy's per-field reads cost more than
        the rest of a send on the node thread); ``sent`` keeps a read-only view of a copy."""
        raw = record.tobytes()
        cause, kind = _CAUSE_KIND(raw, 24)
        if kind == _STRING:
            self.strings.apply(record)
        elif kind == _FIX_OUT:
            f = _read_out(raw)
            seq = f.msg_seq_num
            out = np.frombuffer(raw, dtype=_OUT_DTYPE)[0]
            if f.msg_type == _SEQUENCE_RESET and cause:
                lost = self.sent.get(seq)
                if lost is not None and int(lost["cl_ord_version"]) == 0 and \
                        int(lost["msg_type"]) == _NEW_ORDER_SINGLE:
                    self.precisions.pop(f.client_order_id, None)
                self.sent[seq] = out
                return
            self.sent[seq] = out
            self.next_out = max(self.next_out, seq + 1)
            if f.client_order_id:
                self.precisions.setdefault(f.client_order_id,
                                           (f.price_precision, f.size_precision))
        elif kind == _FIX_IN:
            f = _read_in(raw)
            self.next_in = max(self.next_in, f.msg_seq_num + 1)
            if f.msg_type == _SEQUENCE_RESET:
                self.next_in = max(self.next_in, f.ref_seq_num)


def is_void(records: np.ndarray) -> np.ndarray:
    """Per record: a void, the SequenceReset FIX_OUT journaled in place of an application
    message whose command the node's journal lost (:meth:`SessionJournal.void_lost_commands`);
    its ``cause`` is the voided FIX_OUT's seq, its MsgSeqNum the voided one's."""
    return (records["kind"] == Kind.FIX_OUT) & (records["cause"] != 0) & (
        as_kind(records, Kind.FIX_OUT)["msg_type"] == _SEQUENCE_RESET)


def without_voided(records: np.ndarray) -> np.ndarray:
    """Returns ``records`` without the voided FIX_OUT records and the voids themselves: the
    messages the venue got or may ask for (never the bytes of a voided one)."""
    void = is_void(records)
    if not void.any():
        return records
    return records[~void & ~np.isin(records["seq"], records["cause"][void])]


def recover(path: str | Path) -> tuple[SessionState, np.ndarray]:
    """Returns the session state journaled at ``path`` and its FIX_OUT / FIX_IN records in seq
    order, voided messages left out (a fresh state and no records when there is no
    journal)."""
    state = SessionState()
    if not (Path(path) / "data.mdb").exists():
        return state, np.empty(0, dtype=RECORD_DTYPE)
    kept = []
    with Journal.open(path) as journal:
        for batch in JournalReader(journal).batches():
            for i in range(len(batch)):
                state.apply(batch[i : i + 1])
            kept.append(batch[np.isin(batch["kind"], (Kind.FIX_OUT, Kind.FIX_IN))].copy())
    records = np.concatenate(kept) if kept else np.empty(0, dtype=RECORD_DTYPE)
    return state, without_voided(records)


class SessionJournal:
    """Appends a session's records to the journal at ``path``; one writer, commit per append.

    Every append is committed before it returns (``commit=False``: a received message's
    FIX_IN, committed with the events its handling journals), so a message is in the journal
    before its bytes reach the socket and a killed process never loses a sent message. The
    high-water mark and tailer wake-up of a commit wait for :meth:`settle` (after the send). ``durability``:
    ``sync`` fsyncs every commit (LMDB's synchronous commit; with ``fsync_apart`` an LMDB
    commit then one fdatasync: ``JournalWriter(fsync_apart=True)``); ``batch`` (default) commits without fsync — safe against a
    process crash — and fsyncs at most ``batch_ns`` after a commit on the writer's background
    thread (``JournalWriter(fsync_behind=True)``, through LMDB's writable map; an OS crash may
    lose that window). ``clock_ns`` stamps ts_init (the wall clock at the edge, as the live inbox does);
    ts_init is kept non-decreasing.
    """

    def __init__(self, path: str | Path, durability: str = "batch",
                 clock_ns: Callable[[], int] = time.time_ns, batch_ns: int = 100_000_000,
                 fsync_apart: bool = False) -> None:
        if durability not in ("batch", "sync"):
            raise ValueError(f"durability must be 'batch' or 'sync', got {durability!r}")
        self.state, self.recovered = recover(path)
        self.durability = durability
        self.writer = JournalWriter(path, durability=durability, batch_ns=batch_ns,
                                    fsync_behind=durability == "batch",
                                    fsync_apart=fsync_apart,
                                    writemap=durability == "batch")
        # a message's mark and tailer poke wait until its bytes are sent (FixSession.settle)
        self.writer.settle_later = True
        self.clock_ns = clock_ns
        self._last_ts = 0
        self._unfolded: list[np.ndarray] = []  # appended, not folded yet (``fold_later``)

    @property
    def next_seq(self) -> int:
        """The seq the next appended record gets."""
        return self.writer.next_seq

    def intern(self, text: str) -> tuple[int, np.ndarray | None]:
        """Returns the id of ``text`` and its STRING records when it is new."""
        return self.state.strings.intern(text)

    def append(self, records: list[np.ndarray], *, commit: bool = True,
               fold_later: bool = False) -> int:
        """Journals ``records`` (each shape ``(1,)``) with fresh seqs and one ts_init; returns
        the seq of the last one. FIX_IN records are flagged INPUT. The session state folds
        them before this returns, or with ``fold_later`` at the next :meth:`fold` (a send folds
        its message once its bytes are written; the caller holds the session lock between)."""
        buf = bytearray(b"".join([r.tobytes() for r in records]))
        ts = max(self.clock_ns(), self._last_ts)
        self._last_ts = ts
        first = seq = self.writer.next_seq
        kinds = []
        for off in range(0, len(buf), 128):  # a few records: struct beats numpy's vector ops
            ts_event, _, _, kind, flags = _HEAD.unpack_from(buf, off + 8)
            _STAMP.pack_into(buf, off, seq, ts_event or ts, ts)
            if kind == _FIX_IN:
                _FLAGS.pack_into(buf, off + 34, flags | _INPUT)
            kinds.append(kind)
            seq += 1
        batch = np.frombuffer(buf, dtype=RECORD_DTYPE)
        self.writer.on_batch(batch)
        if commit:
            self.writer.commit()
        self._unfolded = [batch[i : i + 1] for i, kind in enumerate(kinds) if kind in _FOLDED]
        if not fold_later:
            self.fold()
        return first + len(kinds) - 1

    def void_lost_commands(self, node_last_seq: int, session_id: int) -> list[int]:
        """Voids each application message whose command is past ``node_last_seq``, the node
        journal's last seq (its ``cause`` is the command's seq there): the node's journal lost
        the command in an OS crash after this store's fsync and before the node's (``sync``
        fsyncs both at once; no byte leaves before both are durable, so the venue never got
        it). Each gets a void (:func:`is_void`), journaled and committed before the session
        logs on: a ResendRequest answers it with SequenceReset-GapFill, the order view leaves
        it out (its client order id is free for the command the node makes again). Returns
        the voided MsgSeqNums."""
        recovered = self.recovered
        outs = recovered[(recovered["kind"] == Kind.FIX_OUT) & (recovered["cause"] > node_last_seq)]
        voids = []
        for i in range(len(outs)):
            f = _read_out(outs[i : i + 1].tobytes())
            if unpack_msg_type(f.msg_type) not in _APP_TYPES:
                continue
            record, typed = new_record(Kind.FIX_OUT)
            typed["msg_seq_num"], typed["msg_type"] = f.msg_seq_num, _SEQUENCE_RESET
            typed["session_id"], typed["ref_seq_num"] = session_id, f.msg_seq_num + 1
            typed["client_order_id"], typed["cl_ord_version"] = f.client_order_id, f.cl_ord_version
            record["cause"] = outs["seq"][i]
            voids.append(record)
        if voids:
            self.append(voids)
            lost = [int(v["cause"][0]) for v in voids]
            self.recovered = recovered[~np.isin(recovered["seq"], lost)]
        return [int(as_kind(v, Kind.FIX_OUT)["msg_seq_num"][0]) for v in voids]

    def fold(self) -> None:
        """Folds the last append's FIX_OUT / FIX_IN records into the state (see ``append``)."""
        unfolded, self._unfolded = self._unfolded, []
        for record in unfolded:
            self.state.apply(record)

    def commit(self) -> None:
        """Commits what ``append(commit=False)`` staged (nothing to do when nothing is)."""
        if self.writer.next_seq - 1 != self.writer.committed_seq:
            self.writer.commit()

    def settle(self) -> None:
        """Writes the high-water mark of the commits so far and pokes tailers
        (:meth:`journal.writer.JournalWriter.settle`); the session calls it once a message is
        sent, so neither is between a message's commit and its bytes."""
        self.writer.settle()

    def close(self) -> None:
        """Commits, fsyncs and releases the journal."""
        self.writer.close()


_INPUT = int(RecordFlag.INPUT)
_SEQUENCE_RESET = pack_msg_type(SEQUENCE_RESET)
_NEW_ORDER_SINGLE = pack_msg_type(NEW_ORDER_SINGLE)
_APP_TYPES = (NEW_ORDER_SINGLE, CANCEL_REQUEST, CANCEL_REPLACE)
_read_out = raw_decoder(Kind.FIX_OUT)
_read_in = raw_decoder(Kind.FIX_IN)
_OUT_DTYPE = KIND_DTYPES[Kind.FIX_OUT]
_FIX_IN, _FIX_OUT, _STRING = int(Kind.FIX_IN), int(Kind.FIX_OUT), int(Kind.STRING)
_CAUSE_KIND = struct.Struct("<QH").unpack_from  # cause u8 @24, kind u2 @32
_FOLDED = (int(Kind.FIX_OUT), _FIX_IN)
# A record's header (RECORD_DTYPE): seq u8 @0, ts_event i8 @8, ts_init i8 @16, cause u8 @24,
# kind u2 @32, flags u2 @34.
_HEAD = struct.Struct("<qqQHH")  # ts_event .. flags, read from offset 8
_STAMP = struct.Struct("<Qqq")  # seq, ts_event, ts_init, written at offset 0
_FLAGS = struct.Struct("<H")


def new_record(kind: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns a zeroed record of ``kind`` and its typed view, optional fields NULL."""
    record = empty(kind)
    typed = as_kind(record, kind)
    if kind == Kind.FIX_OUT:
        typed["price"] = typed["replace_quantity"] = typed["replace_price"] = NULL_I64
    return record, typed
