"""Every built-in and example strategy, README's Momentum included: snapshot at quote k, restore
into freshly built strategies, continue -> the records and the state hash of the uninterrupted
run (issue 19 item 4). Plus the state audit: lost state is a snapshot error, not a silent
divergence."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pytest

from domain.instruments import Instrument
from engines.actor_state import StateAuditError
from engines.kernel import Kernel
from engines.portfolio import Portfolio
from engines.strategies.ema_cross import EmaCross
from engines.strategies.noop import Noop
from engines.strategy import Strategy
from examples.bracket.strategy import BracketEveryN
from examples.momentum import Momentum
from journal.snapshots import snapshot_seqs
from journal.store import Journal
from replay.backtest import BacktestNode
from replay.backtest_data import DataSource
from replay.config import BacktestConfig, DataConfig, StrategyConfig
from replay.loaders.dbn import load_dbn
from replay.strategy_registry import BUILTIN
from tests.faults.crash_recovery_proc import content
from tests.golden.test_snapshot_tail_equality import cut_copy
from tests.unit.kernel_rig import SYMBOL, Tape, build, feed, register_all, shared_eurusd

N_QUOTES = 600
K = 260

INCIDENT = Path(__file__).resolve().parents[2] / "examples" / "incident"


def _incident_fixed(**params: Any) -> Strategy:
    """The incident example's (fixed) mean reverter, imported the way its README runs it."""
    import importlib
    import sys

    if str(INCIDENT) not in sys.path:
        sys.path.insert(0, str(INCIDENT))
    return importlib.import_module("incident_strategy_fixed").MeanReverter(**params)


#: Strategies that trade on quotes (the kernel rig feeds EUR/USD quotes).
FACTORIES: dict[str, Callable[[], Strategy]] = {
    "noop": Noop,
    "ema_cross": lambda: EmaCross(SYMBOL, fast=3, slow=6, trade_size=1000),
    "momentum": lambda: Momentum(SYMBOL, trade_size=1000),
    # brackets: the order manager's held children and the emulator's armed stop-losses
    "bracket": lambda: BracketEveryN(SYMBOL, quantity=1000, tp_ticks=8, sl_ticks=8, on="quote"),
    "bracket_emulated": lambda: BracketEveryN(SYMBOL, quantity=1000, tp_ticks=8, sl_ticks=8,
                                              on="quote", emulate_stop=True),
    "bracket_tight": lambda: BracketEveryN(SYMBOL, quantity=1000, tp_ticks=3, sl_ticks=3,
                                           every=15, on="quote"),
    "incident": lambda: _incident_fixed(period=20, threshold=0.00002, trade_size=1000,
                                        max_position=2000, cooldown=5),
}
#: Every trading built-in and example strategy through the node: (strategy, params, data).
#: (noop publishes the whole file as one batch: no snapshot falls inside it; the kernel-level
#: test above covers it.)
NODE_CASES = {
    "ema_cross": ("ema_cross", {"fast": 5, "slow": 20}, "eurusd"),
    "momentum": ("examples.momentum:Momentum", {"trade_size": 1000}, "eurusd"),
    "market_maker": ("market_maker", {"half_spread_ticks": 2}, "es"),
    "bracket": ("examples.bracket.strategy:BracketEveryN",
                {"instrument": "EUR/USD.SIM", "quantity": 1000, "tp_ticks": 3, "sl_ticks": 3,
                 "every": 15, "on": "quote"}, "eurusd"),
}
ES = "esh4-glbx-mdp3-20231225.mbo.dbn.zst"


def test_every_builtin_strategy_is_covered():
    assert set(BUILTIN) <= set(NODE_CASES) | set(FACTORIES)


def _node(shared_data: Path, tmp_path: Path, name: str, journal: str) -> Any:
    strategy, params, data = NODE_CASES[name]
    cfg = BacktestConfig(strategies=[StrategyConfig(strategy, params)],
                         journal=str(tmp_path / journal), snapshot_every=500)
    if data == "es":
        records = load_dbn(shared_data / ES, 0, price_precision=2)[:12_000]
        source = DataSource.from_records(Instrument.future("ESH4.GLBX"), [records],
                                         book_level=3, name="es-head")
        return BacktestNode(cfg, data=[source])
    rows = (shared_data / "quote_tick_data.csv").read_text().splitlines()[:1500]
    csv = tmp_path / "eurusd-quotes.csv"
    csv.write_text("\n".join(rows) + "\n")
    cfg = attrs.evolve(cfg, data=[DataConfig(str(csv), instrument_id="EUR/USD.SIM")])
    return BacktestNode(cfg)


