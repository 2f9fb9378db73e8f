"""A local Binance replay server for tests: /work/shared/data depth files over WebSocket + HTTP.

Design contract:
- binds 127.0.0.1 only (port 0: the OS picks); one port serves the combined stream
  (``/stream?streams=...``, Binance's ``{"stream", "data"}`` envelope) and the REST depth
  snapshot (``GET <depth_path>?symbol=...``: ``lastUpdateId``, ``bids``, ``asks``);
- several timelines (``more``; e.g. the same files under another ``symbol``) share the stream:
  their events interleave by exchange time (ties in timeline order), fault indices count the
  events of all of them;
- the timeline: the snapshot file is the book just before the update file (its update id is
  renumbered to the first update's ``U - 1``: the recording has a gap there, which the
  backtest loader also ignores); the update file's rows are served ``rows_per_event`` per
  ``depthUpdate``, with consecutive ids ``U..u`` inside the file's range and ``pu`` = the
  previous ``u``, so after ``k`` rows the book equals the loader-built book of snapshot + ``k``
  rows;
- the exchange moves on whether or not a client listens: each event is applied to the server's
  book when its turn comes; pacing is ``max(min_gap_s, exchange-time gap / speed)``;
- faults: ``drop_at`` (close the connection instead of sending that event; the event still
  happens), ``skip_at`` (the event happens but is not sent: a skipped update id),
  ``stale_snapshots`` (the first N snapshot requests get the file's initial book);
- every wait is bounded; :meth:`stop` ends the server.
"""

from __future__ import annotations

import asyncio
import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


@attrs.frozen
class Faults:
    drop_at: frozenset[int] = frozenset()
    skip_at: frozenset[int] = frozenset()
    stale_snapshots: int = 0


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Timeline:
    """The exchange side: the served events and the book after each of them."""

    def __init__(self, snap_csv: Path, update_csv: Path, rows_per_event: int = 1,
                 symbol: str | None = None) -> None:
        snap, updates = _rows(snap_csv), _rows(update_csv)
        self.symbol = symbol or snap[0]["symbol"]
        self.base = int(updates[0]["first_update_id"])
        self.n_rows = len(updates)
        self.book: dict[str, dict[Decimal, tuple[str, str]]] = {"b": {}, "a": {}}
        for r in snap:
            self.book[r["side"]][Decimal(r["price"])] = (r["price"], r["qty"])
        self.initial = self.snapshot(self.base - 1)
        self.events: list[dict[str, Any]] = []
        last_u = self.base - 1
        for start in range(0, len(updates), rows_per_event):
            chunk = updates[start:start + rows_per_event]
            end = start + len(chunk)
            u = int(updates[-1]["last_update_id"]) if end == len(updates) else self.base + end - 1
            self.events.append({
                "e": "depthUpdate", "E": int(chunk[0]["timestamp"]), "s": self.symbol,
                "U": self.base + start, "u": u, "pu": last_u,
                "b": [[r["price"], r["qty"]] for r in chunk if r["side"] == "b"],
                "a": [[r["price"], r["qty"]] for r in chunk if r["side"] == "a"]})
            last_u = u
        self.pos = 0
        self.last_id = self.base - 1

    @property
    def done(self) -> bool:
        return self.pos >= len(self.events)

    def rows_at(self, update_id: int) -> int:
        """How many update-file rows a book at ``update_id`` has applied."""
        return max(0, min(update_id - self.base + 1, self.n_rows))

    def advance(self) -> dict[str, Any]:
        """Applies the next event to the book and returns it."""
        event = self.events[self.pos]
        for side in ("b", "a"):
            for price, qty in event[side]:
                if Decimal(qty) == 0:
                    self.book[side].pop(Decimal(price), None)
                else:
                    self.book[side][Decimal(price)] = (price, qty)
        self.pos, self.last_id = self.pos + 1, event["u"]
        return event

    def snapshot(self, update_id: int | None = None) -> dict[str, Any]:
        bids = [list(self.book["b"][p]) for p in sorted(self.book["b"], reverse=True)]
        asks = [list(self.book["a"][p]) for p in sorted(self.book["a"])]
        return {"lastUpdateId": self.last_id if update_id is None else update_id,
                "bids": bids, "asks": asks}


class BinanceReplayServer:
    """Serves one :class:`Timeline` to any number of successive clients."""

    def __init__(self, timeline: Timeline, *, faults: Faults = Faults(), speed: float = 0.0,
                 min_gap_s: float = 0.002, depth_path: str = "/api/v3/depth",
                 more: tuple[Timeline, ...] = ()) -> None:
        self.timeline, self.faults, self.speed = timeline, faults, speed
        self.timelines = {t.symbol: t for t in (timeline, *more)}
        self.n_events = 0  # events that happened, over every timeline
        self.min_gap_s, self.depth_path = min_gap_s, depth_path
        self.snapshot_requests = 0
        self.connections = 0
        self._server: Any = None

    async def start(self) -> int:
        """Starts listening on 127.0.0.1; returns the port."""
        self._server = await serve(self._handle, "127.0.0.1", 0,
                                   process_request=self._http)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        await asyncio.wait_for(self._server.wait_closed(), 5)

    def _http(self, connection: Any, request: Any) -> Any:
        url = urlsplit(request.path)
        if url.path == "/stream":
            return None
        if url.path != self.depth_path:
            return connection.respond(404, f"no route {url.path}\n")
        symbol = parse_qs(url.query).get("symbol", [""])[0]
        tl = self.timelines.get(symbol)
        if tl is None:
            return connection.respond(400, json.dumps({"code": -1121, "msg": "Invalid symbol."}))
        self.snapshot_requests += 1
        stale = self.snapshot_requests <= self.faults.stale_snapshots
        return connection.respond(200, json.dumps(tl.initial if stale else tl.snapshot()))

    def _next(self) -> Timeline | None:
        """The timeline whose next event is due first (None: all done)."""
        live = [t for t in self.timelines.values() if not t.done]
        return min(live, key=lambda t: t.events[t.pos]["E"]) if live else None

    async def _handle(self, ws: Any) -> None:
        self.connections += 1
        prev_e = None
        while (tl := self._next()) is not None:
            stream = f"{tl.symbol.lower()}@depth@100ms"
            index, self.n_events = self.n_events, self.n_events + 1
            event = tl.advance()
            if prev_e is not None and self.speed > 0:
                await asyncio.sleep(max(self.min_gap_s, (event["E"] - prev_e) / 1000 / self.speed))
            else:
                await asyncio.sleep(self.min_gap_s)
            prev_e = event["E"]
            if index in self.faults.drop_at:
                await ws.close()
                return
            if index in self.faults.skip_at:
                continue
            try:
                await ws.send(json.dumps({"stream": stream, "data": event}))
            except ConnectionClosed:  # the client went away (killed, or stopped)
                return
        await ws.wait_closed()


class ServerThread:
    """Runs a :class:`BinanceReplayServer` on its own event loop in a daemon thread (for
    clients in other processes)."""

    def __init__(self, server: BinanceReplayServer) -> None:
        import threading

        self.server = server
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.port = 0

        def main() -> None:
            asyncio.set_event_loop(self.loop)
            self.port = self.loop.run_until_complete(server.start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=main, daemon=True)
        self.thread.start()
        if not started.wait(10):
            raise TimeoutError("replay server did not start within 10 s")

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
