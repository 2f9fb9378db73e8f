"""Every built-in invariant over every real data file in ../shared/data (the L3 checks on the
ES MBO file), as a stream and, for ES, as a journal through ``ringbus check``.

The ES file is legitimately crossed in the pre-open, 22:39-23:00 UTC. The file has no status
schema, so the trading status is inferred (a crossed book no trade printed on is a pre-open):
pre-open from 22:39:55, trading from the first trades at 23:00:00, and everything holds with no
window configured. With the inference off and no window, book_not_crossed names the first
crossed LAST record (seq and book top), inside the window.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from domain.codec import as_kind
from domain.enums import BookLevel
from domain.instruments import Instrument
from replay.backtest_data import DataSource, open_source
from replay.config import DataConfig
from replay.loaders.detect import detect_format
from replay.testing.check import check
from replay.testing.journal_io import write_journal
from replay.testing.state import CheckConfig
from replay.testing.streams import concat, setup_records, stamp
from tests.conftest import SHARED_DATA

ES = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
PRE_OPEN = CheckConfig(crossed_windows_utc=("22:39-23:00",))
NO_INFERENCE = CheckConfig(infer_trading_status=False)
ROOT = Path(__file__).resolve().parents[2]
PRE_OPEN_NS, OPEN_NS = 1703543940_000000000, 1703545200_000000000
#: Loader options a file needs, stated explicitly: the BTC bars' volumes carry float artifacts
#: (218102.59507500002: 11 decimals overflow int64 for 1e8 volumes); 7 decimals drop only that
#: noise, and only volume is rounded (half up), because we ask for it.
LOADER_OPTIONS: dict[str, dict[str, object]] = {
    "btc-perp-20211231-20220201_1m.csv": {"size_precision": 7, "round_volume": True},
}
#: Files that name no instrument of their own (issue 18: never a default symbol).
INSTRUMENTS = {"quote_tick_data.csv": "EUR/USD.SIM"}
#: Formats the backtest's open_source does not give a book level for yet.
BOOK_LEVELS = {"tardis_book": BookLevel.L2}
FILES = sorted(p.name for p in SHARED_DATA.glob("*") if p.suffix != ".md") or [ES]


def stream_of(path: Path) -> np.ndarray:
    """Returns the file's records after the STRING + INSTRUMENT records they need, seq 1..n.

    A file with loader options, or of a format open_source has no book level for, is loaded
    through detect_format with its options, under open_source's instrument."""
    fmt = detect_format(path, **LOADER_OPTIONS.get(path.name, {}))
    if fmt.options or fmt.name in BOOK_LEVELS:
        first = next(iter(fmt.loader(path, 0)))
        head = as_kind(first[:1], int(first["kind"][0]))
        inst = Instrument.equity("BTC.SIM", price_precision=int(head["price_precision"][0]),
                                 size_precision=int(head["size_precision"][0]))
        src = DataSource.from_records(inst, fmt.loader(path, 0),
                                      BOOK_LEVELS.get(fmt.name, BookLevel.L1), str(path))
    else:
        src = open_source(DataConfig(str(path), instrument_id=INSTRUMENTS.get(path.name)), ())
    return stamp(concat([setup_records(src.instrument, 1, src.first_ts_init), *src.chunks(1)]))


def test_every_real_file_is_covered_and_none_is_skipped(shared_data: Path) -> None:
    assert shared_data == SHARED_DATA
    assert len(FILES) == 10
    assert {"deribit_incremental_book_L2_BTC-PERPETUAL.csv",
            "btc-perp-20211231-20220201_1m.csv"} <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_every_builtin_invariant_holds_on_the_real_file(shared_data: Path, name: str) -> None:
    records = stream_of(shared_data / name)
    result = check(records)
    assert result.ok, result.to_dict()
    assert result.n_records == len(records)


@pytest.fixture(scope="module")
def es_journal(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_journal(stream_of(shared_data / ES), tmp_path_factory.mktemp("es") / "journal")


def test_the_es_journal_passes_every_builtin_with_the_pre_open_allowed(es_journal: Path) -> None:
    result = check(es_journal, config=PRE_OPEN)
    assert result.ok, result.to_dict()
    # the data, its STRING + INSTRUMENT, RUN_STARTED + manifest parts + RUN_ENDED
    assert result.n_records == result.last_seq >= 68_792 + 2 + 3


def test_invariants_on_real_data_ringbus_check_passes_on_the_es_journal(es_journal: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "replay.cli", "check", str(es_journal)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"OK {es_journal}: ")
    without = subprocess.run([sys.executable, "-m", "replay.cli", "check", str(es_journal),
                              "--no-infer-status"], capture_output=True, text=True, env=env,
                             timeout=300)
    assert without.returncode == 1 and "VIOLATION book_not_crossed" in without.stderr


def test_invariants_on_real_data_es_trading_status_is_inferred_pre_open_then_trading(
    shared_data: Path,
) -> None:
    from domain.codec import decode_raw
    from replay.testing.state import CheckState

    records = stream_of(shared_data / ES)
    state, data, changes = CheckState(), records.tobytes(), []
    for off in range(0, len(data), 128):
        rec = decode_raw(data, off)
        state.fold(rec)
        st = state.status.get(1)
        if not changes or changes[-1][0] != st.status.name:
            changes.append((st.status.name, int(rec.ts_event)))
    assert [name for name, _ in changes] == ["NONE", "PRE_OPEN", "TRADING"]
    assert PRE_OPEN_NS <= changes[1][1] < PRE_OPEN_NS + 60 * 10**9  # 22:39:55.2
    assert changes[2][1] == OPEN_NS  # 23:00:00, with the first trades


def test_without_the_inference_or_a_window_the_first_crossed_last_record_is_named(
    es_journal: Path,
) -> None:
    assert check(es_journal, config=PRE_OPEN).ok
    result = check(es_journal, config=NO_INFERENCE)
    v = result.first
    assert v is not None and v.invariant == "book_not_crossed"
    assert "crossed after LAST" in v.message and f"seq {v.seq}" in v.message
    assert v.excerpt["book"]["best_bid"][0] >= v.excerpt["book"]["best_ask"][0]
    from journal.reader import JournalReader
    from journal.store import Journal

    with Journal.open(es_journal) as journal:
        rec = JournalReader(journal).record(v.seq)
    assert PRE_OPEN_NS <= int(rec["ts_event"][0]) < OPEN_NS


def test_snapshot_plus_tail_equals_the_full_replay_of_the_es_journal(es_journal: Path) -> None:
    result = check(es_journal, ["builtin:snapshot_tail"])
    assert result.ok, result.to_dict()
    assert result.invariants == ["snapshot_tail"]