@pytest.mark.parametrize("name", sorted(NODE_CASES))
def test_a_node_recovered_from_a_mid_run_snapshot_equals_the_uninterrupted_run(
        shared_data: Path, tmp_path: Path, name: str):
    full = _node(shared_data, tmp_path, name, "full").run()
    assert full.result.summary["n_orders"] > 0, "the strategy must trade for the test to bite"
    with Journal.open(full.journal) as journal:
        snaps = snapshot_seqs(journal)
    assert len(snaps) >= 3
    k = snaps[len(snaps) // 2]
    assert cut_copy(Path(full.journal), tmp_path / "cut", k + 7) == k
    recovered = _node(shared_data, tmp_path, name, "cut").run()
    assert recovered.state_hash == full.state_hash
    assert np.array_equal(content(tmp_path / "cut").view(np.uint8),
                          content(Path(full.journal)).view(np.uint8))


def _register(kernel: Kernel, make: Callable[[], Strategy]) -> None:
    register_all(kernel, [make()])
    kernel.ctx.portfolio = Portfolio(kernel.cache)


def _continue(shared_data: Path, make: Callable[[], Strategy]) -> tuple[Any, ...]:
    tape = Tape()
    kernel = build([make()], journal=tape)
    kernel.ctx.portfolio = Portfolio(kernel.cache)
    quotes = shared_eurusd(kernel, shared_data, N_QUOTES)
    feed(kernel, quotes[:K])
    doc, arrays = kernel.snapshot()
    doc = json.loads(json.dumps(doc))  # what a journal stores
    feed(kernel, quotes[K:])
    after = tape.records()
    after = after[after["seq"] > doc["last_seq"]]
    rtape = Tape()
    restored = Kernel.from_snapshot(doc, arrays, lambda k: _register(k, make),
                                    capacity=1 << 14, journal=rtape)
    feed(restored, quotes[K:])
    return kernel, after, restored, rtape.records()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_kernel_restore_then_continue_equals_the_uninterrupted_run(shared_data: Path, name: str):
    kernel, after, restored, produced = _continue(shared_data, FACTORIES[name])
    if name != "noop":
        assert len(kernel.cache.orders()) > 0, "the strategy must trade for the test to bite"
    assert produced.tobytes() == after.tobytes()
    assert restored.state_hash("all") == kernel.state_hash("all")


class ForgetfulMomentum(Momentum):
    """Saves the EMA but not the instrument id set in on_start (the README's old bug)."""

    def on_save(self) -> dict[str, Any]:
        return {"ema": [self.ema.value, self.ema.count, self.ema.initialized]}

    def on_load(self, state: dict[str, Any]) -> None:
        self.ema.value, self.ema.count, self.ema.initialized = state["ema"]


def test_a_snapshot_that_would_lose_state_is_refused_naming_the_attribute(shared_data: Path):
    kernel = build([ForgetfulMomentum(SYMBOL, trade_size=1000)])
    kernel.ctx.portfolio = Portfolio(kernel.cache)
    feed(kernel, shared_eurusd(kernel, shared_data, 80))
    with pytest.raises(StateAuditError, match="momentum: attribute 'iid' was set after"):
        kernel.snapshot()


class Declared(Momentum):
    """Declares its state; ``symbol`` and ``trade_size`` are configuration."""

    state_fields = ("ema", "iid")


def test_declared_fields_are_captured_and_other_changes_refused(shared_data: Path):
    kernel, after, restored, produced = _continue(
        shared_data, lambda: Declared(SYMBOL, trade_size=1000))
    assert produced.tobytes() == after.tobytes()
    strategy = kernel.component("momentum")
    strategy.trade_size = 5
    with pytest.raises(StateAuditError, match="'trade_size' changed since registration"):
        kernel.snapshot()


class TunedEmaCross(EmaCross):
    """Declares alpha_fast as derived (not saved, not audited): still hashed."""

    derived_fields = ("alpha_fast",)


def test_the_digest_covers_attributes_on_save_leaves_out(shared_data: Path):
    for cls, audited in ((EmaCross, True), (TunedEmaCross, False)):
        kernel = build([cls(SYMBOL, fast=3, slow=6, trade_size=1000)])
        feed(kernel, shared_eurusd(kernel, shared_data, 40))
        before = kernel.state_hash("all")
        kernel.component("ema_cross").alpha_fast = 0.25  # not in on_save (was 2 / (3 + 1))
        if audited:
            with pytest.raises(StateAuditError, match="'alpha_fast' changed since registration"):
                kernel.snapshot()
        else:
            assert kernel.state_hash("all") != before


def test_a_damaged_snapshot_falls_back_to_an_older_one_and_says_so(shared_data: Path,
                                                                   tmp_path: Path):
    from journal.format import seq_key
    from journal.writer import JournalWriter

    full = _node(shared_data, tmp_path, "ema_cross", "full").run()
    with Journal.open(full.journal) as journal:
        snaps = snapshot_seqs(journal)
    k, older = snaps[len(snaps) // 2], snaps[len(snaps) // 2 - 1]
    assert cut_copy(Path(full.journal), tmp_path / "cut", k + 7) == k
    with JournalWriter(tmp_path / "cut", durability="none") as writer:  # flip a byte of it
        journal = writer.journal
        with journal.read_txn() as txn:
            value = bytearray(txn.get(seq_key(k), db=journal.snapshots_db))
        value[len(value) // 2] ^= 0xFF
        journal.write(lambda txn: txn.put(seq_key(k), bytes(value), db=journal.snapshots_db))
    recovered = _node(shared_data, tmp_path, "ema_cross", "cut").run()
    assert recovered.state_hash == full.state_hash
    assert recovered.notes[0].startswith(f"snapshot at seq {k} is damaged")
    assert recovered.notes[-1] == f"using the older snapshot at seq {older}"
    assert np.array_equal(content(tmp_path / "cut").view(np.uint8),
                          content(Path(full.journal)).view(np.uint8))
