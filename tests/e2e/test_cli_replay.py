"""``ringbus replay / trace / diff / bisect / verify --reexecute`` as a user runs them, on a real
backtest journal (ema_cross over the bundled EUR/USD quotes), including bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from domain.kinds import Kind
from journal import format as fmt
from journal.reader import JournalReader
from journal.store import Journal
from replay.cli import main

DEMO = Path(__file__).resolve().parents[2] / "replay" / "demo_data" / "eurusd-histdata-20200101.csv.gz"


def backtest(journal: Path, **params: Any) -> Any:
    from replay.backtest import BacktestNode
    from replay.config import BacktestConfig, DataConfig, StrategyConfig

    config = BacktestConfig(data=[DataConfig(str(DEMO), instrument_id="EUR/USD.SIM")],
                            strategies=[StrategyConfig("ema_cross", {"fast": 5, "slow": 20,
                                                                     **params})],
                            journal=str(journal))
    return BacktestNode(config).run()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return backtest(tmp_path_factory.mktemp("replay") / "j")


def records(path: str | Path) -> np.ndarray:
    with Journal.open(path) as journal:
        return JournalReader(journal).records_between(1)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    try:
        doc = json.loads(out.out) if "--json" in argv and out.out else out.out
    except json.JSONDecodeError:
        doc = out.out
    return code, doc, out.err


def test_replay_to_the_end_prints_the_state_hash_the_run_ended_with(run, capsys) -> None:
    code, doc, _ = cli(capsys, "replay", run.journal, "--json")
    assert code == 0
    assert doc["seq"] == run.last_seq and doc["state_hash"] == f"{run.state_hash:016x}"
    assert set(doc) >= {"seq", "ts_init", "state_hash", "open_orders", "positions", "balances",
                        "books"}
    assert doc["balances"]["SIM-001"]["USD"]["total"] == \
        run.result.summary["final_balances"]["SIM-001"]["USD"]


def test_replay_to_a_seq_prints_books_as_decimal_strings_and_the_record_time(run, capsys) -> None:
    recs = records(run.journal)
    seq = int(recs["seq"][recs["kind"] == Kind.QUOTE][100])
    code, doc, _ = cli(capsys, "replay", run.journal, "--to-seq", str(seq), "--json")
    assert code == 0 and doc["seq"] == seq and doc["ts_init"] == int(recs["ts_init"][seq - 1])
    top = doc["books"]["EUR/USD.SIM"]
    for side in ("bid", "ask"):
        price, size = top[side]
        assert isinstance(price, str) and isinstance(size, str) and "." in price
    assert float(top["bid"][0]) < float(top["ask"][0])


def test_replay_to_a_time_takes_the_last_record_at_or_before_it_in_utc(run, capsys) -> None:
    recs = records(run.journal)
    ts = int(recs["ts_init"][5000]) + 1
    want = int(np.searchsorted(recs["ts_init"], ts, side="right"))  # records with ts <= ts
    from journal.summary import iso_ns

    iso = iso_ns(ts)  # 2020-01-01T..........123456789Z
    code, doc, _ = cli(capsys, "replay", run.journal, "--to-time", iso, "--json")
    assert code == 0 and doc["seq"] == want
    code2, doc2, _ = cli(capsys, "replay", run.journal, "--to-time", iso[:-1], "--json")
    assert code2 == 0 and doc2["seq"] == want  # no offset: UTC
    shifted = iso[:-1] + "+00:01"  # one minute earlier in UTC
    code3, doc3, _ = cli(capsys, "replay", run.journal, "--to-time", shifted, "--json")
    assert code3 == 0 and doc3["seq"] == int(np.searchsorted(recs["ts_init"], ts - 60 * 10**9,
                                                             side="right"))


def test_replay_beyond_the_end_or_at_a_bad_time_is_a_clear_error(run, capsys) -> None:
    code, _, err = cli(capsys, "replay", run.journal, "--to-seq", str(run.last_seq + 1))
    assert code == 2 and f"1..{run.last_seq}" in err
    code, _, err = cli(capsys, "replay", run.journal, "--to-time", "yesterday")
    assert code == 2 and "'yesterday'" in err
    code, _, err = cli(capsys, "replay", run.journal, "--to-time", "1970-01-01T00:00:00Z")
    assert code == 2 and "no record" in err


def test_replay_stops_before_a_corrupted_batch_with_its_seq_range(run, tmp_path, capsys) -> None:
    path = tmp_path / "corrupt"
    shutil.copytree(run.journal, path)
    with Journal.open(path) as journal:
        needle = JournalReader(journal).record(5000).tobytes()
    data = path / fmt.DATA_FILE
    blob = bytearray(data.read_bytes())
    at = blob.find(needle)
    assert at >= 0
    blob[at + 60] ^= 0x01
    data.write_bytes(bytes(blob))
    code, _, err = cli(capsys, "replay", str(path), "--to-seq", "6000")
    assert code == 1 and "corrupt journal" in err and "seq " in err and ".." in err
    code, doc, _ = cli(capsys, "replay", str(path), "--to-seq", "100", "--json")
    assert code == 0 and doc["seq"] == 100  # before the bad batch: fine


def test_trace_of_a_fill_goes_back_through_the_order_to_the_quote(run, capsys) -> None:
    recs = records(run.journal)
    fill = int(recs["seq"][recs["kind"] == Kind.ORDER_FILLED][3])
    code, doc, _ = cli(capsys, "trace", run.journal, "--seq", str(fill), "--json")
    assert code == 0 and doc["record"]["kind_name"] == "ORDER_FILLED"
    kinds = [r["kind_name"] for r in doc["chain"]]
    assert kinds[-1] == "QUOTE" and doc["chain"][-1]["flags"] & 1
    assert "SUBMIT_ORDER" in kinds
    assert {"POSITION_OPENED", "POSITION_CLOSED", "POSITION_CHANGED"} & \
        {r["kind_name"] for r in doc["effects"]}
    assert all(r["cause"] >= fill for r in doc["effects"])
    code, _, err = cli(capsys, "trace", run.journal, "--seq", str(run.last_seq + 5))
    assert code == 2 and "not in the journal" in err


def test_diff_of_a_journal_with_itself_is_identical(run, capsys) -> None:
    code, doc, _ = cli(capsys, "diff", run.journal, run.journal, "--json")
    assert code == 0 and doc["identical"] and doc["first_divergent_seq"] is None


def test_diff_names_the_first_divergent_seq_and_counts_what_differs(run, tmp_path, capsys) -> None:
    other = backtest(tmp_path / "other", fast=6)
    code, doc, _ = cli(capsys, "diff", run.journal, other.journal, "--json")
    a, b = records(run.journal), records(other.journal)
    n = min(len(a), len(b))
    rows = (a[:n].view(np.uint8).reshape(-1, 128) != b[:n].view(np.uint8).reshape(-1, 128))
    first = int(np.flatnonzero(rows.any(axis=1))[0]) + 1
    assert code == 1 and doc["first_divergent_seq"] == first
    assert doc["record_a"]["seq"] == first and doc["record_b"]["seq"] == first
    assert doc["n_differing"] == int(rows.any(axis=1).sum())
    fills_a = int((a["kind"][first - 1:] == Kind.ORDER_FILLED).sum())
    fills_b = int((b["kind"][first - 1:] == Kind.ORDER_FILLED).sum())
    if fills_a != fills_b:
        assert doc["kinds_after"]["ORDER_FILLED"] == {"a": fills_a, "b": fills_b}


def never_two_fills(state: Any, rec: Any) -> str | None:
    """A user invariant for the tests: fails at the second fill."""
    if rec.kind == Kind.ORDER_FILLED:
        state.test_fills = getattr(state, "test_fills", 0) + 1
        if state.test_fills >= 2:
            return f"seq {rec.seq}: second fill"
    return None


def test_bisect_finds_the_first_seq_a_user_invariant_fails_with_the_state(run, capsys) -> None:
    recs = records(run.journal)
    second = int(recs["seq"][recs["kind"] == Kind.ORDER_FILLED][1])
    code, doc, _ = cli(capsys, "bisect", run.journal, "--invariant",
                       f"{__name__}:never_two_fills", "--json")
    assert code == 1 and doc["failed"] and doc["seq"] == second
    assert doc["state"]["seq"] == second and "second fill" in doc["message"]


def test_bisect_with_a_builtin_that_holds_exits_zero(run, capsys) -> None:
    code, doc, _ = cli(capsys, "bisect", run.journal, "--invariant",
                       "builtin:position_matches_fills", "--json")
    assert code == 0 and not doc["failed"] and doc["seq"] is None


@pytest.mark.parametrize("spec", ["no_such_module_xyz:check", "builtin:no_such_invariant",
                                  "tests.e2e.test_cli_replay:no_such_function"])
def test_bisect_with_an_invariant_that_does_not_resolve_names_it(run, capsys, spec) -> None:
    code, _, err = cli(capsys, "bisect", run.journal, "--invariant", spec)
    assert code == 2 and spec in err


def test_verify_reexecute_regenerates_the_run(run, capsys) -> None:
    code, doc, _ = cli(capsys, "verify", run.journal, "--reexecute", "--json")
    assert code == 0 and doc["status"] == "CLEAN" and doc["reexecution"]["ok"]
    assert doc["reexecution"]["state_hash"] == f"{run.state_hash:016x}"


@pytest.fixture
def forged(run, tmp_path: Path) -> Path:
    """A journal that diverges: its manifest says fast=5, its records come from fast=7."""
    from engines.strategies.ema_cross import EmaCross
    from replay.reexecute import reexecute

    out = tmp_path / "forged"
    reexecute(run.journal, strategies=[EmaCross(fast=7, slow=20)], out=out)
    return out


def test_verify_reexecute_exits_1_with_the_first_divergence_decoded(forged, capsys) -> None:
    code, doc, _ = cli(capsys, "verify", str(forged), "--reexecute", "--json")
    div = doc["reexecution"]["first_divergence"]
    assert code == 1 and doc["status"] == "CORRUPT" and div["seq"] > 1
    assert div["journaled"]["seq"] == div["seq"] and div["produced"]["seq"] == div["seq"]
    assert div["cause_chain"] and div["cause_chain"][-1]["flags"] & 1  # ends at an input
    code, text, err = cli(capsys, "verify", str(forged), "--reexecute")
    assert code == 1 and f"diverges at seq {div['seq']}" in err


def test_reexecution_refuses_a_manifest_strategy_that_is_no_import_path(tmp_path, capsys) -> None:
    from tests.e2e.test_untrusted_journals import write_manifest_journal

    write_manifest_journal(tmp_path / "evil", "__import__('os').system('touch pwned')")
    code, _, err = cli(capsys, "verify", str(tmp_path / "evil"), "--reexecute")
    assert code == 2 and "refusing" in err
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_a_divergence_names_the_version_that_wrote_the_journal_when_it_is_another(
        forged, capsys, monkeypatch) -> None:
    from replay import reexecute as module
    from ringbus import __version__

    code, doc, _ = cli(capsys, "verify", str(forged), "--reexecute", "--json")
    assert code == 1 and "written by" not in doc["reexecution"]["first_divergence"]["why"]
    monkeypatch.setattr(module, "__version__", "9.0.0")  # as a later release re-executing it
    code, doc, _ = cli(capsys, "verify", str(forged), "--reexecute", "--json")
    why = doc["reexecution"]["first_divergence"]["why"]
    assert code == 1 and f"written by ringbus {__version__}, this is 9.0.0" in why
    assert "CHANGELOG.md" in why
