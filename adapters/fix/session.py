"""A FIX 4.2 initiator session whose state lives in the journal.

Design contract:
- every message is journaled (FIX_OUT before its bytes are written, FIX_IN before anything acts
  on it); sequence numbers resume from the journal after a restart;
- the messages of one socket read are handled in a *read batch*: their FIX_IN records and the
  records their handling journals (:meth:`FixSession.journal_records`) are staged and committed
  once, at the end of the batch (or earlier, by any send, whose commit holds them), and what
  waits on them (``then``: e.g. the order events into a live node's inbox) runs only after that
  commit, in order, grouped into one call per callable;
- sends made inside :meth:`FixSession.corked` (the commands a live node hands out together)
  are journaled as they come and committed once when it ends, then their bytes go in one
  write, in MsgSeqNum order (the session lock is held from the first of them to the write: no
  other message can come between them on the wire); what waits on them (``then``) runs after
  the bytes;
- logon with HeartBtInt, heartbeats, TestRequest when the venue goes quiet, disconnect when it
  does not answer; a gap in inbound sequence numbers sends a ResendRequest and drops messages
  until the gap is filled; a ResendRequest from the venue is answered with the journaled
  application messages (PossDupFlag=Y) and SequenceReset-GapFill over admin messages;
- a malformed inbound message gets a session-level Reject; a dropped connection is reconnected
  with exponential backoff until ``stop``;
- the password is sent on the wire only (Logon tag 554) and is never a record.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import simplefix

from adapters.fix import codes, wire
from adapters.fix.codes import pack_msg_type
from adapters.fix.inbound import fix_in_record
from adapters.fix.outbound import rebuild_body
from adapters.fix.store import SessionJournal, new_record
from domain.kinds import KIND_DTYPES, Kind

AppHandler = Callable[[np.ndarray, simplefix.FixMessage], None]
_OUT_FIELDS = KIND_DTYPES[Kind.FIX_OUT].fields
_SEQ_AT, _TYPE_AT, _SESSION_AT = (_OUT_FIELDS[name][1] for name in (
    "msg_seq_num", "msg_type", "session_id"))
_SEQ, _TYPE, _SESSION = (struct.Struct("<" + _OUT_FIELDS[name][0].char) for name in (
    "msg_seq_num", "msg_type", "session_id"))


def _stamp_out(record: np.ndarray, seq: int, msg_type: int, session_id: int) -> None:
    """Sets a FIX_OUT record's MsgSeqNum, MsgType and session (offsets from the schema)."""
    _SEQ.pack_into(record, _SEQ_AT, seq)
    _TYPE.pack_into(record, _TYPE_AT, msg_type)
    _SESSION.pack_into(record, _SESSION_AT, session_id)
OutHandler = Callable[[np.ndarray], None]
#: messages per read batch at most: a backlog's first events wait for no more than this many
_READ_BATCH = 32


