"""CLI consistency (issue 18): --to-time forms, demo --json, check --list --json, bisect of a
whole-journal invariant, one run-id format, decoded tail / trace, JSON errors under --json,
verify --out, the bisect message, and the Strategy API's TypeErrors. Commands run in-process
on a real backtest journal (ema_cross over the bundled EUR/USD quotes)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

from domain.kinds import Kind
from journal.reader import JournalReader
from journal.store import Journal
from replay.cli import main

DEMO = Path(__file__).resolve().parents[2] / "replay" / "demo_data" / \
    "eurusd-histdata-20200101.csv.gz"
HEX16 = re.compile(r"^[0-9a-f]{16}$")


@attrs.frozen
class Ran:
    code: int
    out: str
    err: str

    @property
    def doc(self) -> Any:
        return json.loads(self.out)


def ringbus(*args: str) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from replay.backtest import BacktestNode
    from replay.config import BacktestConfig, DataConfig, StrategyConfig

    config = BacktestConfig(data=[DataConfig(str(DEMO), instrument_id="EUR/USD.SIM")],
                            strategies=[StrategyConfig("ema_cross", {"fast": 5, "slow": 20})],
                            journal=str(tmp_path_factory.mktemp("cli") / "j"))
    return BacktestNode(config).run()


@pytest.fixture(scope="module")
def recs(run: Any) -> np.ndarray:
    with Journal.open(run.journal) as journal:
        return JournalReader(journal).records_between(1)


# --- --to-time ------------------------------------------------------------------------------------
def test_cli_consistency_to_time_takes_int_ns_date_only_and_space_separated(run, recs) -> None:
    from journal.summary import iso_ns

    ts = int(recs["ts_init"][5000]) + 1
    want = int(np.searchsorted(recs["ts_init"], ts, side="right"))
    iso = iso_ns(ts)  # 2020-01-01T22:..:..123456789Z
    for form in (str(ts), iso, iso.replace("T", " "), iso[:-1].replace("T", " ")):
        r = ringbus("replay", run.journal, "--to-time", form, "--json")
        assert r.code == 0 and r.doc["seq"] == want, (form, r.err)
    day = ringbus("replay", run.journal, "--to-time", "2020-01-02", "--json")  # its midnight
    midnight = int(np.datetime64("2020-01-02T00:00", "ns").view(np.int64))
    assert day.code == 0
    assert day.doc["seq"] == int(np.searchsorted(recs["ts_init"], midnight, side="right"))


@pytest.mark.parametrize("text, words", [
    ("yesterday", "not a time"), ("2300-01-01", "outside the int64 nanosecond range"),
    ("2020-13-01", "month must be in 1..12")])
def test_cli_consistency_a_bad_to_time_names_the_text_and_the_forms(run, text, words) -> None:
    r = ringbus("replay", run.journal, "--to-time", text)
    assert r.code == 2 and words in r.err and repr(text) in r.err and "integer ns" in r.err


# --- demo --json, check --list --json ------------------------------------------------------------
def test_cli_consistency_demo_json_is_one_object_with_the_replay_check(tmp_path: Path) -> None:
    r = ringbus("demo", "--json", "--runs", str(tmp_path))
    assert r.code == 0, r.err
    doc = r.doc
    assert HEX16.match(doc["run_id"]) and Path(doc["journal"]).parent == tmp_path
    check = doc["replay_check"]
    assert check["ok"] and check["verify_status"] == "CLEAN"
    assert check["run_state_hash"] == check["rebuilt_state_hash"] == doc["state_hash"]
    assert Path(doc["report"]).is_dir()


def test_cli_consistency_check_list_json_gives_full_descriptions() -> None:
    from replay.testing.invariants import BUILTINS, JOURNAL_BUILTINS

    r = ringbus("check", "--list", "--json")
    entries = {e["name"]: e for e in r.doc["invariants"]}
    assert r.code == 0 and set(entries) == {f"builtin:{n}" for n in [*BUILTINS, *JOURNAL_BUILTINS]}
    crossed = entries["builtin:book_not_crossed"]
    assert crossed["description"] == " ".join(BUILTINS["book_not_crossed"].doc.split())
    assert len(crossed["description"]) > 90 and crossed["bisectable"]
    tail = entries["builtin:snapshot_tail"]
    assert not tail["bisectable"] and tail["runs_on"] == "whole journal"
    assert "snapshotted" in tail["description"]
    text = ringbus("check", "--list").out
    assert "builtin:snapshot_tail" in text and "not bisectable" in text


# --- bisect ---------------------------------------------------------------------------------------
def test_cli_consistency_bisect_refuses_snapshot_tail_saying_where_it_runs(run) -> None:
    r = ringbus("bisect", run.journal, "--invariant", "builtin:snapshot_tail")
    assert r.code == 2 and "no first failing record to bisect" in r.err
    assert "ringbus check JOURNAL --invariant builtin:snapshot_tail" in r.err


def never_two_fills(state: Any, rec: Any) -> str | None:
    if rec.kind == Kind.ORDER_FILLED and len(state.cache.orders()) > 1:
        return f"seq {rec.seq}: a second fill"
    return None


def test_cli_consistency_bisect_says_seq_n_once(run, recs) -> None:
    r = ringbus("bisect", run.journal, "--invariant", f"{__name__}:never_two_fills")
    seq = int(recs["seq"][recs["kind"] == Kind.ORDER_FILLED][1])
    assert r.code == 1 and r.out.count(f"seq {seq}:") == 1
    assert f"first fails at seq {seq}: a second fill" in r.out


# --- run ids ----------------------------------------------------------------------------------------
def test_cli_consistency_run_id_is_16_hex_digits_everywhere(run, tmp_path) -> None:
    rid = f"{run.run_id:016x}"
    inspect = ringbus("inspect", run.journal, "--json").doc
    assert inspect["runs"][0]["run_id"] == rid == inspect["runs"][0]["manifest"]["run_id"]
    assert rid in ringbus("inspect", run.journal).out
    first = ringbus("trace", run.journal, "--seq", "1", "--json").doc["record"]
    assert first["kind_name"] == "RUN_STARTED" and first["run_id"] == rid
    assert f"run_id={rid}" in ringbus("trace", run.journal, "--seq", "1").out
    from replay.report import format_report

    assert rid in format_report(run)


# --- decoded trace / tail ---------------------------------------------------------------------------
def test_cli_consistency_trace_prints_decoded_values(run, recs) -> None:
    fill = int(recs["seq"][recs["kind"] == Kind.ORDER_FILLED][0])
    doc = ringbus("trace", run.journal, "--seq", str(fill), "--json").doc
    rec = doc["record"]
    assert rec["instrument_id"] == "EUR/USD.SIM" and rec["strategy_id"] == "ema_cross"
    assert rec["account_id"] == "SIM-001" and rec["side"] == "BUY"
    assert re.fullmatch(r"1\.\d{5}", rec["last_px"]) and rec["commission"].endswith(" USD")
    assert doc["chain"][-1]["kind_name"] == "QUOTE" and doc["chain"][-1]["bid"].startswith("1.")
    text = ringbus("trace", run.journal, "--seq", str(fill)).out
    assert "instrument_id=EUR/USD.SIM" in text and "strategy_id=ema_cross" in text
    assert "strategy_id=9 " not in text and str(-(2**63)) not in text


def test_cli_consistency_tail_prints_decoded_values_never_the_null_sentinel(run, recs) -> None:
    import subprocess

    root = Path(__file__).resolve().parents[2]
    modify = int(recs["seq"][recs["kind"] == Kind.ORDER_FILLED][0]) - 4
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-m", "replay.cli", "tail", run.journal,
                             "--from-seq", str(max(modify, 1)), "--json"],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines = [json.loads(proc.stdout.readline()) for _ in range(8)]
    finally:
        proc.terminate()
        proc.communicate(timeout=60)  # drains the backlog it is still writing
    text = json.dumps(lines)
    assert str(-(2**63)) not in text
    quotes = [x for x in lines if x["kind_name"] == "QUOTE"]
    assert quotes and all(q["instrument_id"] == "EUR/USD.SIM" and "." in q["bid"]
                          for q in quotes)
    init = next(x for x in lines if x["kind_name"] == "ORDER_INITIALIZED")
    assert init["strategy_id"] == "ema_cross" and init["trigger_price"] is None


# --- JSON errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["inspect", "{missing}"], ["verify", "{missing}"], ["replay", "{missing}"],
    ["bisect", "{missing}", "--invariant", "builtin:seq_contiguous"], ["diff", "{missing}", "{missing}"],
    ["trace", "{missing}", "--seq", "1"], ["check", "{missing}"], ["tail", "{missing}"],
    ["backtest", "--data", "{missing}", "--strategy", "noop"], ["replay", "{missing}", "--to-seq", "x"],
])
def test_cli_consistency_every_command_prints_json_errors_under_json(tmp_path, argv) -> None:
    missing = str(tmp_path / "nowhere")
    r = ringbus(*[a.replace("{missing}", missing) for a in argv], "--json")
    assert r.code == 2, (r.out, r.err)
    doc = json.loads(r.out.strip().splitlines()[-1])
    assert doc["error"] and doc.get("exit_code", 2) == 2 and "Traceback" not in r.out
    assert doc.get("command", argv[0]) == argv[0]


# --- verify --out -----------------------------------------------------------------------------------
def test_cli_consistency_verify_out_refuses_a_non_empty_folder_and_prints_the_new_path(
    run, tmp_path,
) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    r = ringbus("verify", run.journal, "--reexecute", "--out", str(busy))
    assert r.code == 2 and "not empty" in r.err and str(busy) in r.err
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    new = tmp_path / "new"
    r = ringbus("verify", run.journal, "--reexecute", "--out", str(new))
    assert r.code == 0 and f"written to the new journal {new.resolve()}" in r.out
    assert f"ringbus diff {run.journal} {new}" in r.out
    j = ringbus("verify", run.journal, "--reexecute", "--out", str(tmp_path / "n2"), "--json")
    assert j.code == 0 and j.doc["out_journal"] == str((tmp_path / "n2").resolve())
    assert ringbus("diff", run.journal, str(new)).code == 0


# --- Strategy API argument types ------------------------------------------------------------------------
def test_cli_consistency_strategy_commands_name_the_expected_type() -> None:
    from engines.strategy import Strategy

    s = Strategy("s")
    with pytest.raises(TypeError, match=r"close_position\(position\): expected a Position, got "
                                        r"str 'EUR/USD.SIM'.*close_all_positions\(instrument\)"):
        s.close_position("EUR/USD.SIM")
    with pytest.raises(TypeError, match=r"cancel_order\(client_order_id\): expected an int "
                                        r"client order id.*got str '7'"):
        s.cancel_order("7")
    with pytest.raises(TypeError, match=r"modify_order\(client_order_id\).*got float 1.0"):
        s.modify_order(1.0, quantity=5)
    with pytest.raises(TypeError, match=r"cancel_all_orders\(instrument\): expected an "
                                        r"instrument as 'SYMBOL.VENUE' or its int id"):
        s.cancel_all_orders(3.5)
    with pytest.raises(TypeError, match=r"close_all_positions\(instrument\).*\(or None\)"):
        s.close_all_positions(["EUR/USD.SIM"])
    with pytest.raises(TypeError, match=r"submit_order\(order\): expected a NewOrder.*"
                                        r"order_factory"):
        s.submit_order({"side": "BUY"})
    with pytest.raises(TypeError, match=r"instrument_id\(instrument\): expected an instrument "
                                        r"as 'SYMBOL.VENUE' or its int id, got Strategy"):
        s.subscribe_quotes(s)
