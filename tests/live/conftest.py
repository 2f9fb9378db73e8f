"""The live test venue: QuickFIX's ordermatch, started per test on a free 127.0.0.1 port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.fix.venue import SETUP_SCRIPT, OrdermatchVenue, find_ordermatch

CLIENTS = ["RINGBUS", "LIQUIDITY"]


@pytest.fixture
def ordermatch(tmp_path: Path) -> Iterator[OrdermatchVenue]:
    """A running ordermatch accepting CompIDs RINGBUS and LIQUIDITY; skips when not installed."""
    folder = find_ordermatch()
    if folder is None:
        message = f"ordermatch test venue not installed: run {SETUP_SCRIPT} (as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with OrdermatchVenue(folder, tmp_path / "venue", CLIENTS) as venue:
        yield venue
