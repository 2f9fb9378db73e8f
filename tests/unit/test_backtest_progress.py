"""The progress line: counts records, silent unless stderr is a TTY."""

from __future__ import annotations

import io

import numpy as np

from domain.kinds import RECORD_DTYPE
from replay.progress import Progress


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


def test_progress_draws_records_per_second_on_a_tty() -> None:
    out = FakeTty()
    p = Progress(True, stream=out)
    list(p.wrap(chunks()))
    p.close()
    assert p.enabled and "15" in out.getvalue()


def test_quiet_progress_draws_nothing_even_on_a_tty() -> None:
    out = FakeTty()
    p = Progress(False, stream=out)
    list(p.wrap(chunks()))
    p.close()
    assert out.getvalue() == ""
