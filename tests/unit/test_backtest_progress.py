"""The progress line: counts records, silent unless stderr is a TTY."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

from domain.kinds import RECORD_DTYPE, Kind
from replay.progress import Progress, progress_line


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def chunks() -> list[np.ndarray]:
    return [np.zeros(n, dtype=RECORD_DTYPE) for n in (3, 5, 7)]


def test_progress_counts_records_and_stays_silent_when_not_a_tty() -> None:
    out = io.StringIO()
    p = Progress(True, stream=out)
    assert [len(c) for c in p.wrap(chunks())] == [3, 5, 7]
    p.close()
    assert p.n == 15 and out.getvalue() == ""


@pytest.fixture
def builtin_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hides tqdm (installed or not) so the built-in line is what draws."""
    monkeypatch.setitem(sys.modules, "tqdm", None)


def test_progress_draws_records_per_second_on_a_tty(builtin_line: None) -> None:
    out = FakeTty()
    p = Progress(True, stream=out)
    list(p.wrap(chunks()))  # all three chunks arrive within the 0.25 s redraw interval
    p.close()
    last = out.getvalue().split("\r")[-1]
    assert p.enabled and last.startswith("backtest: 15 records, ")
    assert last.rstrip().endswith("records/s") and last.endswith("\n")


def test_progress_with_a_known_total_shows_total_percent_and_eta(builtin_line: None) -> None:
    out = FakeTty()
    p = Progress(True, stream=out, total=30)
    list(p.wrap(chunks()))
    p.close()
    last = out.getvalue().split("\r")[-1]
    assert last.startswith("backtest: 15/30 records (50%), ") and "ETA " in last


def test_progress_line_eta_is_remaining_over_rate() -> None:
    # 1,000 of 4,000 in 10 s: 100 records/s, 3,000 left -> 30 s
    line = progress_line("run", 1000, 10.0, 4000)
    assert line == "run: 1,000/4,000 records (25%), 100 records/s, ETA 00:30"
    assert progress_line("run", 4000, 3700.0, 4000).endswith("(100%), 1 records/s, ETA 00:00")
    assert progress_line("run", 3600, 3600.0, 10800).endswith("(33%), 1 records/s, ETA 2:00:00")
    assert progress_line("run", 15, 1.0) == "run: 15 records, 15 records/s"


def test_quiet_progress_draws_nothing_even_on_a_tty() -> None:
    out = FakeTty()
    p = Progress(False, stream=out)
    list(p.wrap(chunks()))
    p.close()
    assert out.getvalue() == ""


def test_check_of_a_journal_draws_its_total_percent_and_eta(
    builtin_line: None, tmp_path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from domain.instruments import Instrument
    from replay.testing.check import check
    from replay.testing.journal_io import write_journal
    from replay.testing.streams import T0_NS, build, record

    inst = Instrument.fx_pair("EUR/USD.SIM")
    quotes = [record(Kind.QUOTE, T0_NS + i, instrument_id=1, price_precision=5, bid=110_000,
                     ask=110_002, bid_size=1, ask_size=1) for i in range(50)]
    path = write_journal(build(inst, quotes, 1).records, tmp_path / "j")
    out = FakeTty()
    monkeypatch.setattr(sys, "stderr", out)
    result = check(path, progress=True)
    n = result.n_records
    last = out.getvalue().split("\r")[-1]
    assert result.ok and last.startswith(f"check: {n:,}/{n:,} records (100%), ")
    assert "ETA 00:00" in last
