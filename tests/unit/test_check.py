"""check(): the checker's mechanics — first violation, errors in invariants, user invariants,
journals (saved streams, corruption), whole-journal checks, the pretty printer."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from domain.enums import BookAction, OrderSide, RecordFlag
from domain.instruments import Instrument
from domain.kinds import Kind
from replay.testing.check import Checker, check
from replay.testing.invariants import BUILTINS, InvariantSpecError, invariant, resolve
from replay.testing.journal_io import write_journal
from replay.testing.pretty import format_stream
from replay.testing.streams import INPUT, T0_NS, build, concat, record, setup_records
from replay.testing.streams import STREAM_INSTRUMENT_ID as IID

INST = Instrument.fx_pair("EUR/USD.SIM", lot_size="1000")
LAST = int(RecordFlag.LAST)


def quotes(n: int, bid: int = 110_000, t0: int = T0_NS) -> list[np.ndarray]:
    return [record(Kind.QUOTE, t0 + i, instrument_id=IID, price_precision=5, bid=bid + i,
                   ask=bid + i + 2, bid_size=1000, ask_size=1000) for i in range(n)]


def test_a_valid_stream_passes_every_builtin_and_counts_every_record() -> None:
    stream = build(INST, quotes(5))
    result = check(stream)
    assert result.ok and result.n_records == 7 and (result.first_seq, result.last_seq) == (1, 7)


def test_the_first_violation_stops_the_check_with_seq_record_and_excerpt() -> None:
    body = quotes(3)
    body[1] = record(Kind.QUOTE, T0_NS + 1, instrument_id=IID, price_precision=5, bid=110_010,
                     ask=110_000)
    result = check(build(INST, body + quotes(3, t0=T0_NS + 10)))
    v = result.first
    assert v is not None and (v.seq, v.invariant) == (4, "quote_not_crossed")
    assert "bid 110010 > ask 110000" in v.message and "QUOTE" in v.record
    assert result.last_seq == 4 and len(result.violations) == 1


def test_an_invariant_that_raises_is_an_error_with_its_traceback_and_the_others_go_on() -> None:
    def broken(state, rec):
        raise KeyError("no such thing")

    stream = build(INST, quotes(3))
    records = stream.records.copy()
    records["seq"][-1] = 99
    result = check(records, [broken, "seq_contiguous"])
    assert [e.invariant for e in result.errors] == ["broken"]
    assert result.errors[0].seq == 1 and "KeyError" in result.errors[0].error
    assert "Traceback" in result.errors[0].traceback and "no such thing" in result.errors[0].traceback
    assert result.first is not None and result.first.invariant == "seq_contiguous"
    assert not result.ok


def test_user_invariants_resolve_from_module_function_with_their_kinds(tmp_path: Path,
                                                                       monkeypatch) -> None:
    (tmp_path / "my_invariants.py").write_text(textwrap.dedent("""
        from replay.testing.invariants import invariant

        @invariant(kinds=[20])
        def spread_at_most_one_tick(state, rec):
            if rec.ask - rec.bid > 1:
                return f"seq {rec.seq}: spread {rec.ask - rec.bid}"
            return None
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    inv = resolve("my_invariants:spread_at_most_one_tick")
    assert inv.kinds == frozenset({20}) and inv.name == "my_invariants:spread_at_most_one_tick"
    result = check(build(INST, quotes(2)), ["my_invariants:spread_at_most_one_tick"])
    assert result.first is not None and result.first.seq == 3
    sys.modules.pop("my_invariants", None)


@pytest.mark.parametrize("spec", ["builtin:nope", "nope", "no_such_module_xyz:f", "json:nope"])
def test_a_spec_that_names_nothing_is_refused_with_the_spec_in_the_message(spec: str) -> None:
    with pytest.raises(InvariantSpecError, match="nope|no_such_module_xyz"):
        resolve(spec)


def test_keep_going_reports_the_first_violation_of_each_invariant() -> None:
    body = quotes(4)
    body[0]["ts_init"] = T0_NS + 10
    body[2] = record(Kind.QUOTE, T0_NS + 10, instrument_id=IID, price_precision=5, bid=5, ask=4)
    records = concat([setup_records(INST), *body, *quotes(2, t0=T0_NS + 20)])
    records["seq"] = np.arange(1, len(records) + 1)  # stamp() would refuse the backwards step
    records["ts_init"][-1] = T0_NS  # a second ts_init violation: not reported again
    result = check(records, keep_going=True)
    assert [(v.invariant, v.seq) for v in result.violations] == [
        ("ts_init_monotonic", 4), ("quote_not_crossed", 5)]


