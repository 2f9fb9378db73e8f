"""``ringbus check`` end to end: exit 0 / 1 / 2, text and JSON output, user invariants,
corruption, and a hypothesis counterexample saved as a journal and checked again."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from random import Random

import attrs
import numpy as np
import pytest

from domain.codec import as_kind
from domain.instruments import Instrument
from domain.kinds import Kind
from replay.cli import main
from replay.testing.journal_io import write_journal
from replay.testing.streams import STREAM_INSTRUMENT_ID as IID
from replay.testing.streams import T0_NS, build, record

INST = Instrument.fx_pair("EUR/USD.SIM", lot_size="1000")


@attrs.frozen
class Ran:
    returncode: int
    stdout: str
    stderr: str


def ringbus(*args: str, cwd: Path | None = None) -> Ran:
    """Runs the command line in this process (a subprocess costs seconds of imports)."""
    out, err = io.StringIO(), io.StringIO()
    if cwd is not None:
        sys.path.insert(0, str(cwd))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse usage errors
                code = int(exc.code or 0)
    finally:
        if cwd is not None:
            sys.path.remove(str(cwd))
    return Ran(code, out.getvalue(), err.getvalue())


def test_the_installed_command_runs_in_a_subprocess(tmp_path: Path) -> None:
    path = write_journal(build(INST, quotes(10)), tmp_path / "j")
    r = subprocess.run([sys.executable, "-m", "replay.cli", "check", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("OK "), r.stderr


def quotes(n: int, crossed_at: int | None = None) -> list[np.ndarray]:
    out = []
    for i in range(n):
        bid = 110_000 + i
        ask = bid - 3 if i == crossed_at else bid + 2
        out.append(record(Kind.QUOTE, T0_NS + i, instrument_id=IID, price_precision=5,
                          bid=bid, ask=ask, bid_size=1000, ask_size=1000))
    return out


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return write_journal(build(INST, quotes(100)), tmp_path_factory.mktemp("good") / "j")


@pytest.fixture(scope="module")
def crossed(tmp_path_factory) -> Path:
    return write_journal(build(INST, quotes(100, crossed_at=40)),
                         tmp_path_factory.mktemp("bad") / "j")


def test_a_clean_journal_exits_0_and_says_ok(good: Path) -> None:
    r = ringbus("check", str(good))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"OK {good}:") and "10 invariants" in r.stdout


def test_a_violation_exits_1_naming_seq_invariant_record_and_state(crossed: Path) -> None:
    r = ringbus("check", str(crossed))
    assert r.returncode == 1
    assert "VIOLATION quote_not_crossed at seq" in r.stderr
    assert "bid=1.10040 ask=1.10037" in r.stderr


def test_json_output_is_one_object_with_the_violation(crossed: Path) -> None:
    r = ringbus("check", str(crossed), "--json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["violations"][0]["invariant"] == "quote_not_crossed"
    seq = doc["violations"][0]["seq"]
    assert doc["last_seq"] == seq


def test_only_the_named_invariants_run(crossed: Path) -> None:
    r = ringbus("check", str(crossed), "--invariant", "builtin:seq_contiguous",
                "--invariant", "ts_init_monotonic", "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout)["invariants"] == ["seq_contiguous", "ts_init_monotonic"]


def test_a_user_invariant_module_function_runs_and_its_exception_is_an_error(
        good: Path, tmp_path: Path) -> None:
    (tmp_path / "user_checks.py").write_text(textwrap.dedent("""
        def tight_spread(state, rec):
            if rec.kind == 20 and rec.ask - rec.bid > 1:
                return f"seq {rec.seq}: spread {rec.ask - rec.bid} ticks"
            return None

        def broken(state, rec):
            return 1 / 0
    """))
    r = ringbus("check", str(good), "--invariant", "user_checks:tight_spread", cwd=tmp_path)
    assert r.returncode == 1 and "VIOLATION user_checks:tight_spread" in r.stderr
    assert "spread 2 ticks" in r.stderr
    r = ringbus("check", str(good), "--invariant", "user_checks:broken", cwd=tmp_path)
    assert r.returncode == 1
    assert "ERROR in invariant user_checks:broken" in r.stderr and "ZeroDivisionError" in r.stderr
    assert "Traceback" in r.stderr and "VIOLATION" not in r.stderr
    sys.modules.pop("user_checks", None)


@pytest.mark.parametrize("args, words", [
    (["--invariant", "builtin:nope"], "no such built-in"),
    (["--invariant", "no_module_here:f"], "cannot import"),
    (["--allow-crossed", "noon"], "crossed window must look like"),
])
def test_bad_options_exit_2_with_the_reason(good: Path, args: list[str], words: str) -> None:
    r = ringbus("check", str(good), *args)
    assert r.returncode == 2 and words in r.stderr


def test_a_path_that_is_not_a_journal_exits_2(tmp_path: Path) -> None:
    r = ringbus("check", str(tmp_path / "missing"))
    assert r.returncode == 2 and "not a journal" in r.stderr


def test_corruption_exits_1_naming_the_seq_range(tmp_path: Path) -> None:
    stream = build(INST, quotes(10_000))
    path = write_journal(stream, tmp_path / "j")
    blob = bytearray((path / "data.mdb").read_bytes())
    at = blob.find(stream.records[7000:7001].tobytes()[40:])
    blob[at + 20] ^= 0x5A
    (path / "data.mdb").write_bytes(bytes(blob))
    r = ringbus("check", str(path))
    assert r.returncode == 1
    assert "CORRUPT seq " in r.stderr and "nothing from there on was checked" in r.stderr


def test_a_counterexample_saved_as_a_journal_opens_with_verify_inspect_check_replay_trace(
        tmp_path: Path) -> None:
    from hypothesis import Phase, find, settings

    from replay.testing.strategies import l3_delta_streams

    example = find(l3_delta_streams(INST), lambda stream: len(stream.data) >= 2, random=Random(0),
                   settings=settings(database=None, max_examples=100,
                                     phases=[Phase.generate, Phase.shrink]))
    records = example.records.copy()
    deltas = as_kind(records[2:], Kind.BOOK_DELTA)
    deltas["action"][-1] = 3  # CANCEL of...
    deltas["order_id"][-1] = 999  # ...an order never added
    path = write_journal(records, tmp_path / "counterexample")
    assert ringbus("verify", str(path)).returncode == 0
    inspect = ringbus("inspect", str(path))
    assert inspect.returncode == 0 and "BOOK_DELTA" in inspect.stdout
    r = ringbus("check", str(path), "--json")
    assert r.returncode == 1
    v = json.loads(r.stdout)["violations"][0]
    assert v["invariant"] == "l3_known_order_ids" and "order_id 999" in v["message"]
    replayed = ringbus("replay", str(path), "--to-seq", str(v["seq"] - 1))
    assert replayed.returncode == 0 and "EUR/USD.SIM" in replayed.stdout
    traced = ringbus("trace", str(path), "--seq", str(v["seq"]))
    assert traced.returncode == 0 and "order_id=999" in traced.stdout


def test_whole_journal_adds_snapshot_tail_and_reexecution(good: Path) -> None:
    r = ringbus("check", str(good), "--whole-journal", "--json")
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["invariants"][-2:] == ["snapshot_tail", "reexecution"]
    assert doc["skipped"] and "saved stream" in doc["skipped"][0]


def test_list_names_every_builtin() -> None:
    r = ringbus("check", "--list")
    assert r.returncode == 0
    for name in ("seq_contiguous", "book_not_crossed", "l3_to_l2_aggregation", "snapshot_tail"):
        assert f"builtin:{name}" in r.stdout
