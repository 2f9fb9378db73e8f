"""Local order-book sync for one symbol, by Binance's documented algorithm (no I/O).

Design contract:
- diffs arriving before a usable snapshot are buffered; the caller fetches a REST snapshot
  once the first diff is buffered (:attr:`BookSync.wants_snapshot`);
- a snapshot whose ``lastUpdateId`` is below the first buffered diff's ``U`` is stale and is
  refused (the caller fetches again);
- buffered diffs with ``u <= lastUpdateId`` are dropped; the first kept diff must span
  ``lastUpdateId + 1`` (``U <= lastUpdateId + 1 <= u``), else the sync restarts;
- once live, each diff must continue the previous one: ``pu == previous u`` when the diff
  carries ``pu`` (futures), else ``U == previous u + 1``; diffs with ``u <=`` the book's id are
  ignored; any gap restarts the sync (buffer anew, fetch a new snapshot);
- the emitted messages are (kind, payload) pairs in the order the book must apply them:
  ``("snapshot", snap)`` then ``("diff", msg)``; a resync emits a new snapshot, whose CLEAR
  rebuilds the book.
"""

from __future__ import annotations

from typing import Any

import attrs

BUFFERING, LIVE = "buffering", "live"


@attrs.define
class BookSync:
    """Sync state of one symbol's book."""

    symbol: str
    state: str = BUFFERING
    last_update_id: int = -1
    buffer: list[dict[str, Any]] = attrs.field(factory=list)
    resyncs: int = 0
    stale_snapshots: int = 0
    log: list[str] = attrs.field(factory=list)

    @property
    def wants_snapshot(self) -> bool:
        """True when diffs are buffered and no snapshot has been applied since."""
        return self.state == BUFFERING and bool(self.buffer)

    def reset(self, reason: str) -> None:
        """Drops the book and buffer; the next diff starts a new sync."""
        self.log.append(f"{self.symbol}: resync ({reason})")
        self.state, self.buffer, self.resyncs = BUFFERING, [], self.resyncs + 1

    def on_diff(self, msg: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Takes one ``depthUpdate``; returns what to apply now (maybe nothing)."""
        if self.state == BUFFERING:
            self.buffer.append(msg)
            return []
        first, last = int(msg["U"]), int(msg["u"])
        if last <= self.last_update_id:
            return []
        prev = int(msg["pu"]) if "pu" in msg else first - 1
        if prev != self.last_update_id:
            self.reset(f"gap: U={first} pu={msg.get('pu')} after u={self.last_update_id}")
            self.buffer.append(msg)
            return []
        self.last_update_id = last
        return [("diff", msg)]

    def on_snapshot(self, snap: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """Takes a REST snapshot; returns the snapshot and the buffered diffs that follow it,
        or nothing when the snapshot is stale or does not meet the buffer (the caller fetches
        again: :attr:`wants_snapshot` stays true)."""
        if self.state != BUFFERING or not self.buffer:
            return []
        snap_id = int(snap["lastUpdateId"])
        if snap_id < int(self.buffer[0]["U"]):
            self.stale_snapshots += 1
            self.log.append(f"{self.symbol}: stale snapshot lastUpdateId={snap_id} < "
                            f"U={self.buffer[0]['U']}")
            return []
        kept = [m for m in self.buffer if int(m["u"]) > snap_id]
        if kept and not int(kept[0]["U"]) <= snap_id + 1 <= int(kept[0]["u"]):
            self.reset(f"first diff U={kept[0]['U']} u={kept[0]['u']} does not span "
                       f"lastUpdateId+1={snap_id + 1}")
            return []
        self.state, self.last_update_id, self.buffer = LIVE, snap_id, []
        out: list[tuple[str, dict[str, Any]]] = [("snapshot", snap)]
        for i, m in enumerate(kept):
            if i and int(m.get("pu", int(m["U"]) - 1)) != self.last_update_id:
                self.reset(f"gap in buffer: U={m['U']} after u={self.last_update_id}")
                self.buffer = kept[i:]
                return out
            self.last_update_id = int(m["u"])
            out.append(("diff", m))
        return out
