"""Bad input to a backtest (issue 6 "Bad input"): a clear error naming file, line / record and
value, nothing journaled for the bad record, and no half-written results."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from domain.codec import as_kind
from domain.enums import RunEndReason
from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from journal.verify import verify_journal
from replay.backtest import BacktestNode
from replay.backtest_data import UnknownInstrumentError
from replay.config import BacktestConfig, DataConfig, InstrumentConfig, StrategyConfig
from replay.loaders.dbn import DbnFormatError
from replay.loaders.errors import DataError

ES = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"
HEADER = "timestamp,bid,ask,bid_size,ask_size\n"


def row(i: int, bid: str = "1.10000", size: str = "5") -> str:
    return f"{1_704_153_600_000_000_000 + i * 1_000_000},{bid},1.10020,{size},5\n"


def node(tmp_path: Path, data: str, **kw: object) -> BacktestNode:
    return BacktestNode(BacktestConfig(
        data=[DataConfig(data, instrument_id=kw.pop("instrument_id", "EUR/USD.SIM"))],
        strategies=[StrategyConfig("ema_cross")], journal=str(tmp_path / "journal"), **kw))


def write(tmp_path: Path, rows: list[str]) -> str:
    path = tmp_path / "quotes.csv"
    path.write_text(HEADER + "".join(rows))
    return str(path)


@pytest.mark.parametrize(("bad", "field", "value"), [
    (row(3, bid="nan"), "bid", "nan"),
    (row(3, size="-5"), "bid_size", "-5"),
    (row(1), "timestamp", str(1_704_153_600_000_000_000 + 1_000_000)),
])
def test_bad_rows_at_the_start_fail_before_a_journal_exists(tmp_path: Path, bad: str, field: str,
                                                             value: str) -> None:
    path = write(tmp_path, [row(0), row(1), row(2), bad, row(4)])
    with pytest.raises(DataError) as err:
        node(tmp_path, path).run()
    text = str(err.value)
    assert "quotes.csv:5" in text and f"'{field}'" in text and value in text
    assert not (tmp_path / "journal").exists()


def test_a_bad_row_deep_in_the_file_ends_the_run_before_its_chunk_is_journaled(
        tmp_path: Path) -> None:
    n_good = 70_000  # past the loaders' first 65 536-row chunk
    path = write(tmp_path, [row(i) for i in range(n_good)] + [row(n_good, bid="inf")])
    # precisions configured: no inference scan, so the bad row is met while streaming
    inst = InstrumentConfig("EUR/USD.SIM", price_precision=5, size_precision=0)
    with pytest.raises(DataError, match=rf"quotes.csv:{n_good + 2}: field 'bid' has value 'inf'"):
        node(tmp_path, path, instruments=[inst]).run()
    journal = str(tmp_path / "journal")
    assert verify_journal(journal).status.value == "CLEAN"
    with Journal.open(journal) as j:
        recs = JournalReader(j).records_between()
    end = as_kind(recs[-1:], Kind.RUN_ENDED)[0]
    assert int(end["reason"]) == RunEndReason.FAULTED
    quote_ts = recs["ts_init"][recs["kind"] == Kind.QUOTE]
    second_chunk_ts = 1_704_153_600_000_000_000 + 65_536 * 1_000_000
    assert len(quote_ts) > 60_000 and quote_ts.max() < second_chunk_ts  # no record of its chunk


def test_an_instrument_that_is_not_configured_is_refused(tmp_path: Path, shared_data: Path) -> None:
    cfg = BacktestConfig(
        instruments=[InstrumentConfig("AUD/USD.SIM")],
        data=[DataConfig(str(shared_data / "quote_tick_data.csv"), instrument_id="EUR/USD.SIM")],
        strategies=[StrategyConfig("noop")], journal=str(tmp_path / "journal"))
    with pytest.raises(UnknownInstrumentError, match=r"quote_tick_data.csv: instrument "
                       r"'EUR/USD.SIM' is not configured \(configured: \['AUD/USD.SIM'\]\)"):
        BacktestNode(cfg).run()
    assert not (tmp_path / "journal").exists()


def test_an_instrument_a_dbn_file_does_not_hold_is_refused(tmp_path: Path,
                                                           shared_data: Path) -> None:
    with pytest.raises(UnknownInstrumentError, match="'NQH4.GLBX' is not in this file, which "
                       "holds 'ESH4.GLBX'"):
        node(tmp_path, str(shared_data / ES), instrument_id="NQH4.GLBX").run()


def test_a_truncated_dbn_file_names_the_record(tmp_path: Path, shared_data: Path) -> None:
    cut = tmp_path / "cut.mbo.dbn.zst"
    cut.write_bytes((shared_data / ES).read_bytes()[:500_000])
    with pytest.raises(DbnFormatError, match=r"cut.mbo.dbn.zst: record \d+: truncated file"):
        node(tmp_path, str(cut), instrument_id=None).run()
    assert not (tmp_path / "journal").exists()


def test_the_cli_exits_2_with_one_line_and_writes_no_report(tmp_path: Path) -> None:
    path = write(tmp_path, [row(0), row(1, bid="NaN")])
    out = subprocess.run(
        [sys.executable, "-m", "replay.cli", "backtest", "--strategy", "noop", "--data", path,
         "--instrument", "EUR/USD.SIM", "--journal", str(tmp_path / "j"), "--report", str(tmp_path / "report"), "--quiet"],
        capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 2
    assert "quotes.csv:3: field 'bid' has value 'NaN'" in out.stderr
    assert not (tmp_path / "report").exists() and out.stdout == ""
