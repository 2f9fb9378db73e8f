"""The test venue itself: it starts, listens on loopback only, and stops on #quit."""

from __future__ import annotations

from adapters.fix.venue import listening_addresses

LOOPBACK_V4 = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it


def test_ordermatch_listens_on_127_0_0_1_only(ordermatch):
    assert listening_addresses(ordermatch.port) == [LOOPBACK_V4]


def test_ordermatch_stops_on_quit(ordermatch):
    proc = ordermatch.proc
    ordermatch.stop()
    assert proc.returncode == 0