def test_at_end_invariants_run_once_after_the_last_record() -> None:
    seen = []

    @invariant(kinds=[], at_end=True)
    def at_end(state, rec):
        seen.append((state.at_end, rec.seq))
        return None

    check(build(INST, quotes(3)), [at_end])
    assert seen == [(True, 5)]


def test_the_incremental_checker_agrees_with_one_call() -> None:
    stream = build(INST, quotes(6))
    checker = Checker()
    for lo in range(0, len(stream.records), 2):
        assert checker.feed(stream.records[lo : lo + 2]) is None
    assert checker.finish().n_records == check(stream).n_records == 8


def test_a_saved_stream_is_a_journal_that_checks_like_the_stream(tmp_path: Path) -> None:
    stream = build(INST, quotes(20))
    path = write_journal(stream, tmp_path / "j")
    result = check(path)
    assert result.ok and result.n_records > len(stream.records)
    with pytest.raises(ValueError, match="a journal exists"):
        write_journal(stream, path)


def test_corruption_stops_the_check_at_the_corrupted_range(tmp_path: Path) -> None:
    stream = build(INST, quotes(10_000))  # three stored batches of 4095 records
    path = write_journal(stream, tmp_path / "j")
    target = stream.records[6000:6001].copy()
    data = path / "data.mdb"
    blob = bytearray(data.read_bytes())
    needle = target.tobytes()[40:]  # the payload: the journal renumbered the seq
    at = blob.find(needle)
    assert at >= 0
    blob[at + 10] ^= 0xFF
    data.write_bytes(bytes(blob))
    result = check(path)
    assert not result.ok and result.corruption is not None and not result.violations
    lo, hi = result.corruption["seq_range"]
    assert 4095 < lo <= 6000 < hi
    assert result.last_seq == lo - 1  # everything before the bad batch was checked
    assert str(path) in result.corruption["file"]


def test_a_saved_stream_passes_snapshot_tail_and_skips_reexecution_saying_why(
        tmp_path: Path) -> None:
    path = write_journal(build(INST, quotes(50)), tmp_path / "j")
    result = check(path, ["builtin:snapshot_tail", "builtin:reexecution"])
    assert result.invariants == ["snapshot_tail", "reexecution"]
    assert result.ok and result.skipped[0].startswith("reexecution: the journal is a saved stream")


def test_a_backtest_journal_passes_every_invariant_snapshot_tail_and_reexecution(
        tmp_path: Path) -> None:
    from replay.backtest import BacktestNode
    from replay.backtest_data import DataSource
    from replay.config import BacktestConfig, StrategyConfig

    body = [record(Kind.QUOTE, T0_NS + i * 10**9, instrument_id=IID, price_precision=5,
                   bid=110_000 + (i * 7) % 13, ask=110_002 + (i * 7) % 13, bid_size=10**6,
                   ask_size=10**6) for i in range(300)]
    data = DataSource.from_records(INST, [build(INST, body).data])
    config = BacktestConfig(strategies=[StrategyConfig("ema_cross", {"fast": 3, "slow": 8,
                                                                     "trade_size": 10_000})],
                            journal=str(tmp_path / "bt"))
    run = BacktestNode(config, data=[data]).run()
    assert run.result.summary["n_fills"] > 0
    result = check(run.journal, [*BUILTINS, "builtin:snapshot_tail", "builtin:reexecution"])
    assert result.ok and not result.skipped, result.to_dict()
    assert result.last_seq == run.last_seq


def test_the_pretty_printer_prints_one_decoded_line_per_record() -> None:
    stream = build(INST, [record(Kind.BOOK_DELTA, T0_NS, INPUT | LAST, instrument_id=IID,
                                 price_precision=5, action=int(BookAction.ADD),
                                 side=int(OrderSide.BUY), level=3, price=110_001, size=2000,
                                 order_id=7)])
    lines = format_stream(stream.records).splitlines()
    assert len(lines) == 3
    assert "STRING" in lines[0] and "'EUR/USD.SIM'" in lines[0]
    assert "BOOK_DELTA [INPUT|LAST]" in lines[2]
    assert "action=ADD side=BUY level=L3 price=1.10001 size=2000 order_id=7" in lines[2]