class FixSession:
    """One initiator session ``sender -> target`` at ``host:port``, journaled by ``journal``.

    ``on_app`` receives each in-order application message (its FIX_IN record and the parsed
    message) on the session thread. ``password`` comes from the caller (environment or a file).
    """

    def __init__(self, journal: SessionJournal, host: str, port: int, sender: str, target: str,
                 *, heartbeat_s: int = 30, password: str | None = None,
                 on_app: AppHandler | None = None, on_out: OutHandler | None = None,
                 backoff_s: tuple[float, float] = (0.1, 2.0),
                 ) -> None:
        self.journal = journal
        self.address = (host, port)
        self.sender, self.target = sender.encode(), target.encode()
        self._template = wire.SessionTemplate(codes.BEGIN_STRING, self.sender, self.target)
        self.heartbeat_s = heartbeat_s
        self._password = password
        self.on_app = on_app
        self.on_out = on_out
        #: called once per logon, when inbound sequence numbers are in sync (resends done).
        self.on_synced: Callable[[], None] | None = None
        #: called at each (re)connect, before the Logon goes out.
        self.on_connecting: Callable[[], None] | None = None
        #: called after a message with order events (an application message for a command)
        #: is journaled and before its bytes are written: a live node under ``sync`` waits
        #: there for its own journal's fsync of the command (made meanwhile on another thread)
        self.before_write: Callable[[], None] | None = None
        self._sync_pending = False
        #: the session thread's id while it handles a read batch (see the module contract)
        self._batch_thread = 0
        #: what waits for the read batch's commit: ``(then, records)`` in order
        self._after_commit: list[tuple[Callable[[list[np.ndarray]], None], list[np.ndarray]]] = []
        #: the thread inside :meth:`corked`, and its staged sends (bytes, record, events,
        #: then) from the first one on (the session lock is held from then to the end)
        self._cork_thread = 0
        #: a received message's FIX_IN (after its STRING records), seq given, not appended yet:
        #: it goes first in the next append, with the events its handling journals
        self._in_pending: list[np.ndarray] = []
        self._corked: list[tuple[bytes, np.ndarray, Sequence[np.ndarray],
                                 Callable[[list[np.ndarray]], None] | None]] | None = None
        self.synced = threading.Event()
        self.backoff_s = backoff_s
        self.session_id, strings = journal.intern(f"{sender}->{target}")
        self._pending_strings = [strings] if strings is not None else []
        self.lock = threading.RLock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.logged_on = threading.Event()
        self._resend_until = 0  # while > 0, a ResendRequest is outstanding up to this seq
        self._last_sent = self._last_recv = 0.0
        self._test_req_sent = 0.0
        self.connections = 0
        self._logout_sent = False

    # ---------------------------------------------------------------- lifecycle
    def start(self, timeout_s: float = 10.0) -> FixSession:
        """Connects, logs on and runs the session thread; waits for the venue's Logon."""
        self._thread = threading.Thread(target=self._run, name="fix-session", daemon=True)
        self._thread.start()
        if not self.logged_on.wait(timeout_s):
            raise TimeoutError(f"FIX logon to {self.address} not answered in {timeout_s} s")
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Sends Logout, waits for the venue's Logout (bounded) and ends the session thread."""
        if self.logged_on.is_set():
            self.send(codes.LOGOUT, [])
            deadline = time.monotonic() + timeout_s
            while self.logged_on.is_set() and time.monotonic() < deadline:
                time.sleep(0.01)
        self._stopping.set()
        self._close_socket()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def drop_connection(self) -> None:
        """Closes the TCP connection abruptly (no Logout); the session reconnects by itself."""
        sock = self._sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    # ---------------------------------------------------------------- sending
    def send(self, msg_type: bytes, body: list[tuple[int, bytes]] | bytes,
             record: np.ndarray | None = None, events: Sequence[np.ndarray] = (),
             then: Callable[[list[np.ndarray]], None] | None = None) -> int:
        """Journals then sends one message; returns its MsgSeqNum. ``body`` is its fields, or
        their bytes (:func:`adapters.fix.wire.fields_bytes`).

        ``record`` is the FIX_OUT record with the application fields already set (None for
        admin messages); this fills in the sequence number, type and session. ``events``
        (e.g. the ORDER_SUBMITTED the message means) are journaled after it in the same
        commit, their ``cause`` set to its seq: one commit (one fsync under ``sync``) per
        message; with events, :attr:`before_write` runs between the commit and the bytes.
        ``then(events)`` runs once the bytes are written (inside :meth:`corked`: at its end).
        """
        with self.lock:
            seq = self.journal.state.next_out
            if record is None:
                record, _ = new_record(Kind.FIX_OUT)
            _stamp_out(record, seq, pack_msg_type(msg_type), self.session_id)
            if msg_type == codes.LOGOUT:
                self._logout_sent = True
            if self._in_pending:  # a received message's, answered now: folded before
                self.journal.append(self._take_in(), commit=False)
            batch = [*self._take_strings(), record]
            out_seq = self.journal.next_seq + len(batch) - 1
            for event in events:
                event["cause"] = out_seq
            if self._cork_thread == threading.get_ident():  # folded now: the next MsgSeqNum
                if self._corked is None:
                    self.lock.acquire()  # held to the cork's end: no message between them
                    self._corked = []
                self.journal.append([*batch, *events], commit=False)
                record["seq"] = out_seq
                self._corked.append((self._encode(msg_type, seq, body), record, events, then))
                return seq
            self.journal.append([*batch, *events], fold_later=True)
            record["seq"] = out_seq
            try:  # committed: the bytes go first, the state and the mark after them
                if events and self.before_write is not None:
                    self.before_write()
                self._write(self._encode(msg_type, seq, body))
            finally:
                self.journal.fold()
                if self.on_out is not None:
                    self.on_out(record)
                self.journal.settle()
            if then is not None:
                then(list(events))
            return seq

    @contextlib.contextmanager
    def corked(self) -> Iterator[None]:
        """Sends inside are committed once and written together at the end (see the module
        contract); nested, the outermost ends it. The session lock is taken at the first
        send inside, not before (the node's own commit runs before it)."""
        if self._cork_thread == threading.get_ident():
            yield
            return
        self._cork_thread = threading.get_ident()
        try:
            yield
        finally:
            self._cork_thread = 0
            staged, self._corked = self._corked, None
            if staged is not None:
                try:
                    self._send_staged(staged)
                finally:
                    self.lock.release()

    def _send_staged(self, staged: list[tuple[bytes, np.ndarray, Sequence[np.ndarray],
                                              Callable[[list[np.ndarray]], None] | None]]
                     ) -> None:
        """One commit for the staged sends, then their bytes in one write (under the lock)."""
        self.journal.commit()
        try:
            if self.before_write is not None and any(events for _, _, events, _ in staged):
                self.before_write()
            self._write(b"".join([data for data, _, _, _ in staged]))
        finally:
            if self.on_out is not None:
                for _, record, _, _ in staged:
                    self.on_out(record)
            self.journal.settle()
        for _, _, events, then in staged:
            if then is not None:
                then(list(events))

    def settle(self) -> None:
        """Settles the session store's commits (:meth:`SessionJournal.settle`), under the
        session lock."""
        with self.lock:
            self.journal.settle()

    def intern_reason(self, text: str) -> int:
        """Returns the id of ``text``; its STRING records go out with the next journaled batch."""
        string_id, strings = self.journal.intern(text)
        if strings is not None:
            self._pending_strings.append(strings)
        return string_id

    def _take_strings(self) -> list[np.ndarray]:
        pending, self._pending_strings = self._pending_strings, []
        return pending

    def _encode(self, msg_type: bytes, seq: int, body: list[tuple[int, bytes]] | bytes,
                poss_dup_orig_ns: int = 0) -> bytes:
        """The message's bytes: header 49, 56, 34, 52 (now) [, 43=Y, 122] then ``body``
        (fields, or already encoded by :func:`adapters.fix.wire.fields_bytes`)."""
        header = b"43=Y\x01122=%b\x01" % wire.utc_timestamp(poss_dup_orig_ns / 1e9) \
            if poss_dup_orig_ns else b""
        return self._template.encode(msg_type, seq, wire.utc_now(), body if type(body) is bytes
                                     else wire.fields_bytes(body), header)

    def _write(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            return  # not connected: the venue asks for it by ResendRequest after the next logon
        try:
            sock.sendall(data)
            self._last_sent = time.monotonic()
        except OSError:
            self._close_socket()

    # ---------------------------------------------------------------- the session thread
    def _run(self) -> None:
        delay = self.backoff_s[0]
        while not self._stopping.is_set():
            try:
                self._connect()
                delay = self.backoff_s[0]
                self._read_loop()
            except OSError:
                pass
            self.logged_on.clear()
            self._close_socket()
            if self._stopping.wait(delay):
                break
            delay = min(delay * 2, self.backoff_s[1])

    def _connect(self) -> None:
        sock = socket.create_connection(self.address, timeout=5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(0.1)
        with self.lock:
            self._sock = sock
            self.connections += 1
            self._resend_until = 0
            self._logout_sent = False
            self._sync_pending = True
            self.synced.clear()
            if self.on_connecting is not None:
                self.on_connecting()
            self._last_recv = time.monotonic()
            logon = [(98, b"0"), (108, str(self.heartbeat_s).encode())]
            if self._password:
                logon.append((554, self._password.encode()))
            record, typed = new_record(Kind.FIX_OUT)
            typed["ref_seq_num"] = self.heartbeat_s
            self.send(codes.LOGON, logon, record)

    def _read_loop(self) -> None:
        parser = simplefix.FixParser()
        while not self._stopping.is_set() and self._sock is not None:
            try:
                data = self._sock.recv(65536)
                if not data:
                    return
                parser.append_buffer(data)
                self._last_recv = time.monotonic()
                self._test_req_sent = 0.0
            except TimeoutError:
                pass
            more = True
            while more:
                try:
                    self._batch_thread = threading.get_ident()
                    for _ in range(_READ_BATCH):
                        if (msg := parser.get_message()) is None:
                            more = False
                            break
                        with self.lock:  # one message at a time against other threads' sends
                            self._on_message(msg)
                            self._check_synced()
                        if self._sock is None:
                            return
                finally:
                    self._batch_thread = 0
                    self._end_read_batch()
            self._keep_alive()

    def _end_read_batch(self) -> None:
        """Commits what the read batch staged (if no send committed it), then runs what
        waited for it (one call per run of the same callable), then settles."""
        with self.lock:
            self.journal.commit()
            after, self._after_commit = self._after_commit, []
            i = 0
            while i < len(after):
                then, records = after[i]
                i += 1
                if i < len(after) and after[i][0] == then:
                    records = list(records)
                    while i < len(after) and after[i][0] == then:
                        records.extend(after[i][1])
                        i += 1
                then(records)
            self.journal.settle()

    def _check_synced(self) -> None:
        if self._sync_pending and self.logged_on.is_set() and not self._resend_until:
            self._sync_pending = False
            if self.on_synced is not None:
                self.on_synced()
            self.synced.set()

    def _keep_alive(self) -> None:
        now = time.monotonic()
        if now - self._last_sent >= self.heartbeat_s:
            self.send(codes.HEARTBEAT, [])
        quiet = now - self._last_recv
        if self._test_req_sent and now - self._test_req_sent >= self.heartbeat_s:
            self._close_socket()  # the venue did not answer the TestRequest: reconnect
        elif not self._test_req_sent and quiet >= self.heartbeat_s * 1.2:
            self._test_req_sent = now
            record, typed = new_record(Kind.FIX_OUT)
            self.send(codes.TEST_REQUEST, [(112, b"TEST")], record)

    # ---------------------------------------------------------------- inbound
    def _on_message(self, msg: simplefix.FixMessage) -> None:
        try:
            self._handle(msg)
        finally:  # a FIX_IN nothing journaled after it: staged alone
            if self._in_pending:
                self.journal.append(self._take_in(), commit=False)

    def _handle(self, msg: simplefix.FixMessage) -> None:
        msg_type, seq_text = msg.get(35), msg.get(34)
        if msg_type is None or seq_text is None or not seq_text.isdigit():
            if seq_text is not None and seq_text.isdigit():
                self._reject(int(seq_text), b"Required tag missing: MsgType")
            return
        seq = int(seq_text)
        expected = self.journal.state.next_in
        poss_dup = msg.get(43) == b"Y"
        if msg_type == codes.SEQUENCE_RESET and msg.get(123) != b"Y":
            self._journal_in(fix_in_record(msg, self), msg)  # reset mode: seq num ignored
            return
        if seq < expected:
            if not poss_dup and msg_type != codes.LOGOUT:
                self._close_socket()  # MsgSeqNum too low without PossDup: fatal for the session
            return
        if seq > expected:
            if msg_type == codes.LOGON:
                self.logged_on.set()
            if msg_type == codes.RESEND_REQUEST:
                self._answer_resend(msg)
            if not self._resend_until:
                self._resend_until = seq
                record, typed = new_record(Kind.FIX_OUT)
                typed["ref_seq_num"] = expected
                self.send(codes.RESEND_REQUEST, [(7, str(expected).encode()), (16, b"0")], record)
            return
        try:
            record = fix_in_record(msg, self)
        except ValueError as exc:
            self._journal_in(fix_in_record(msg, self, lenient=True), msg)
            self._reject(seq, str(exc).encode())
            return
        self._journal_in(record, msg)
        if msg_type in codes.ADMIN_TYPES:  # session messages fold now (they move next_in)
            self.journal.append(self._take_in(), commit=False)
        # an application message's FIX_IN folds with its events: next_in is then seq + 1
        if self._resend_until and max(self.journal.state.next_in, seq + 1) > self._resend_until:
            self._resend_until = 0
        self._dispatch(msg_type, msg, record)

    def _journal_in(self, record: np.ndarray, msg: simplefix.FixMessage) -> None:
        """Stages a received message's FIX_IN record: it is committed with what handling the
        message journals next (its order events, an answer: one append), or alone at the end
        of its handling; committed with its read batch (:meth:`_read_loop`) or an earlier
        send, before anything of it leaves the session."""
        pending = self._in_pending = [*self._take_strings(), record]
        record["seq"] = self.journal.next_seq + len(pending) - 1

    def _take_in(self) -> list[np.ndarray]:
        """The staged FIX_IN record (after its STRING records), to journal ahead of anything
        else: the seq it was given is the next one."""
        pending, self._in_pending = self._in_pending, []
        return pending

    def journal_records(self, records: list[np.ndarray],
                        then: Callable[[list[np.ndarray]], None] | None = None) -> int:
        """Journals ``records`` (after any pending STRING records) and calls ``then(records)``
        once they are committed; returns the last seq. On the session thread inside a read
        batch both wait for the batch's one commit (see the module contract); elsewhere the
        records are committed, ``then`` runs and the commit is settled before this returns
        (``then`` waits behind a read batch's pending calls, keeping their order)."""
        with self.lock:
            if self._batch_thread == threading.get_ident():
                last = self.journal.append([*self._take_in(), *self._take_strings(), *records],
                                           commit=False)
                if then is not None:
                    self._after_commit.append((then, records))
                return last
            last = self.journal.append([*self._take_in(), *self._take_strings(), *records])
            if self._after_commit and then is not None:  # after the read batch's, in order
                self._after_commit.append((then, records))
                return last
            if then is not None:
                then(records)
            self.journal.settle()
            return last

    def _dispatch(self, msg_type: bytes, msg: simplefix.FixMessage, record: np.ndarray) -> None:
        if msg_type == codes.LOGON:
            self.logged_on.set()
        elif msg_type == codes.TEST_REQUEST:
            self.send(codes.HEARTBEAT, [(112, msg.get(112) or b"")])
        elif msg_type == codes.RESEND_REQUEST:
            self._answer_resend(msg)
        elif msg_type == codes.LOGOUT:
            if not self._logout_sent:
                self.send(codes.LOGOUT, [])
            self.logged_on.clear()
        elif (msg_type not in codes.ADMIN_TYPES or msg_type == codes.REJECT) and self.on_app:
            self.on_app(record, msg)

    def _reject(self, ref_seq: int, text: bytes) -> None:
        record, typed = new_record(Kind.FIX_OUT)
        typed["ref_seq_num"] = ref_seq
        self.send(codes.REJECT, [(45, str(ref_seq).encode()), (58, text)], record)

    def _answer_resend(self, msg: simplefix.FixMessage) -> None:
        """Resends journaled app messages in [begin, end]; admin runs become GapFills."""
        begin = int(msg.get(7) or 1)
        end = int(msg.get(16) or 0)
        with self.lock:
            last = self.journal.state.next_out - 1
            end = last if end == 0 or end > last else end
            gap_start = 0
            for seq in range(begin, end + 1):
                out = self.journal.state.sent.get(seq)
                body = rebuild_body(out, self.journal.state.strings) if out is not None else None
                if body is None:
                    gap_start = gap_start or seq
                    continue
                if gap_start:
                    self._write(self._gap_fill(gap_start, seq))
                    gap_start = 0
                msg_type = codes.unpack_msg_type(int(out["msg_type"]))
                self._write(self._encode(msg_type, seq, body, poss_dup_orig_ns=int(out["ts_init"])))
            if gap_start:
                self._write(self._gap_fill(gap_start, end + 1))

    def _gap_fill(self, seq: int, new_seq: int) -> bytes:
        return self._encode(codes.SEQUENCE_RESET, seq, [(123, b"Y"), (36, str(new_seq).encode())],
                            poss_dup_orig_ns=time.time_ns())

    def _close_socket(self) -> None:
        with self.lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
