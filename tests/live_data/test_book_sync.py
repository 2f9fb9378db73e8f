"""BookSync: Binance's documented local-book algorithm, step by step."""

from __future__ import annotations

from adapters.binance.book_sync import BUFFERING, LIVE, BookSync


def diff(first: int, last: int, pu: int | None = None) -> dict:
    msg = {"e": "depthUpdate", "E": 1, "U": first, "u": last, "b": [], "a": []}
    if pu is not None:
        msg["pu"] = pu
    return msg


def snap(last_id: int) -> dict:
    return {"lastUpdateId": last_id, "bids": [], "asks": []}


def kinds(steps) -> list:
    return [(w, p["lastUpdateId"] if w == "snapshot" else p["u"]) for w, p in steps]


def test_buffer_then_snapshot_drops_old_diffs_and_applies_the_spanning_one():
    s = BookSync("X")
    assert not s.wants_snapshot
    for m in (diff(100, 105), diff(106, 110), diff(111, 112)):
        assert s.on_diff(m) == []
    assert s.wants_snapshot
    assert kinds(s.on_snapshot(snap(107))) == [("snapshot", 107), ("diff", 110), ("diff", 112)]
    assert (s.state, s.last_update_id) == (LIVE, 112)
    assert kinds(s.on_diff(diff(113, 120))) == [("diff", 120)]
    assert s.on_diff(diff(115, 119)) == []  # already applied: ignored


def test_stale_snapshot_is_refused_and_kept_wanting():
    s = BookSync("X")
    s.on_diff(diff(100, 105))
    assert s.on_snapshot(snap(98)) == []
    assert s.wants_snapshot and s.stale_snapshots == 1
    assert kinds(s.on_snapshot(snap(101))) == [("snapshot", 101), ("diff", 105)]


def test_first_kept_diff_must_span_the_snapshot():
    s = BookSync("X")
    s.on_diff(diff(100, 105))
    s.on_diff(diff(110, 115))  # a gap inside the buffer, after the snapshot's id
    assert s.on_snapshot(snap(106)) == []
    assert s.state == BUFFERING and s.resyncs == 1 and s.buffer == []


def test_live_gap_resyncs_by_u_or_by_pu():
    s = BookSync("X")
    s.on_diff(diff(10, 12))
    s.on_snapshot(snap(11))
    assert s.on_diff(diff(14, 15)) == []  # U != 12 + 1
    assert s.state == BUFFERING and s.resyncs == 1 and s.buffer[0]["U"] == 14
    f = BookSync("F")  # futures: pu links events, U may jump
    f.on_diff(diff(10, 12, pu=9))
    f.on_snapshot(snap(11))
    assert kinds(f.on_diff(diff(20, 25, pu=12))) == [("diff", 25)]
    assert f.on_diff(diff(30, 31, pu=26)) == [] and f.resyncs == 1
