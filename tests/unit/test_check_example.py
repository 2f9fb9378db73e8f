"""The documented example (examples/broken_strategy_test.py) runs as part of the suite: its
property finds the broken strategy's bug and shrinks it to a few quotes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "broken_strategy_test.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("broken_strategy_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_property_finds_the_doubling_bug_with_the_log_up_to_it(example) -> None:
    with pytest.raises(AssertionError) as info:
        example.test_the_flipper_never_holds_more_than_one_lot()
    text = str(info.value)
    assert "position_within_one_lot violated at seq" in text and "above one lot" in text
    assert "log up to there:" in text and "POSITION_CHANGED" in text


def test_the_counterexample_shrinks_to_a_few_quotes(example) -> None:
    example.test_the_shrunk_counterexample_is_a_few_quotes_with_two_moves_the_same_way()


def test_a_correct_flipper_passes_the_same_property(example, monkeypatch) -> None:
    from hypothesis import given, settings

    from replay.testing.fixtures import make_run
    from replay.testing.strategies import quote_streams

    class FixedFlipper(example.PositionFlipper):
        def on_quote(self, quote) -> None:
            pos = self.cache.position(example.netting_position_id(self.iid, self.strategy_id))
            current = pos.signed_raw if pos is not None else 0
            mid = quote.bid_raw + quote.ask_raw
            last, self.last_mid = self.last_mid, mid
            if last is None or mid == last:
                return
            delta = (example.LOT if mid > last else -example.LOT) - current
            if delta:
                side = example.OrderSide.BUY if delta > 0 else example.OrderSide.SELL
                qty = example.Quantity(abs(delta), example.EURUSD.size_precision)
                self.submit_order(self.order_factory.market(self.iid, side, qty))

    @settings(max_examples=30, deadline=None)
    @given(quote_streams(example.EURUSD, max_size=12))
    def holds(stream) -> None:
        make_run(stream, FixedFlipper(), invariants=example.INVARIANTS).assert_ok()

    holds()
